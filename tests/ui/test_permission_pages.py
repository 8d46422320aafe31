"""The permission policy through the PAD: a role the matrix refuses gets a 403 page and nothing changes."""

import re
import uuid

import pytest

from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, LedgerTransaction, Loan
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from tests.contract.test_permissions_matrix import MATRIX
from tests.factories import csrf_token, customer_with_line, login
from tests.fakes import RecordingCore
from tests.services.lending.conftest import TODAY
from ui.permissions import ROUTE_ACTIONS
from ui.routes import routes

USERS = {"officer": "officer1", "approver": "approver", "branch_manager": "manager", "admin": "admin", "auditor": "auditor"}


async def _loan(vault):
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    return line, loan


@pytest.mark.parametrize("username", ["auditor", "admin"])
async def test_auditors_and_admins_cannot_draw_or_prepay_on_the_pad(app, client, demo, vault, username):
    # given a line with one loan, and a core that records every call
    await business_date.set_current(TODAY)
    line, loan = await _loan(vault)
    app.state.core = core = RecordingCore()
    transactions, loans = await LedgerTransaction.all().count(), await Loan.all().count()
    await login(client, username=username)
    token = await csrf_token(client)
    # when they confirm a counter drawdown and prepay the loan in full
    drawn = await client.post(f"/lines/{line.id}", data={"amount": "3000.00", "term_months": "6", "method": "equal_principal",
                                                        "idempotency_key": str(uuid.uuid4()), "confirm": "1", "csrf_token": token})
    prepaid = await client.post(f"/loans/{loan.id}/prepay", data={"prepay_amount": "", "idempotency_key": str(uuid.uuid4()), "csrf_token": token})
    # then both get the 403 page in Chinese, and nothing moved
    assert drawn.status_code == 403 and "您没有“用信放款”的权限" in drawn.text and "无权操作" in drawn.text
    assert prepaid.status_code == 403 and "您没有“提前还款”的权限" in prepaid.text
    assert core.calls == []
    assert await LedgerTransaction.all().count() == transactions and await Loan.all().count() == loans
    await loan.refresh_from_db()
    await line.refresh_from_db()
    assert loan.outstanding_principal_fen == 1_200_000 and line.used_fen == 1_200_000
    assert await AuditEvent.filter(action__in=["loan.drawdown", "loan.prepay"], actor_id__isnull=False).count() == 0


async def test_a_head_request_does_not_slip_past_the_policy(app, client, demo, vault):
    # HEAD skips CSRF: it must read like a GET and never reach the drawdown (the policy checks anything else)
    await business_date.set_current(TODAY)
    line, _ = await _loan(vault)
    app.state.core = core = RecordingCore()
    await login(client, username="auditor")
    response = await client.head(f"/lines/{line.id}", params={"amount": "3000.00", "term_months": "6", "confirm": "1"})
    assert response.status_code in (200, 403) and core.calls == []
    assert await Loan.filter(credit_line_id=line.id).count() == 1


async def test_the_officer_still_draws_at_the_counter(app, client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    await login(client)
    token = await csrf_token(client)
    done = await client.post(f"/lines/{line.id}", data={"amount": "3000.00", "term_months": "6", "method": "equal_principal",
                                                       "idempotency_key": str(uuid.uuid4()), "confirm": "1", "csrf_token": token})
    assert done.status_code == 303 and await Loan.filter(credit_line_id=line.id).count() == 1


def _guarded_routes() -> list[tuple[str, str]]:
    """(name, path with made-up ids) of every unsafe route behind a login guard (not the anonymous sign-in and vote link)."""
    out = []
    for route in routes:
        if route.name in ROUTE_ACTIONS and not MATRIX[ROUTE_ACTIONS[route.name].value]["anonymous"]:
            out.append((route.name, re.sub(r"\{[^}]+\}", lambda _: str(uuid.uuid4()), route.path)))
    return out


@pytest.mark.parametrize("role", list(USERS))
async def test_every_unsafe_route_refuses_the_roles_the_matrix_refuses(client, demo, role):
    # given the demo officer of this role, signed in
    await login(client, username=USERS[role])
    token = await csrf_token(client)
    before = await AuditEvent.all().count()
    refused = [(name, path) for name, path in _guarded_routes() if not MATRIX[ROUTE_ACTIONS[name].value][role]]
    # when they post to every route the matrix refuses them, then each answers 403 before its handler runs
    for name, path in refused:
        response = await client.post(path, data={"csrf_token": token})
        assert response.status_code == 403, (role, name, response.status_code)
        assert "无权操作" in response.text, (role, name)
    assert await AuditEvent.all().count() == before
    assert refused  # every role is refused somewhere (the manager: rule sets, LPR, the outbox)


async def test_a_manager_cannot_approve_the_line_they_proposed(app, client, demo, vault, settings, monkeypatch):
    # given a visit by the branch manager whose proposal is above their own authority, waiting for approval
    from app.domain import visit as flow
    from app.models import CreditLine, Visit
    from tests.services.visits.helpers import TODAY as VISIT_DAY, family, pre_credit
    from app.wiring import visit_policy
    from tests.ui.test_visit_pages import Walker

    monkeypatch.setattr(app.state, "visit_policy", visit_policy(settings.model_copy(update={"visit_authority_branch_manager_yuan": 100_000})))
    await business_date.set_current(VISIT_DAY)
    fam = await family(vault, by="manager", spouse_seq=None)
    await pre_credit(fam.household.id, 200_000)
    await login(client, username="manager")
    w = Walker(client, await csrf_token(client), fam, app.state.media, vault)
    await w.to_decision()
    await w.post(f"{w.base}/decision", {"idempotency_key": str(uuid.uuid4())})
    assert (await Visit.get(id=w.visit_id)).status == flow.VisitStatus.AWAITING_APPROVAL
    # when the same manager approves it on the approval page
    response = await client.post(f"/approvals/{w.visit_id}", data={"action": "approve", "amount": "", "csrf_token": w.token})
    # then the policy refuses (maker-checker) with a 403 page, and no line exists
    assert response.status_code == 403 and "不能审批本人发起的申请" in response.text
    assert await CreditLine.all().count() == 0
    assert (await Visit.get(id=w.visit_id)).status == flow.VisitStatus.AWAITING_APPROVAL
    # and another checker (the approver) may approve it
    await client.post("/logout", data={"csrf_token": w.token})
    await login(client, username="approver")
    approved = await client.post(f"/approvals/{w.visit_id}", data={"action": "approve", "amount": "", "csrf_token": await csrf_token(client)})
    assert approved.status_code == 303 and await CreditLine.all().count() == 1
