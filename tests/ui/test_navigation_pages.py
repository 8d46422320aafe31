"""Ways back and forward on the PAD: breadcrumbs 村 › 户 › 人 on the pages about a customer, and 下一户 after signing.

The loan, line, warning, collection, archive and visit pages had no way back to the person, the
household or the village; a signed visit ended with the archive link only.
"""

from __future__ import annotations

import re

import pytest

from app.domain import visit as flow
from app.models import CollectionTask, CreditLine, EarlyWarning, Household, HouseholdMember, Loan, Visit
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.contracts import render_contract
from tests.factories import csrf_token, login
from tests.services.contracts.fixtures import kit, renderer  # noqa: F401  (fixtures)
from tests.services.contracts.helpers import signature_png
from tests.services.visits.helpers import TODAY, family, pre_credit
from tests.ui.test_risk_pages import _overdue
from tests.ui.test_visit_pages import Walker, _data_url


def _crumbs(html: str) -> str:
    match = re.search(r'<nav class="crumbs".*?</nav>', html, re.S)
    assert match, "no breadcrumbs"
    return match.group(0)


async def _member_of(customer_id) -> HouseholdMember:
    return await HouseholdMember.get(customer_id=customer_id).select_related("household__village")


def _assert_trail(html: str, member: HouseholdMember, here: str) -> None:
    crumbs = _crumbs(html)
    household = member.household
    assert f"/villages/{household.village.id}" in crumbs and household.village.name in crumbs
    assert f"/households/{household.id}" in crumbs and f"户号 {household.household_no}" in crumbs
    person = f"/customers/{member.customer_id}" if member.customer_id else f"/members/{member.id}"  # 客户视图 once a customer
    assert f'{person}" id="crumb-member"' in crumbs and member.name in crumbs
    assert f'<span aria-current="page">{here}</span>' in crumbs


async def _first_with_member(model, **filters):
    """The demo bank's first row of `model`; its customer is made a household member if no member is theirs yet."""
    row = await model.filter(**filters).order_by("id").first()
    assert row is not None, f"the demo bank has no {model.__name__}"
    if not await HouseholdMember.exists(customer_id=row.customer_id):
        free = await HouseholdMember.filter(customer_id=None).order_by("id").first()
        free.customer_id = row.customer_id
        await free.save(update_fields=["customer_id"])
    return row


async def test_pages_about_a_customer_lead_back_to_the_person_household_and_village(client, demo, vault, tmp_path):
    await _overdue(vault, tmp_path)  # a loan 30 days overdue: its warning and its collection task
    await login(client)
    loan = await _first_with_member(Loan)
    line = await _first_with_member(CreditLine)
    pages = [(f"/loans/{loan.id}", loan.customer_id, "借据"), (f"/lines/{line.id}", line.customer_id, "授信额度"),
             (f"/customers/{loan.customer_id}/archive", loan.customer_id, "电子档案")]
    warning = await _first_with_member(EarlyWarning)
    task = await _first_with_member(CollectionTask)
    pages += [(f"/risk/warnings/{warning.id}", warning.customer_id, "预警"), (f"/risk/collections/{task.id}", task.customer_id, "催收")]
    for path, customer_id, here in pages:
        page = await client.get(path)
        assert page.status_code == 200, path
        _assert_trail(page.text, await _member_of(customer_id), here)


async def _sign(walker, client, app, kit, renderer):  # noqa: F811
    """From the decision step to signed and sealed, as tests/ui/test_visit_pages.py walks it."""
    page = await client.get(walker.base)
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    await walker.post(f"{walker.base}/decision", {"requested": "", "idempotency_key": key})
    app.state.signing_kit = lambda: kit
    await walker.post(f"{walker.base}/contract")
    visit = await Visit.get(id=walker.visit_id)
    await render_contract(contract_id=visit.contract_id, media=kit.media, renderer=renderer, now=visit.started_at, actor=SYSTEM)
    for who in ("borrower", "co_borrower"):
        vid = await walker.face(who, "sign")
        await walker.post(f"{walker.base}/sign", {"who": who, "face_verification_id": vid, "signature_png": _data_url(signature_png(2)), "lat": "35.8770", "lng": "111.4425"})
    await walker.post(f"{walker.base}/seal")


@pytest.mark.pdf
async def test_the_signed_visit_leads_back_and_on_to_the_next_household(client, demo, vault, app, kit, renderer):  # noqa: F811
    await business_date.set_current(TODAY)
    fam = await family(vault)
    await pre_credit(fam.household.id, 50_000)
    await login(client)
    walker = Walker(client, await csrf_token(client), fam, app.state.media, vault)
    await walker.to_decision()
    page = await client.get(walker.base)
    _assert_trail(page.text, await HouseholdMember.get(id=fam.head.id).select_related("household__village"), "走访")

    await _sign(walker, client, app, kit, renderer)
    visit = await Visit.get(id=walker.visit_id).select_related("household")
    assert visit.status == flow.VisitStatus.SIGNED
    visited = set(await Visit.all().values_list("household_id", flat=True))
    waiting = [h for h in await Household.filter(village_id=visit.village_id).order_by("household_no", "id") if h.id not in visited]
    expected = next((h for h in waiting if h.household_no > visit.household.household_no), waiting[0])
    done = await client.get(walker.base)
    link = re.search(r'<a class="button primary" id="visit-next-household" href="([^"]+)">([^<]+)</a>', done.text)
    assert link, "no 下一户 after signing"
    assert link.group(1).endswith(f"/households/{expected.id}") and link.group(2) == f"下一户：户号 {expected.household_no}"
    assert (await client.get(link.group(1))).status_code == 200
