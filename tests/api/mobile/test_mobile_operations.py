"""Every operation of graphql/mobile through HTTP: right credentials work, wrong ones are refused."""

import base64
import uuid
from datetime import UTC, datetime

from app.models import AuditEvent, BankCard, CardLookup, Loan, LoanApplication, RiskDecision
from app.services import auth, business_date
from tests.factories import DEMO_PASSWORD
from tests.factories_borrower import (
    DEVICE,
    PHONE,
    borrower,
    broken_luhn,
    card_number,
    gql,
    last_sms_code,
    mobile_operations,
    other_borrower,
    sign_in,
)
from tests.services.lending.conftest import TODAY

COVERED: set[str] = set()


def covers(*names):
    def mark(fn):
        COVERED.update(names)
        return fn

    return mark


def _gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def _officer_token(username="officer1") -> str:
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return token


def _refused(body: dict, code: str = "UNAUTHENTICATED") -> None:
    assert body["data"] is None
    assert [e["extensions"]["code"] for e in body["errors"]] == [code]


@covers("SignInRequestCode", "SignInVerify")
async def test_sign_in_with_the_sms_code_and_not_with_a_wrong_one(client, app, demo, vault):
    await borrower(vault)
    asked = (await gql(client, "SignInRequestCode", {"input": {"phone": PHONE}}))["data"]["signInRequestCode"]
    assert asked["errors"] == [] and asked["phoneMasked"] == "138****0000" and asked["resendAfterSeconds"] == 60
    assert asked["devCode"] == last_sms_code(app)  # the sandbox shows the code in dev/test only
    wrong = f"{(int(asked['devCode']) + 1) % 1_000_000:06d}"
    refused = (await gql(client, "SignInVerify", {"input": {"phone": PHONE, "code": wrong, "deviceId": DEVICE}}))["data"]["signInVerify"]
    assert refused["tokens"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [("BAD_CODE", "code")]
    done = (await gql(client, "SignInVerify", {"input": {"phone": PHONE, "code": asked["devCode"], "deviceId": DEVICE}}))["data"]["signInVerify"]
    assert done["errors"] == [] and done["tokens"]["accessToken"].startswith("cxa1.")
    bad_phone = (await gql(client, "SignInRequestCode", {"input": {"phone": "12345"}}))["data"]["signInRequestCode"]
    assert [(e["code"], e["field"]) for e in bad_phone["errors"]] == [("INVALID_PHONE", "phone")] and bad_phone["devCode"] is None


async def test_a_code_cannot_be_asked_twice_a_minute(client, app, demo, vault):
    await borrower(vault)
    await gql(client, "SignInRequestCode", {"input": {"phone": PHONE}})
    again = (await gql(client, "SignInRequestCode", {"input": {"phone": PHONE}}))["data"]["signInRequestCode"]
    assert [e["code"] for e in again["errors"]] == ["RATE_LIMITED"] and again["devCode"] is None
    assert len([m for m in (await _view_sms(app)) if m.phone == PHONE]) == 1


async def _view_sms(app):
    from tests.factories_borrower import graphql_view

    return list(graphql_view(app).mobile.sms.messages)


@covers("TokenRefresh")
async def test_refresh_rotates_and_a_replay_signs_the_family_out(client, app, demo, vault):
    await borrower(vault)
    tokens = await sign_in(client, app)
    variables = {"input": {"refreshToken": tokens["refreshToken"], "deviceId": DEVICE}}
    fresh = (await gql(client, "TokenRefresh", variables))["data"]["tokenRefresh"]
    assert fresh["errors"] == [] and fresh["tokens"]["refreshToken"] != tokens["refreshToken"]
    replay = (await gql(client, "TokenRefresh", variables))["data"]["tokenRefresh"]
    assert replay["tokens"] is None and [(e["code"], e["field"]) for e in replay["errors"]] == [("TOKEN_REUSED", "refreshToken")]
    assert (await gql(client, "Me", token=fresh["tokens"]["accessToken"]))["data"]["me"] is None  # the family is gone
    assert await AuditEvent.filter(action="borrower.refresh_replayed").count() == 1


@covers("SignOutEverywhere", "Me")
async def test_me_and_sign_out_everywhere_need_the_customer_token(client, app, demo, vault):
    customer, _ = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    me = (await gql(client, "Me", token=token))["data"]["me"]
    assert me["id"] == str(customer.id) and me["cards"][0]["numberMasked"] == "6217 **** **** 1234"
    assert me["onlineOffer"]["isOwnBank"] is True  # the counter-bound card is looked up once
    assert await CardLookup.all().count() == 1
    # officers and anonymous callers have no `me`, and cannot sign a customer out
    assert (await gql(client, "Me", token=await _officer_token()))["data"]["me"] is None
    assert (await gql(client, "Me"))["data"]["me"] is None
    _refused(await gql(client, "SignOutEverywhere", token=await _officer_token()))
    _refused(await gql(client, "SignOutEverywhere"))
    out = (await gql(client, "SignOutEverywhere", token=token))["data"]["signOutEverywhere"]
    assert out == {"signedOutDevices": 1, "errors": []}
    assert (await gql(client, "Me", token=token))["data"]["me"] is None
    _refused(await gql(client, "SignOutEverywhere", token=token))


@covers("CardBind")
async def test_card_bind_checks_luhn_and_the_opening_bank(client, app, demo, vault):
    customer, _ = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    # a typo: Luhn fails, nothing is bound, the attempt is recorded
    typo = (await gql(client, "CardBind", {"input": {"cardNumber": broken_luhn(card_number("5678"))}}, token=token))["data"]["cardBind"]
    assert typo["card"] is None and [(e["code"], e["field"]) for e in typo["errors"]] == [("CARD_CHECKSUM", "cardNumber")]
    assert await BankCard.filter(customer_id=customer.id).count() == 1
    refused = await AuditEvent.get(action="bank_card.bind_refused")
    assert refused.after == {"code": "CARD_CHECKSUM", "last4": "5679"}  # 6217 0000 2008 5678 with its last digit off by one
    # another bank's card: bound as the default, but no online products
    icbc = (await gql(client, "CardBind", {"input": {"cardNumber": card_number("0004")}}, token=token))["data"]["cardBind"]
    assert icbc["errors"] == [] and icbc["card"]["bankName"] == "中国工商银行" and icbc["card"]["isOwnBank"] is False
    assert icbc["offer"]["products"] == [] and "中国工商银行" in icbc["offer"]["message"]
    cards = await BankCard.filter(customer_id=customer.id).order_by("bound_at")
    assert [c.is_default for c in cards] == [False, True]
    # binding the first card again makes it the default again
    own = (await gql(client, "CardBind", {"input": {"cardNumber": "6217 0000 1000 1234"}}, token=token))["data"]["cardBind"]
    assert own["card"]["isOwnBank"] is True and len(own["offer"]["products"]) >= 1
    assert await BankCard.filter(customer_id=customer.id).count() == 2
    assert await BankCard.filter(customer_id=customer.id, is_default=True).values_list("card_number_masked", flat=True) == ["6217 **** **** 1234"]
    # officers cannot bind a card through the app's mutation
    _refused(await gql(client, "CardBind", {"input": {"cardNumber": card_number("5678")}}, token=await _officer_token()))


@covers("CreditAuthorisationSign", "LoanApply", "LoanApplicationConfirm")
async def test_apply_and_confirm_are_the_customers_own(client, app, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await borrower(vault)
    _, other_line = await other_borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    _refused(await gql(client, "CreditAuthorisationSign", {"input": {"agree": True}}))
    declined = (await gql(client, "CreditAuthorisationSign", {"input": {"agree": False}}, token=token))["data"]["creditAuthorisationSign"]
    assert [(e["code"], e["field"]) for e in declined["errors"]] == [("INVALID", "agree")]
    apply = {"creditLineId": _gid("CreditLine", line.id), "amount": "150000.00", "termMonths": 12, "method": "EQUAL_PRINCIPAL", "idempotencyKey": str(uuid.uuid4())}
    # someone else's line reads as missing; anonymous callers are refused
    foreign = (await gql(client, "LoanApply", {"input": {**apply, "creditLineId": _gid("CreditLine", other_line.id)}}, token=token))["data"]["loanApply"]
    assert [(e["code"], e["field"]) for e in foreign["errors"]] == [("NOT_FOUND", "creditLineId")]
    _refused(await gql(client, "LoanApply", {"input": apply}))
    # more than the line: the amount is decided within it (the line has 100,000 available)
    applied = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]
    assert applied["errors"] == [] and applied["application"]["approvedAmount"] == "100000.00"
    assert applied["application"]["requestedAmount"] == "150000.00"
    again = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]
    assert again["application"]["id"] == applied["application"]["id"] and await LoanApplication.all().count() == 1
    confirm = {"applicationId": applied["application"]["id"], "code": last_sms_code(app)}
    # another customer cannot confirm it
    other_token = (await sign_in(client, app, phone="13800000001", device="other-device-01"))["accessToken"]
    stolen = (await gql(client, "LoanApplicationConfirm", {"input": confirm}, token=other_token))["data"]["loanApplicationConfirm"]
    assert [(e["code"], e["field"]) for e in stolen["errors"]] == [("NOT_FOUND", "applicationId")]
    _refused(await gql(client, "LoanApplicationConfirm", {"input": confirm}))
    assert await Loan.all().count() == 0
    done = (await gql(client, "LoanApplicationConfirm", {"input": confirm}, token=token))["data"]["loanApplicationConfirm"]
    assert done["errors"] == [] and done["loan"]["principal"] == "100000.00"


