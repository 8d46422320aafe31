"""冲正 through GraphQL (issue 17): an officer proposes a same-day reversal with typed errors in Chinese, the branch
approver approves it, the loan is back as before and approving again is refused."""

import base64
import uuid

from app.integrations.core_banking import SandboxCoreBanking
from app.models import LedgerTransaction, Loan
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.ledger import ledger_check
from app.services.lending.repayment import prepay
from tests.api.lending.test_classification_api import _token
from tests.factories import customer_with_line

PROPOSE = """mutation($input: LoanReversalProposeInput!) { loanReversalPropose(input: $input) {
  command { id kind status effectSeen { figures { label before after isMoney } } } errors { code field message } } }"""
APPROVE = """mutation($input: CommandApproveInput!) { commandApprove(input: $input) { command { status } errors { code message } } }"""


async def _run(client, query, variables, headers):
    response = await client.post("/graphql", json={"query": query, "variables": variables}, headers=headers)
    assert response.status_code == 200
    body = response.json()
    assert "errors" not in body, body["errors"]
    return body["data"]


async def test_a_prepayment_reversed_through_graphql(client, demo, vault):
    core, today = SandboxCoreBanking(), await business_date.current()
    _, line = await customer_with_line(vault, card="6217000010009999")
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=300_000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    booking = await LedgerTransaction.get(loan_id=loan.id, kind="prepayment")
    officer, approver = await _token("officer1"), await _token("approver")
    gid = base64.b64encode(f"Loan:{loan.id}".encode()).decode()

    blank = (await _run(client, PROPOSE, {"input": {"transactionId": str(booking.id), "mode": "REFUND", "reason": " "}}, officer))
    assert blank["loanReversalPropose"] == {"command": None, "errors": [{"code": "REASON_REQUIRED", "field": "reason", "message": "请填写申请理由"}]}
    to_itself = (await _run(client, PROPOSE, {"input": {"transactionId": str(booking.id), "mode": "REAPPLY", "targetLoanId": gid,
                                                        "reason": "记错借据"}}, officer))["loanReversalPropose"]
    assert to_itself["command"] is None and to_itself["errors"][0]["message"] == "请选择另一笔借据作为调入借据"
    made = (await _run(client, PROPOSE, {"input": {"transactionId": str(booking.id), "mode": "REFUND", "reason": "柜员误操作"}}, officer))
    command = made["loanReversalPropose"]["command"]
    assert command["kind"] == "REVERSAL" and command["status"] == "PENDING"
    assert {"label": "借据未还本金", "before": "9000.00", "after": "12000.00", "isMoney": True} in command["effectSeen"]["figures"]
    assert {"label": "退回借款人银行卡", "before": "0.00", "after": "3000.00", "isMoney": True} in command["effectSeen"]["figures"]
    own = (await client.post("/graphql", json={"query": APPROVE, "variables": {"input": {"commandId": command["id"]}}}, headers=officer)).json()
    assert own["data"] is None and own["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # an officer checks nothing (command.check)
    done = (await _run(client, APPROVE, {"input": {"commandId": command["id"], "note": "同意"}}, approver))["commandApprove"]
    assert done == {"command": {"status": "APPROVED"}, "errors": []}
    again = (await _run(client, APPROVE, {"input": {"commandId": command["id"]}}, approver))["commandApprove"]
    assert again["errors"][0]["code"] == "COMMAND_DECIDED"
    assert (await Loan.get(id=loan.id)).outstanding_principal_fen == 1_200_000
    assert await LedgerTransaction.filter(reverses_id=booking.id).count() == 1
    assert await ledger_check(today=today) == []
