"""Write-off through GraphQL: proposed by an officer, refused to the maker and to a branch approver with typed errors,
approved by the head-office approver, then a recovery."""

import base64
import uuid

from app.models import Loan
from tests.api.lending.test_classification_api import _run, _token
from tests.ui.test_check_pages import loss_loan

PROPOSE = """mutation($input: LoanWriteOffProposeInput!) { loanWriteOffPropose(input: $input) {
  command { id kind status effectSeen { figures { label before after isMoney } } } errors { code field message } } }"""
APPROVE = """mutation($input: CommandApproveInput!) { commandApprove(input: $input) {
  command { status effectChecked { title } } errors { code message } } }"""
REJECT = """mutation($input: CommandRejectInput!) { commandReject(input: $input) { command { status } errors { code field message } } }"""
PENDING = "{ commandsPending { id kind subject } }"
RECOVER = """mutation($input: LoanRecoverInput!) { loanRecover(input: $input) {
  recovery { amount principal interest } errors { code field message } } }"""


async def test_write_off_and_recovery_through_graphql(client, demo, vault):
    loan = await loss_loan(vault)
    gid = base64.b64encode(f"Loan:{loan.id}".encode()).decode()
    officer, branch, head = await _token("officer1"), await _token("approver"), await _token("hq_approver")
    blank = (await _run(client, PROPOSE, {"input": {"loanId": gid, "reason": ""}}, officer))["loanWriteOffPropose"]
    assert blank == {"command": None, "errors": [{"code": "REASON_REQUIRED", "field": "reason", "message": "请填写申请理由"}]}
    made = (await _run(client, PROPOSE, {"input": {"loanId": gid, "reason": "借款人死亡"}}, officer))["loanWriteOffPropose"]
    command = made["command"]
    assert command["kind"] == "WRITE_OFF" and command["status"] == "PENDING"
    assert {"label": "贷款本金（表内）", "before": "12000.00", "after": "0.00", "isMoney": True} in command["effectSeen"]["figures"]
    assert (await _run(client, PENDING, {}, head))["commandsPending"][0]["id"] == command["id"]
    refused = (await _run(client, APPROVE, {"input": {"commandId": command["id"]}}, branch))["commandApprove"]
    assert refused["command"] is None and refused["errors"][0]["code"] == "FORBIDDEN" and "总行" in refused["errors"][0]["message"]
    no_note = (await _run(client, REJECT, {"input": {"commandId": command["id"], "note": ""}}, head))["commandReject"]
    assert no_note["errors"][0]["code"] == "REASON_REQUIRED"
    done = (await _run(client, APPROVE, {"input": {"commandId": command["id"], "note": "同意"}}, head))["commandApprove"]
    assert done["command"]["status"] == "APPROVED" and done["errors"] == []
    again = (await _run(client, APPROVE, {"input": {"commandId": command["id"]}}, head))["commandApprove"]
    assert again["errors"][0]["code"] == "COMMAND_DECIDED"
    assert (await Loan.get(id=loan.id)).status == "written_off"
    recovered = (await _run(client, RECOVER, {"input": {"loanId": gid, "amount": "100.00", "idempotencyKey": str(uuid.uuid4())}}, officer))["loanRecover"]
    assert recovered == {"recovery": {"amount": "100.00", "principal": "100.00", "interest": "0.00"}, "errors": []}
    too_much = (await _run(client, RECOVER, {"input": {"loanId": gid, "amount": "99999.00", "idempotencyKey": str(uuid.uuid4())}}, officer))["loanRecover"]
    assert too_much["recovery"] is None and too_much["errors"][0]["code"] == "AMOUNT_TOO_LARGE"