async def test_a_wrong_confirmation_code_locks_the_application(client, app, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    apply = {"creditLineId": _gid("CreditLine", line.id), "amount": "5000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL", "idempotencyKey": str(uuid.uuid4())}
    application = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]["application"]
    code = last_sms_code(app)
    wrong = {"applicationId": application["id"], "code": f"{(int(code) + 1) % 1_000_000:06d}"}
    codes = [(await gql(client, "LoanApplicationConfirm", {"input": wrong}, token=token))["data"]["loanApplicationConfirm"]["errors"][0]["code"] for _ in range(5)]
    assert codes == ["BAD_CODE"] * 4 + ["CODE_LOCKED"]
    right = (await gql(client, "LoanApplicationConfirm", {"input": {**wrong, "code": code}}, token=token))["data"]["loanApplicationConfirm"]
    assert [e["code"] for e in right["errors"]] == ["CODE_LOCKED"] and right["loan"] is None
    assert await Loan.all().count() == 0
    assert await AuditEvent.filter(action="loan_application.code_failed").count() == 6


async def test_a_rejected_credit_check_stops_the_application(client, app, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await borrower(vault, sequence=931, checked=False)  # the sandbox bureau's bad-debt report
    token = (await sign_in(client, app))["accessToken"]
    await gql(client, "CreditAuthorisationSign", {"input": {"agree": True}}, token=token)
    apply = {"creditLineId": _gid("CreditLine", line.id), "amount": "5000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL", "idempotencyKey": str(uuid.uuid4())}
    refused = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]
    assert refused["application"] is None and [e["code"] for e in refused["errors"]] == ["RISK_REJECTED"]
    row = await LoanApplication.get()
    assert row.status.value == "rejected" and row.risk_decision_id is not None and row.code_hash == ""
    assert [m for m in await _view_sms(app) if "借款" in m.text] == []


