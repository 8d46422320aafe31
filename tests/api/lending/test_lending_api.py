"""The lending operations of graphql/mobile through HTTP, with an officer's bearer token."""

import base64
import uuid
from datetime import UTC, datetime

from app.config import ROOT
from app.models import CreditLine, Loan
from app.services import business_date
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD, customer_with_line
from tests.services.lending.conftest import TODAY


def _doc(name: str) -> str:
    """The mobile app's operations; LoanDrawdown is the officers' counter drawdown (not a mobile operation)."""
    folder = ROOT / "tests" / "api" / "documents" if name == "LoanDrawdown" else ROOT / "graphql" / "mobile"
    return (folder / f"{name}.graphql").read_text(encoding="utf-8")


def _gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def _token(username="officer1"):
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def _run(client, name, variables, headers):
    response = await client.post("/graphql", json={"query": _doc(name), "variables": variables}, headers=headers)
    assert response.status_code == 200
    return response.json()


async def test_officer_draws_quotes_repays_and_reads_the_loan(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    headers = await _token()
    line_id = _gid("CreditLine", line.id)
    # the line is listed
    lines = (await _run(client, "CreditLines", {}, headers))["data"]["creditLines"]
    assert lines["totalCount"] == 1 and lines["edges"][0]["node"]["available"] == "100000.00"
    # quote
    quote = (await _run(client, "DrawdownQuote", {"input": {"creditLineId": line_id, "amount": "12000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT"}}, headers))["data"]["drawdownQuote"]
    assert quote["errors"] == [] and quote["annualRatePercent"] == "4.50" and len(quote["installments"]) == 12
    # draw twice with one key: one loan
    key = str(uuid.uuid4())
    variables = {"input": {"creditLineId": line_id, "amount": "12000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT", "idempotencyKey": key}}
    first = (await _run(client, "LoanDrawdown", variables, headers))["data"]["loanDrawdown"]
    again = (await _run(client, "LoanDrawdown", variables, headers))["data"]["loanDrawdown"]
    assert first["errors"] == [] and first["loan"]["id"] == again["loan"]["id"]
    assert first["loan"]["principal"] == "12000.00" and first["loan"]["installments"][0]["interest"] == "45.00"
    assert await Loan.all().count() == 1
    # nothing is due yet: a repayment is a typed error
    repaid = (await _run(client, "LoanRepay", {"input": {"loanId": first["loan"]["id"], "amount": "100.00", "idempotencyKey": str(uuid.uuid4())}}, headers))["data"]["loanRepay"]
    assert repaid["loan"] is None and repaid["errors"][0]["code"] == "NOTHING_DUE" and repaid["errors"][0]["field"] == "amount"
    # the loan with schedule and its transactions
    loans = (await _run(client, "Loans", {}, headers))["data"]["loans"]
    assert loans["edges"][0]["node"]["outstandingPrincipal"] == "12000.00"
    txns = (await _run(client, "LoanTransactions", {"id": first["loan"]["id"]}, headers))["data"]["node"]["transactions"]
    assert [t["kind"] for t in txns] == ["DISBURSEMENT"]
    assert {(x["account"], x["debit"], x["credit"]) for x in txns[0]["lines"]} == {("CLEARING", "0.00", "12000.00"), ("LOAN_PRINCIPAL", "12000.00", "0.00")}


async def test_payoff_quote_and_prepay_through_the_api(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    headers = await _token()
    key = str(uuid.uuid4())
    loan = (await _run(client, "LoanDrawdown", {"input": {"creditLineId": _gid("CreditLine", line.id), "amount": "6000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL", "idempotencyKey": key}}, headers))["data"]["loanDrawdown"]["loan"]
    from datetime import timedelta

    await business_date.set_current(TODAY + timedelta(days=5))
    quote = (await _run(client, "LoanPrepaymentQuote", {"input": {"loanId": loan["id"]}}, headers))["data"]["loanPrepaymentQuote"]
    assert quote["full"] is True and quote["principal"] == "6000.00" and quote["interest"] == "3.75"  # 6000 × 4.5% × 5/360
    unasked = (await _run(client, "LoanPrepay", {"input": {"loanId": loan["id"], "idempotencyKey": str(uuid.uuid4())}}, headers))["data"]["loanPrepay"]
    assert unasked["errors"][0]["field"] == "amount" and "全部结清" in unasked["errors"][0]["message"]  # a payoff is never implied
    paid = (await _run(client, "LoanPrepay", {"input": {"loanId": loan["id"], "idempotencyKey": str(uuid.uuid4()), "payoff": True}}, headers))["data"]["loanPrepay"]
    assert paid["errors"] == [] and paid["loan"]["status"] == "SETTLED"
    assert (await CreditLine.get(id=line.id)).used_fen == 0


async def test_bad_drawdowns_are_typed_errors_and_write_nothing(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault, limit_yuan=5000)
    headers = await _token()
    cases = [
        ({"amount": "0"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "12.345"}, "INVALID_AMOUNT", "amount"),
        ({"amount": "6000.00"}, "AMOUNT_ABOVE_AVAILABLE", "amount"),
        ({"termMonths": 48}, "INVALID_TERM", "termMonths"),
        ({"creditLineId": _gid("Loan", line.id)}, "NOT_FOUND", "creditLineId"),
        ({"creditLineId": "garbage"}, "NOT_FOUND", "creditLineId"),
    ]
    for overrides, code, field in cases:
        variables = {"creditLineId": _gid("CreditLine", line.id), "amount": "1000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT", "idempotencyKey": str(uuid.uuid4()), **overrides}
        payload = (await _run(client, "LoanDrawdown", {"input": variables}, headers))["data"]["loanDrawdown"]
        assert payload["loan"] is None
        assert [(e["code"], e["field"]) for e in payload["errors"]] == [(code, field)], overrides
    assert await Loan.all().count() == 0


async def test_an_officer_of_another_branch_sees_nothing(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    headers = await _token("officer2")
    lines = (await _run(client, "CreditLines", {}, headers))["data"]["creditLines"]
    assert lines["totalCount"] == 0
    payload = (await _run(client, "LoanDrawdown", {"input": {"creditLineId": _gid("CreditLine", line.id), "amount": "1000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT", "idempotencyKey": str(uuid.uuid4())}}, headers))["data"]["loanDrawdown"]
    assert payload["errors"][0]["code"] == "NOT_FOUND"


async def test_anonymous_callers_cannot_draw(client, demo):
    body = (await client.post("/graphql", json={"query": _doc("LoanDrawdown"), "variables": {"input": {"creditLineId": "x", "amount": "1", "termMonths": 1, "method": "EQUAL_INSTALLMENT", "idempotencyKey": str(uuid.uuid4())}}})).json()
    assert body["data"] is None and body["errors"][0]["message"] == "请先登录"
    assert body["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"


async def test_lpr_publish_is_for_admins(client, demo):
    mutation = "mutation P($input: LprPublishInput!) { lprPublish(input: $input) { rates { tenor ratePercent } errors { code field message } } }"
    variables = {"input": {"publishedOn": "2026-11-20", "oneYearPercent": "2.95", "fiveYearPercent": "3.45"}}
    refused = (await client.post("/graphql", json={"query": mutation, "variables": variables}, headers=await _token("officer1"))).json()
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert refused["errors"][0]["message"] == "您没有“录入 LPR”的权限"
    done = (await client.post("/graphql", json={"query": mutation, "variables": variables}, headers=await _token("admin"))).json()
    assert done["data"]["lprPublish"]["rates"] == [{"tenor": "ONE_YEAR", "ratePercent": "2.95"}, {"tenor": "FIVE_YEAR", "ratePercent": "3.45"}]
    again = (await client.post("/graphql", json={"query": mutation, "variables": variables}, headers=await _token("admin"))).json()
    assert again["data"]["lprPublish"]["errors"][0]["code"] == "DUPLICATE"


async def test_the_risk_gate_holds_at_the_api_door(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault, sequence=931)  # bad-debt report: rejected
    variables = {"input": {"creditLineId": _gid("CreditLine", line.id), "amount": "1000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT", "idempotencyKey": str(uuid.uuid4())}}
    payload = (await _run(client, "LoanDrawdown", variables, await _token()))["data"]["loanDrawdown"]
    assert payload["loan"] is None
    assert payload["errors"][0]["code"] == "RISK_REJECTED" and "呆账" in payload["errors"][0]["message"]
    assert await Loan.all().count() == 0


async def test_borrowers_cannot_skip_the_confirmed_application(client, demo, vault):
    """A customer token may not call loanDrawdown: the app goes through loanApply and a confirmed code."""
    from app.domain.vocabulary import ActorType
    from app.services.actor import Actor

    await business_date.set_current(TODAY)
    customer, line = await customer_with_line(vault)
    from app.api.context import Context
    from app.api.schema import schema

    context = Context(request=None, actor=Actor(type=ActorType.CUSTOMER, id=customer.id))
    variables = {"input": {"creditLineId": _gid("CreditLine", line.id), "amount": "1000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT", "idempotencyKey": str(uuid.uuid4())}}
    result = await schema.execute(_doc("LoanDrawdown"), variable_values=variables, context_value=context)
    assert result.data is None and result.errors[0].message == "仅限银行工作人员"
    assert await Loan.all().count() == 0


BAD_AMOUNTS = {"abc": "金额格式不正确", "1.001": "金额最多保留两位小数", "-1": "金额不能为负数", "": "金额格式不正确", "9" * 30: "金额过大"}


async def test_bad_money_strings_at_every_lending_door_are_typed_errors_on_amount(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    headers = await _token()
    line_id = _gid("CreditLine", line.id)
    draw = {"creditLineId": line_id, "amount": "6000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL"}
    loan = (await _run(client, "LoanDrawdown", {"input": {**draw, "idempotencyKey": str(uuid.uuid4())}}, headers))["data"]["loanDrawdown"]["loan"]
    doors = [
        ("DrawdownQuote", "drawdownQuote", draw),
        ("LoanDrawdown", "loanDrawdown", {**draw, "idempotencyKey": str(uuid.uuid4())}),
        ("LoanRepay", "loanRepay", {"loanId": loan["id"], "idempotencyKey": str(uuid.uuid4())}),
        ("LoanPrepay", "loanPrepay", {"loanId": loan["id"], "idempotencyKey": str(uuid.uuid4())}),
        ("LoanPrepaymentQuote", "loanPrepaymentQuote", {"loanId": loan["id"]}),
    ]
    for name, field, variables in doors:
        for text, message in BAD_AMOUNTS.items():
            payload = (await _run(client, name, {"input": {**variables, "amount": text}}, headers))["data"][field]
            assert [(e["code"], e["field"], e["message"]) for e in payload["errors"]] == [("INVALID_AMOUNT", "amount", message)], (name, text)
        too_long = await _run(client, name, {"input": {**variables, "amount": "1" * 41}}, headers)
        assert too_long["data"] is None and "too long" in too_long["errors"][0]["message"], name
    assert await Loan.all().count() == 1 and (await Loan.get()).status == "active"  # "" is a bad amount, never a payoff
    # exponent notation is not an amount anyone writes: refused, not read as 1,000 yuan
    quote = (await _run(client, "DrawdownQuote", {"input": {**draw, "amount": "1e3"}}, headers))["data"]["drawdownQuote"]
    assert [(e["code"], e["field"]) for e in quote["errors"]] == [("INVALID_AMOUNT", "amount")]


async def test_bad_rate_strings_at_lpr_publish_are_typed_errors_on_their_field(client, demo):
    mutation = "mutation P($input: LprPublishInput!) { lprPublish(input: $input) { rates { tenor } errors { code field message } } }"
    headers = await _token("admin")
    cases = [
        ({"oneYearPercent": "abc"}, "oneYearPercent", "利率格式不正确"),
        ({"oneYearPercent": "-1"}, "oneYearPercent", "利率不能为负数"),
        ({"fiveYearPercent": "3.12345"}, "fiveYearPercent", "利率最多保留四位小数"),
        ({"fiveYearPercent": ""}, "fiveYearPercent", "利率格式不正确"),
        ({"oneYearPercent": "25"}, "oneYearPercent", "LPR 应在 0% 到 20% 之间"),
    ]
    for overrides, field, message in cases:
        variables = {"input": {"publishedOn": "2026-11-20", "oneYearPercent": "2.95", "fiveYearPercent": "3.45", **overrides}}
        body = (await client.post("/graphql", json={"query": mutation, "variables": variables}, headers=headers)).json()
        payload = body["data"]["lprPublish"]
        assert payload["rates"] == [] and [(e["code"], e["field"], e["message"]) for e in payload["errors"]] == [("INVALID_RATE", field, message)], overrides


DRAW = """mutation D($input: LoanDrawdownInput!) { loanDrawdown(input: $input) {
  loan { id principal } command { id kind status effectSeen { figures { label before after } } } errors { code field message } } }"""
APPROVE = """mutation($input: CommandApproveInput!) { commandApprove(input: $input) { command { status } errors { code message } } }"""


async def test_a_counter_drawdown_above_the_threshold_waits_for_a_checker(client, demo, vault, app):
    from app.domain.maker_checker import MakerCheckerPolicy

    app.state.maker_checker_policy = MakerCheckerPolicy(counter_drawdown_above_fen=1_000_000)  # above ¥10,000
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    officer = await _token()
    variables = {"input": {"creditLineId": _gid("CreditLine", line.id), "amount": "12000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT",
                           "idempotencyKey": str(uuid.uuid4())}}
    body = (await client.post("/graphql", json={"query": DRAW, "variables": variables}, headers=officer)).json()["data"]["loanDrawdown"]
    assert body["errors"] == [] and body["loan"] is None and body["command"]["kind"] == "COUNTER_DRAWDOWN" and body["command"]["status"] == "PENDING"
    assert {f["label"]: f["after"] for f in body["command"]["effectSeen"]["figures"]}["可用额度"] == "88000.00"
    assert await Loan.all().count() == 0
    own = (await client.post("/graphql", json={"query": APPROVE, "variables": {"input": {"commandId": body["command"]["id"]}}}, headers=officer)).json()
    assert own["data"] is None or own["data"]["commandApprove"]["command"] is None  # an officer may not check at all
    done = (await client.post("/graphql", json={"query": APPROVE, "variables": {"input": {"commandId": body["command"]["id"]}}},
                              headers=await _token("approver"))).json()["data"]["commandApprove"]
    assert done == {"command": {"status": "APPROVED"}, "errors": []}
    assert (await Loan.get()).principal_fen == 1_200_000 and (await CreditLine.get(id=line.id)).used_fen == 1_200_000
    small = {"input": {**variables["input"], "amount": "10000.00", "idempotencyKey": str(uuid.uuid4())}}
    paid = (await client.post("/graphql", json={"query": DRAW, "variables": small}, headers=officer)).json()["data"]["loanDrawdown"]
    assert paid["errors"] == [] and paid["command"] is None and paid["loan"]["principal"] == "10000.00"  # up to the threshold: at once
