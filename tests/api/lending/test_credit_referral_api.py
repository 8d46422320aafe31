"""The approver's GraphQL door onto referred online credit applications: the same service as the PAD page 线上授信审查."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.domain.external_data import CreditApplicationStatus, ExternalSource
from app.models import AuditEvent, CreditApplication
from app.services import business_date
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD
from tests.services.online_credit.test_apply import TODAY, _apply, _borrower, _consent
from app.services.documents import MediaStore

QUEUE = """query { creditReferrals { id status customerName customerIdNumberMasked source strategyVersion reviewRequestedAt strategyLimit
  product { code name } evidence } }"""
ONE = """query O($id: ID!) { creditReferral(id: $id) { id status limit annualRatePercent evidence } }"""
DECIDE = """mutation D($input: CreditReferralDecideInput!) { creditReferralDecide(input: $input) {
  referral { id status limit annualRatePercent } errors { code field message } } }"""


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


async def _token(username: str) -> dict:
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def _gql(client, query, variables=None, headers=None) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})
    assert response.status_code == 200
    return response.json()


async def _referred(vault, media) -> CreditApplication:
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault, sequence=831)  # the 公积金 source times out: referred, never an offer
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    row = await _apply(actor, bank, media, vault, "GJJ")
    assert row.status == CreditApplicationStatus.REFERRED
    return row


async def test_an_approver_lists_the_referrals_of_their_branches_and_approves_one_within_the_caps(client, demo, vault, media):
    row = await _referred(vault, media)
    approver = await _token("approver")
    queue = (await _gql(client, QUEUE, headers=approver))["data"]["creditReferrals"]
    assert [r["id"] for r in queue] == [str(row.id)]
    assert queue[0]["status"] == "REFERRED" and queue[0]["source"] == "HOUSING_FUND" and queue[0]["product"]["code"] == "GJJ"
    assert queue[0]["strategyLimit"] is None and queue[0]["evidence"]["source"]["status"] == "timeout"  # the strategy never ran
    assert "*" in queue[0]["customerIdNumberMasked"]

    over = (await _gql(client, DECIDE, {"input": {"applicationId": str(row.id), "approve": True, "limit": "300000.00", "reason": "人工核实"}}, approver))
    errors = over["data"]["creditReferralDecide"]["errors"]
    assert over["data"]["creditReferralDecide"]["referral"] is None and [(e["code"], e["field"]) for e in errors] == [("INVALID_AMOUNT", "limit")]
    assert "200,000" in errors[0]["message"]  # the online consumer cap
    no_reason = (await _gql(client, DECIDE, {"input": {"applicationId": str(row.id), "approve": True, "limit": "50000.00", "reason": " "}}, approver))
    assert [e["field"] for e in no_reason["data"]["creditReferralDecide"]["errors"]] == ["reason"]

    done = (await _gql(client, DECIDE, {"input": {"applicationId": str(row.id), "approve": True, "limit": "50000.00", "reason": "人工核实公积金缴存"}},
                       approver))["data"]["creditReferralDecide"]
    assert done["errors"] == [] and done["referral"]["status"] == "OFFERED" and done["referral"]["limit"] == "50000.00"
    assert done["referral"]["annualRatePercent"] is not None
    stored = await CreditApplication.get(id=row.id)
    assert stored.status == CreditApplicationStatus.OFFERED and stored.decision["approver"]["reason"] == "人工核实公积金缴存"
    assert await AuditEvent.filter(action="credit_application.approve").count() == 1
    # decided: off the queue, readable with what was decided, and not decided twice
    assert (await _gql(client, QUEUE, headers=approver))["data"]["creditReferrals"] == []
    read = (await _gql(client, ONE, {"id": str(row.id)}, approver))["data"]["creditReferral"]
    assert read["status"] == "OFFERED" and read["evidence"]["approver"]["decision"] == "approve"
    twice = (await _gql(client, DECIDE, {"input": {"applicationId": str(row.id), "approve": False, "reason": "重复"}}, approver))
    assert [e["code"] for e in twice["data"]["creditReferralDecide"]["errors"]] == ["NOT_REFERRED"]


async def test_a_decline_is_a_neutral_refusal(client, demo, vault, media):
    row = await _referred(vault, media)
    done = (await _gql(client, DECIDE, {"input": {"applicationId": str(row.id), "approve": False, "reason": "缴存单位无法核实"}},
                       await _token("approver")))["data"]["creditReferralDecide"]
    assert done["errors"] == [] and done["referral"]["status"] == "REFUSED" and done["referral"]["limit"] is None
    stored = await CreditApplication.get(id=row.id)
    assert "缴存单位" not in stored.message and stored.decision["approver"]["decision"] == "decline"


async def test_only_an_approver_of_the_customers_branch_decides(client, demo, vault, media):
    row = await _referred(vault, media)
    officer = await _token("officer1")
    listed = await _gql(client, QUEUE, headers=officer)
    assert listed["data"] is None and listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    refused = (await _gql(client, DECIDE, {"input": {"applicationId": str(row.id), "approve": True, "limit": "5000.00", "reason": "x"}}, officer))
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # the door's guard: line.approve
    # another bank's approver does not see it at all
    from tests.factories.banks import second_bank

    await second_bank()
    other = await _token("yc_approver")
    assert (await _gql(client, QUEUE, headers=other))["data"]["creditReferrals"] == []
    assert (await _gql(client, ONE, {"id": str(row.id)}, other))["data"]["creditReferral"] is None
    missing = (await _gql(client, DECIDE, {"input": {"applicationId": str(row.id), "approve": False, "reason": "x"}}, other))
    assert [e["code"] for e in missing["data"]["creditReferralDecide"]["errors"]] == ["NOT_FOUND"]
    assert (await CreditApplication.get(id=row.id)).status == CreditApplicationStatus.REFERRED
    # a borrower's token reaches none of it
    anonymous = await _gql(client, QUEUE)
    assert anonymous["data"] is None
