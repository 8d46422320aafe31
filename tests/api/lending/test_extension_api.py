"""展期 through GraphQL (issue 17): an officer proposes with loanExtendPropose, a limit is a typed error in Chinese, the
approver approves with commandApprove and the loan's maturity moves."""

import base64
import uuid
from datetime import date

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Loan
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from tests.api.lending.test_classification_api import _run, _token
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY

PROPOSE = """mutation($input: LoanExtendProposeInput!) { loanExtendPropose(input: $input) {
  command { id kind status effectSeen { figures { label before after isMoney } } } errors { code field message } } }"""
APPROVE = """mutation($input: CommandApproveInput!) { commandApprove(input: $input) { command { status } errors { code message } } }"""


async def test_an_extension_through_graphql(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    gid = base64.b64encode(f"Loan:{loan.id}".encode()).decode()
    officer, approver = await _token("officer1"), await _token("approver")
    too_long = (await _run(client, PROPOSE, {"input": {"loanId": gid, "months": 7, "reason": "借款人申请"}}, officer))["loanExtendPropose"]
    assert too_long == {"command": None, "errors": [{"code": "INVALID_TERM", "field": "months",
                                                     "message": "短期贷款展期累计不得超过原贷款期限：原期限 6 个月，最多还可展期 6 个月"}]}
    made = (await _run(client, PROPOSE, {"input": {"loanId": gid, "months": 6, "reason": "养殖周期延长"}}, officer))["loanExtendPropose"]
    command = made["command"]
    assert command["kind"] == "EXTENSION" and command["status"] == "PENDING"
    assert {"label": "到期日", "before": "2027-05-27", "after": "2027-11-27", "isMoney": False} in command["effectSeen"]["figures"]
    assert {"label": "剩余本金", "before": "6000.00", "after": "6000.00", "isMoney": True} in command["effectSeen"]["figures"]
    own = (await client.post("/graphql", json={"query": APPROVE, "variables": {"input": {"commandId": command["id"]}}}, headers=officer)).json()
    assert own["data"] is None and own["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # an officer checks nothing
    done = (await _run(client, APPROVE, {"input": {"commandId": command["id"], "note": "同意"}}, approver))["commandApprove"]
    assert done == {"command": {"status": "APPROVED"}, "errors": []}
    assert (await Loan.get(id=loan.id)).maturity_on == date(2027, 11, 27)
