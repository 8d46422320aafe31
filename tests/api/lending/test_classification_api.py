"""Classification doors over HTTP: an officer's floor and an approver's decision on an upgrade proposal."""

import base64
import uuid
from datetime import UTC, datetime

from app.models import ClassUpgradeProposal, Loan, LoanClassChange
from app.services import business_date
from app.services.auth import officers as auth
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.integrations.core_banking import SandboxCoreBanking
from tests.factories import DEMO_PASSWORD, customer_with_line
from tests.services.lending.conftest import TODAY

FLOOR = """mutation($input: LoanClassFloorInput!) { loanClassFloorSet(input: $input) {
  loan { classification classificationLabel } errors { code field message } } }"""
PROPOSALS = "{ classUpgradeProposals { id fromClass proposedClass proposedClassLabel loan { classification } } }"
DECIDE = """mutation($input: ClassUpgradeDecisionInput!) { classUpgradeDecide(input: $input) {
  proposal { status } errors { code field } } }"""


async def _token(username):
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def _run(client, query, variables, headers):
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200
    return response.json()["data"]


async def test_a_floor_and_an_approved_upgrade_through_graphql(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    gid = base64.b64encode(f"Loan:{loan.id}".encode()).decode()
    officer, approver = await _token("officer1"), await _token("approver")
    refused = (await _run(client, FLOOR, {"input": {"loanId": gid, "floor": "SUBSTANDARD", "reason": " "}}, officer))["loanClassFloorSet"]
    assert refused == {"loan": None, "errors": [{"code": "REASON_REQUIRED", "field": "reason", "message": "请填写认定理由"}]}
    done = (await _run(client, FLOOR, {"input": {"loanId": gid, "floor": "SUBSTANDARD", "reason": "主营项目停产"}}, officer))["loanClassFloorSet"]
    assert done == {"loan": {"classification": "SUBSTANDARD", "classificationLabel": "次级"}, "errors": []}
    lifted = (await _run(client, FLOOR, {"input": {"loanId": gid, "reason": "复产"}}, officer))["loanClassFloorSet"]
    assert lifted["loan"]["classification"] == "SUBSTANDARD"  # lifting a floor never upgrades a non-performing loan
    # end-of-day raised a proposal after the observation (made here directly)
    proposal = await ClassUpgradeProposal.create(loan_id=loan.id, raised_on=TODAY, from_class="substandard", proposed_class="normal", observed_from=TODAY)
    assert (await _run(client, PROPOSALS, {}, officer))["classUpgradeProposals"] == []  # not an approver
    listed = (await _run(client, PROPOSALS, {}, approver))["classUpgradeProposals"]
    assert [(p["id"], p["fromClass"], p["proposedClass"], p["proposedClassLabel"]) for p in listed] == [(str(proposal.id), "SUBSTANDARD", "NORMAL", "正常")]
    variables = {"input": {"proposalId": str(proposal.id), "approve": True, "toClass": "SPECIAL_MENTION", "note": "复产，现金流恢复"}}
    refused = (await client.post("/graphql", json={"query": DECIDE, "variables": variables}, headers=officer)).json()  # the permission policy
    assert refused["data"] is None and [e["extensions"]["code"] for e in refused["errors"]] == ["FORBIDDEN"]
    assert (await _run(client, DECIDE, variables, approver))["classUpgradeDecide"] == {"proposal": {"status": "APPROVED"}, "errors": []}
    assert (await Loan.get(id=loan.id)).classification == "special_mention"
    sources = await LoanClassChange.filter(loan_id=loan.id).order_by("created_at").values_list("source", "to_class")
    assert sources == [("floor", "substandard"), ("upgrade", "special_mention")]
