"""无还本续贷 through GraphQL (issue 17): at maturity, interest still owed is a typed error in Chinese; once the borrower
paid it in cash, an officer proposes with loanRenewPropose, the approver approves with commandApprove and a new loan
repays the old one's principal."""

import base64
import uuid

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Installment, Loan, LoanRenewal
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.repayment import repay
from tests.api.lending.test_classification_api import _run, _token
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_classification_state import _until
from tests.services.lending.test_renewal import _loan, _strategy

PROPOSE = """mutation($input: LoanRenewProposeInput!) { loanRenewPropose(input: $input) {
  command { id kind status effectSeen { figures { label before after isMoney } } } errors { code field message } } }"""
APPROVE = """mutation($input: CommandApproveInput!) { commandApprove(input: $input) { command { status } errors { code message } } }"""


async def test_a_renewal_through_graphql(client, demo, vault):
    # given a one-month 便利贷 loan at its maturity date with a fresh strategy pass
    await business_date.set_current(TODAY)
    core = SandboxCoreBanking()
    loan = await _loan(core, vault)
    await _until(core, vault, loan.maturity_on)
    today = await business_date.current()
    await _strategy(loan, "pass", today)
    gid = base64.b64encode(f"Loan:{loan.id}".encode()).decode()
    officer, approver = await _token("officer1"), await _token("approver")
    variables = {"input": {"loanId": gid, "termMonths": 12, "reason": "经营周转"}}
    # when the interest is still owed, then the proposal is a typed error in Chinese
    owed = (await _run(client, PROPOSE, variables, officer))["loanRenewPropose"]
    assert owed == {"command": None, "errors": [{"code": "OVERDUE_FIRST", "field": "loanId",
                                                 "message": "旧贷款尚欠利息、罚息共 ¥11.25，须先以现金结清（不得计入新贷款）"}]}
    # when the borrower pays it in cash and the officer proposes again
    interest = (await Installment.get(loan_id=loan.id, number=1)).interest_fen
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=interest, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    made = (await _run(client, PROPOSE, variables, officer))["loanRenewPropose"]
    command = made["command"]
    # then a pending request shows the principal moving from the old loan to the new one, with no cash
    assert command["kind"] == "RENEWAL" and command["status"] == "PENDING" and made["errors"] == []
    assert {"label": "新借据本金", "before": "0.00", "after": "3000.00", "isMoney": True} in command["effectSeen"]["figures"]
    assert {"label": "资金划转", "before": "0.00", "after": "0.00", "isMoney": True} in command["effectSeen"]["figures"]
    # and when the approver approves, the old loan is settled by the new one
    done = (await _run(client, APPROVE, {"input": {"commandId": command["id"], "note": "同意"}}, approver))["commandApprove"]
    assert done == {"command": {"status": "APPROVED"}, "errors": []}
    record = await LoanRenewal.get(old_loan_id=loan.id)
    assert (await Loan.get(id=loan.id)).status == "settled" and (await Loan.get(id=record.new_loan_id)).outstanding_principal_fen == 300_000
