"""The workbench (工作台) as the landing page and the customer page (客户视图), for each role.

Officers, approvers and branch managers get their work with a button each; auditors see the same
queue and the customer's file but no action button. A customer out of the officer's scope is the
未找到 page, and every opening of a customer page is audited.
"""

from __future__ import annotations

import re

from app.domain import visit as flow
from app.models import AuditEvent, CollectionTask, EarlyWarning, HouseholdMember, Loan, Visit
from tests.factories import login
from tests.factories.villages import XIJIE
from tests.services.visits.helpers import NOW, ctx_for, family, start
from tests.ui.test_risk_pages import _overdue


async def _open_visit(vault, settings):
    fam = await family(vault, spouse_seq=None)
    visit = await start(await ctx_for(vault, settings, fam))
    return fam, visit


async def _as(client, username: str):
    client.cookies.clear()
    await login(client, username)


async def test_login_lands_on_the_workbench_with_the_visit_to_resume(client, demo, vault, settings):
    _, visit = await _open_visit(vault, settings)
    response = await login(client)
    assert response.status_code in (302, 303) and response.headers["location"].endswith("/")
    page = await client.get("/")
    assert page.status_code == 200 and "<h1>工作台</h1>" in page.text
    assert f'id="task-visits-{visit.id}"' in page.text
    assert f'href="http://testserver/visits/{visit.id}"' in page.text and "继续走访" in page.text
    assert 'id="today-figures"' not in page.text  # officers see their work, not branch figures
    assert 'id="postloan-pending"' not in page.text and "贷后检查" in page.text  # the post-loan section is live


async def test_each_role_sees_its_queue_and_only_workers_get_buttons(client, demo, vault, settings, tmp_path):
    customer, loan = await _overdue(vault, tmp_path)
    task = await CollectionTask.get(loan_id=loan.id)
    warning = await EarlyWarning.get(loan_id=loan.id)
    _, visit = await _open_visit(vault, settings)
    await Visit.filter(id=visit.id).update(status=flow.VisitStatus.AWAITING_APPROVAL, submitted_at=NOW)

    await _as(client, "approver")
    page = (await client.get("/")).text
    assert f'id="task-visit_approvals-{visit.id}-go"' in page and f"/approvals/{visit.id}" in page
    assert f'id="task-collections-{task.id}-go"' in page and f'id="task-warnings-{warning.id}-go"' in page
    assert 'id="today-figures"' in page

    await _as(client, "manager")
    page = (await client.get("/")).text
    assert 'id="today-figures"' in page and re.search(r'id="figure-overdue">1<', page)
    assert f'id="task-visit_approvals-{visit.id}-go"' in page and "联系客户" in page

    await _as(client, "auditor")
    page = (await client.get("/")).text
    assert f'id="task-collections-{task.id}"' in page and f'id="task-warnings-{warning.id}"' in page  # the queue, read only
    assert "-go\"" not in page and "联系客户" not in page and "处理预警</a>" not in page
    assert f"/customers/{customer.id}" in page

    await _as(client, "officer2")
    page = (await client.get("/")).text
    assert str(task.id) not in page and str(warning.id) not in page and str(visit.id) not in page
    assert 'id="workbench-empty"' in page


async def test_customer_page_shows_the_persons_file_and_the_next_action(client, demo, vault, tmp_path):
    customer, loan = await _overdue(vault, tmp_path)
    member = await HouseholdMember.filter(customer_id=None, household__village__division_code=XIJIE).order_by("id").first()  # officer1's village
    member.customer_id = customer.id
    await member.save(update_fields=["customer_id"])
    task = await CollectionTask.get(loan_id=loan.id)
    warning = await EarlyWarning.get(loan_id=loan.id)
    loan = await Loan.get(id=loan.id)

    await login(client)
    page = await client.get(f"/customers/{customer.id}")
    assert page.status_code == 200 and "no-store" in page.headers["cache-control"]
    html = page.text
    assert f"<h1>{customer.name}</h1>" in html
    assert f'/households/{member.household_id}' in html and 'id="crumbs"' in html and '<span aria-current="page">客户视图</span>' in html
    assert f"/lines/{loan.credit_line_id}" in html and f"/loans/{loan.id}" in html
    assert f"/risk/warnings/{warning.id}" in html and f"/risk/collections/{task.id}" in html
    assert f"/customers/{customer.id}/archive" in html
    assert re.search(rf'<a class="button primary" href="[^"]*/risk/collections/{task.id}" id="next-collection">联系逾期</a>', html)
    assert 'id="next-warning"' in html
    assert await AuditEvent.filter(action="customer.view", entity_id=str(customer.id)).count() == 1

    # the pages about the person link to it
    for path in (f"/households/{member.household_id}", f"/loans/{loan.id}", f"/lines/{loan.credit_line_id}", "/risk/warnings", "/risk/collections",
                 f"/risk/warnings/{warning.id}", f"/risk/collections/{task.id}", "/"):
        linked = await client.get(path)
        assert f"/customers/{customer.id}\"" in linked.text, path


async def test_customer_page_for_other_roles_and_out_of_scope(client, demo, vault, tmp_path):
    customer, _ = await _overdue(vault, tmp_path)
    for who in ("approver", "manager"):
        await _as(client, who)
        page = await client.get(f"/customers/{customer.id}")
        assert page.status_code == 200 and 'id="next-action"' in page.text, who
    await _as(client, "auditor")
    page = await client.get(f"/customers/{customer.id}")
    assert page.status_code == 200 and f"/risk/collections/" in page.text
    assert 'id="next-action"' not in page.text and 'class="button' not in page.text.split('id="customer-lines"')[0]
    await _as(client, "officer2")
    page = await client.get(f"/customers/{customer.id}")
    assert page.status_code == 404 and "未找到" in page.text
    assert customer.name not in page.text
    assert await AuditEvent.filter(action="customer.view", entity_id=str(customer.id)).count() == 3  # approver, manager, auditor: not the refused one


async def test_every_demo_account_gets_its_workbench(client, demo):
    from app.models import Officer

    for username in await Officer.all().order_by("username").values_list("username", flat=True):
        await _as(client, username)
        page = await client.get("/")
        assert page.status_code == 200 and "<h1>工作台</h1>" in page.text, username