async def test_the_anti_fraud_strategy_stops_or_refers_the_application(client, app, demo, vault):
    from app.models import RiskStrategyDecision
    from app.services.risk import add_to_list
    from tests.factories_villages import actor

    await business_date.set_current(TODAY)
    customer, line = await borrower(vault)
    other, _ = await other_borrower(vault)
    own_card = await BankCard.get(customer_id=customer.id, unbound_at=None)
    await BankCard.filter(customer_id=other.id).update(card_number_hash=own_card.card_number_hash)  # the same card on another customer
    token = (await sign_in(client, app))["accessToken"]
    apply = {"creditLineId": _gid("CreditLine", line.id), "amount": "5000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL", "idempotencyKey": str(uuid.uuid4())}
    refused = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]
    assert refused["application"] is None and [e["code"] for e in refused["errors"]] == ["RISK_REJECTED"]
    assert "SHARED_CARD" not in str(refused) and "银行卡" not in str(refused)  # the borrower is not told which rule fired
    row = await LoanApplication.get()
    strategy = await RiskStrategyDecision.get(id=row.strategy_decision_id)
    assert row.status.value == "rejected" and strategy.decision.value == "reject" and [h["code"] for h in strategy.hits] == ["SHARED_CARD"]
    assert (await RiskDecision.get(id=row.risk_decision_id)).decision.value == "pass"  # the report itself was clean
    assert await Loan.all().count() == 0

    await BankCard.filter(customer_id=other.id).update(card_number_hash="0" * 64)
    await add_to_list(actor=await actor("manager"), vault=vault, id_number=vault.decrypt(customer.id_number_enc, context=b"id_number"),
                      name=customer.name, list_kind="grey", reason="多头借贷", today=TODAY)
    referred = (await gql(client, "LoanApply", {"input": {**apply, "idempotencyKey": str(uuid.uuid4())}}, token=token))["data"]["loanApply"]
    assert [e["code"] for e in referred["errors"]] == ["REFERRED"]
    assert (await LoanApplication.filter(status="referred").count()) == 1


