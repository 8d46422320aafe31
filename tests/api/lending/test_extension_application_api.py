"""The borrower's 展期 applications on the staff side of GraphQL (issue 17): an officer lists the branch's pending
applications (extensionApplicationsPending) and declines one with a reason the borrower reads
(loanExtensionApplicationDecline, the PAD's 不予受理 through the same service). A borrower may not decline (FORBIDDEN),
another branch's officer neither sees nor declines it (NOT_FOUND, as on the PAD), a blank reason is a typed error in
Chinese, and a refused decline changes nothing."""

import base64
import uuid

from app.domain.vocabulary import ActorType, ExtensionApplicationStatus
from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, ExtensionApplication
from app.services import business_date
from app.services.actor import SYSTEM, Actor
from app.services.lending.drawdown import draw_down
from app.services.lending.extension import apply_for_extension
from tests.api.lending.test_classification_api import _run, _token
from tests.factories import customer_with_line
from tests.factories.borrower import gql, sign_in
from tests.services.lending.conftest import TODAY

PENDING = """query($loan: ID) { extensionApplicationsPending(loanId: $loan) {
  totalCount edges { node { id loanId months reason appliedOn status progress } } } }"""
DECLINE = """mutation($input: LoanExtensionApplicationDeclineInput!) { loanExtensionApplicationDecline(input: $input) {
  application { id status statusLabel progress outcomeReason decidedOn } errors { code field message } } }"""


def gid(kind: str, value) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


async def _applied(vault):
    await business_date.set_current(TODAY)
    customer, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    application = await apply_for_extension(actor=Actor(type=ActorType.CUSTOMER, id=customer.id), loan_id=loan.id, months=2,
                                            reason="春耕资金周转", today=TODAY)
    return loan, application


async def test_an_officer_lists_and_declines_an_application_and_the_borrower_reads_why(client, app, demo, vault):
    # given the borrower's pending application
    loan, application = await _applied(vault)
    officer = await _token("officer1")
    # the officer of the branch lists it (all the branch's, or one loan's)
    listed = (await _run(client, PENDING, {"loan": None}, officer))["extensionApplicationsPending"]
    assert listed["totalCount"] == 1
    assert listed["edges"][0]["node"] == {"id": str(application.id), "loanId": gid("Loan", loan.id), "months": 2, "reason": "春耕资金周转",
                                          "appliedOn": TODAY.isoformat(), "status": "PENDING", "progress": "SUBMITTED"}
    assert (await _run(client, PENDING, {"loan": gid("Loan", loan.id)}, officer))["extensionApplicationsPending"]["totalCount"] == 1
    # when the reason is blank or too long, then a typed error in Chinese and the application still waits
    blank = (await _run(client, DECLINE, {"input": {"applicationId": str(application.id), "reason": "  "}}, officer))["loanExtensionApplicationDecline"]
    assert blank == {"application": None, "errors": [{"code": "REASON_REQUIRED", "field": "reason", "message": "请填写不予受理的原因（借款人可见）"}]}
    long = (await _run(client, DECLINE, {"input": {"applicationId": str(application.id), "reason": "长" * 201}}, officer))["loanExtensionApplicationDecline"]
    assert long == {"application": None, "errors": [{"code": "INVALID", "field": "reason", "message": "原因最多 200 个字"}]}
    bad_id = (await _run(client, DECLINE, {"input": {"applicationId": "x", "reason": "不符合条件"}}, officer))["loanExtensionApplicationDecline"]
    assert bad_id == {"application": None, "errors": [{"code": "NOT_FOUND", "field": "applicationId", "message": "展期申请不存在"}]}
    assert (await ExtensionApplication.get(id=application.id)).status == ExtensionApplicationStatus.PENDING
    # when the officer declines it with a reason
    done = (await _run(client, DECLINE, {"input": {"applicationId": str(application.id), "reason": "经营流水不足，暂不受理"}}, officer))[
        "loanExtensionApplicationDecline"]
    # then it is declined, off the pending list, and the borrower reads why in the app
    assert done == {"application": {"id": str(application.id), "status": "DECLINED", "statusLabel": "未获受理", "progress": "DECLINED",
                                    "outcomeReason": "经营流水不足，暂不受理", "decidedOn": TODAY.isoformat()}, "errors": []}
    assert (await _run(client, PENDING, {"loan": None}, officer))["extensionApplicationsPending"]["totalCount"] == 0
    assert await AuditEvent.filter(action="loan.extension_decline", entity_id=str(loan.id)).count() == 1
    token = (await sign_in(client, app))["accessToken"]
    mine = (await gql(client, "LoanExtensionApplications", {}, token=token))["data"]["loanExtensionApplications"]
    assert [(e["node"]["progress"], e["node"]["outcomeReason"]) for e in mine["edges"]] == [("DECLINED", "经营流水不足，暂不受理")]
    # and deciding it twice is refused
    again = (await _run(client, DECLINE, {"input": {"applicationId": str(application.id), "reason": "再次"}}, officer))["loanExtensionApplicationDecline"]
    assert again == {"application": None, "errors": [{"code": "WRONG_STATUS", "field": "applicationId", "message": "该展期申请未获受理，不能再处理"}]}


async def test_a_borrower_may_not_decline_and_another_branch_neither_sees_nor_declines(client, app, demo, vault):
    loan, application = await _applied(vault)
    variables = {"input": {"applicationId": str(application.id), "reason": "不符合条件"}}
    # the borrower: refused at the door, as every staff mutation
    token = (await sign_in(client, app))["accessToken"]
    borrower = (await client.post("/graphql", json={"query": DECLINE, "variables": variables}, headers={"Authorization": f"Bearer {token}"})).json()
    assert borrower["data"] is None and borrower["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    listed = (await client.post("/graphql", json={"query": PENDING, "variables": {}}, headers={"Authorization": f"Bearer {token}"})).json()
    assert listed["data"] is None and listed["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    # another branch's officer: the application does not exist for them
    other = await _token("officer2")
    assert (await _run(client, PENDING, {"loan": None}, other))["extensionApplicationsPending"]["totalCount"] == 0
    hidden = (await _run(client, DECLINE, variables, other))["loanExtensionApplicationDecline"]
    assert hidden == {"application": None, "errors": [{"code": "NOT_FOUND", "field": "applicationId", "message": "展期申请不存在"}]}
    stored = await ExtensionApplication.get(id=application.id)
    assert (stored.status, stored.decline_reason) == (ExtensionApplicationStatus.PENDING, None)
    assert not await AuditEvent.filter(action="loan.extension_decline").exists()