async def test_another_banks_default_card_cannot_receive_an_app_loan(client, app, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    await gql(client, "CardBind", {"input": {"cardNumber": card_number("0004")}}, token=token)
    apply = {"creditLineId": _gid("CreditLine", line.id), "amount": "5000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL", "idempotencyKey": str(uuid.uuid4())}
    refused = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]
    assert [e["code"] for e in refused["errors"]] == ["CARD_NOT_ELIGIBLE"]
    assert await LoanApplication.all().count() == 0


@covers("CreditLines", "Loans", "DrawdownQuote", "LoanRepay", "LoanPrepay", "LoanPrepaymentQuote", "LoanTransactions")
async def test_lending_operations_with_a_customer_token_see_only_their_own(client, app, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await borrower(vault)
    _, other_line = await other_borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    line_id = _gid("CreditLine", line.id)
    lines = (await gql(client, "CreditLines", {}, token=token))["data"]["creditLines"]
    assert [e["node"]["id"] for e in lines["edges"]] == [line_id]
    quote_vars = {"input": {"creditLineId": line_id, "amount": "6000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL"}}
    assert (await gql(client, "DrawdownQuote", quote_vars, token=token))["data"]["drawdownQuote"]["errors"] == []
    other_quote = {"input": {**quote_vars["input"], "creditLineId": _gid("CreditLine", other_line.id)}}
    assert (await gql(client, "DrawdownQuote", other_quote, token=token))["data"]["drawdownQuote"]["errors"][0]["code"] == "NOT_FOUND"
    # the app draws through loanApply + a confirmed code (test_mobile_journey); here the loan is made at the counter
    from app.integrations.core_banking import SandboxCoreBanking
    from app.services.actor import SYSTEM
    from app.services.lending.drawdown import draw_down

    made = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount="6000.00", term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    loan = {"id": _gid("Loan", made.id)}
    assert (await gql(client, "Loans", {}, token=token))["data"]["loans"]["totalCount"] == 1
    assert (await gql(client, "LoanTransactions", {"id": loan["id"]}, token=token))["data"]["node"]["transactions"][0]["kind"] == "disbursement"
    quote = (await gql(client, "LoanPrepaymentQuote", {"input": {"loanId": loan["id"]}}, token=token))["data"]["loanPrepaymentQuote"]
    assert quote["full"] is True and quote["principal"] == "6000.00"
    repay = (await gql(client, "LoanRepay", {"input": {"loanId": loan["id"], "amount": "10.00", "idempotencyKey": str(uuid.uuid4())}}, token=token))["data"]["loanRepay"]
    assert repay["errors"][0]["code"] == "NOTHING_DUE"
    # the other customer sees none of it
    other = (await sign_in(client, app, phone="13800000001", device="other-device-01"))["accessToken"]
    assert (await gql(client, "Loans", {}, token=other))["data"]["loans"]["totalCount"] == 0
    assert (await gql(client, "LoanTransactions", {"id": loan["id"]}, token=other))["data"]["node"] is None
    prepay = {"input": {"loanId": loan["id"], "idempotencyKey": str(uuid.uuid4())}}
    assert (await gql(client, "LoanPrepay", prepay, token=other))["data"]["loanPrepay"]["errors"][0]["code"] == "NOT_FOUND"
    # anonymous callers are refused
    for name, variables in [("CreditLines", {}), ("Loans", {}), ("DrawdownQuote", quote_vars), ("LoanPrepay", prepay)]:
        _refused(await gql(client, name, variables))
    paid = (await gql(client, "LoanPrepay", prepay, token=token))["data"]["loanPrepay"]
    assert paid["errors"] == [] and paid["loan"]["status"] == "settled"


@covers("Products", "SchedulePreview")
async def test_public_operations_need_no_token_and_reject_a_forged_one(client, demo):
    products = (await gql(client, "Products"))["data"]["products"]
    assert products and all(p["code"] for p in products)
    preview = {"input": {"principal": "1200.00", "annualRatePercent": "3.45", "termMonths": 12, "method": "EQUAL_PRINCIPAL", "startDate": "2026-01-15"}}
    assert len((await gql(client, "SchedulePreview", preview))["data"]["schedulePreview"]["installments"]) == 12
    # a forged borrower token is no one: public data still, nothing private
    assert (await gql(client, "Me", token="cxa1.eyJzdWIiOiJ4In0.forged"))["data"]["me"] is None


def test_every_mobile_operation_is_exercised_here():
    assert set(mobile_operations()) == COVERED
