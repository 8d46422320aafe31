"""Every operation of graphql/mobile through HTTP: right credentials work, wrong ones are refused."""

import base64
import json
import uuid
from datetime import UTC, datetime, timedelta

from app.models import AuditEvent, BankCard, CardBinding, CardLookup, Loan, LoanApplication, RiskDecision
from app.services.customers.identifiers import card_fields
from app.services import business_date
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD
from tests.factories.borrower import (
    DEVICE,
    PHONE,
    borrower,
    bind_card,
    broken_luhn,
    card_number,
    gql,
    graphql_view,
    holder_card,
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
    from tests.factories.borrower import graphql_view

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
    _refused(await gql(client, "SignOutEverywhere", token=await _officer_token()), "FORBIDDEN")
    _refused(await gql(client, "SignOutEverywhere"))
    out = (await gql(client, "SignOutEverywhere", token=token))["data"]["signOutEverywhere"]
    assert out == {"signedOutDevices": 1, "errors": []}
    assert (await gql(client, "Me", token=token))["data"]["me"] is None
    _refused(await gql(client, "SignOutEverywhere", token=token))


def _sent_to(app, phone: str) -> int:
    return sum(1 for m in graphql_view(app).mobile.sms.messages if m.phone == phone)


async def _bind(client, token: str, number: str, phone: str = PHONE) -> dict:
    return (await gql(client, "CardBind", {"input": {"cardNumber": number, "reservedPhone": phone}}, token=token))["data"]["cardBind"]


@covers("CardBind", "CardBindConfirm")
async def test_card_bind_checks_luhn_the_holder_and_the_code_sent_to_the_reserved_phone(client, app, demo, vault):
    customer, _ = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    own = holder_card(vault, customer, phone="13900000009")  # the phone reserved at the bank is not the app's sign-in phone
    # a typo: Luhn fails, nothing is bound, the attempt is recorded
    typo = await _bind(client, token, broken_luhn(own), "13900000009")
    assert typo["binding"] is None and [(e["code"], e["field"]) for e in typo["errors"]] == [("CARD_CHECKSUM", "cardNumber")]
    assert (await AuditEvent.get(action="bank_card.bind_refused")).after == {"code": "CARD_CHECKSUM", "last4": broken_luhn(own)[-4:]}
    # the customer's own card with another phone than the reserved one: the core says no, no code is sent
    sent_before = _sent_to(app, PHONE)
    wrong_phone = await _bind(client, token, own, PHONE)
    assert wrong_phone["binding"] is None and [(e["code"], e["field"]) for e in wrong_phone["errors"]] == [("HOLDER_MISMATCH", "cardNumber")]
    assert "预留手机号" in wrong_phone["errors"][0]["message"] and _sent_to(app, PHONE) == sent_before
    assert await CardBinding.all().count() == 0
    # the reserved phone: a code goes to it; a wrong code binds nothing
    asked = await _bind(client, token, own, "13900000009")
    assert asked["errors"] == [] and asked["binding"]["phoneMasked"] == "139****0009" and asked["binding"]["numberMasked"].endswith(" 5678")
    code = last_sms_code(app, "13900000009")
    assert asked["devCode"] == code and "尾号5678" in graphql_view(app).mobile.sms.messages[-1].text
    again_asked = await _bind(client, token, own, "13900000009")  # one code a minute to a phone
    assert [e["code"] for e in again_asked["errors"]] == ["RATE_LIMITED"] and _sent_to(app, "13900000009") == 1
    confirm = {"bindingId": asked["binding"]["id"]}
    wrong = (await gql(client, "CardBindConfirm", {"input": {**confirm, "code": "000000" if code != "000000" else "111111"}}, token=token))["data"]["cardBindConfirm"]
    assert wrong["card"] is None and [(e["code"], e["field"]) for e in wrong["errors"]] == [("BAD_CODE", "code")]
    assert await BankCard.filter(customer_id=customer.id).count() == 1 and (await CardBinding.get()).attempts == 1
    # the right code binds the card, holder verified, as the default card
    done = (await gql(client, "CardBindConfirm", {"input": {**confirm, "code": code}}, token=token))["data"]["cardBindConfirm"]
    assert done["errors"] == [] and (done["card"]["isOwnBank"], done["card"]["isDefault"], done["card"]["isVerified"]) == (True, True, True)
    assert len(done["offer"]["products"]) >= 1
    bound = await BankCard.get(customer_id=customer.id, card_number_hash=vault.lookup_hash(own))
    assert bound.verified_at is not None and bound.is_default and await BankCard.filter(customer_id=customer.id, is_default=True).count() == 1
    assert (await AuditEvent.get(action="bank_card.bind")).after["verified"] is True
    again = (await gql(client, "CardBindConfirm", {"input": {**confirm, "code": code}}, token=token))["data"]["cardBindConfirm"]
    assert [e["code"] for e in again["errors"]] == ["ALREADY_BOUND"]
    # another bank's card of the customer binds too, without online products
    icbc = await bind_card(client, app, token, holder_card(vault, customer, last4="0004"))
    assert icbc["card"]["bankName"] == "中国工商银行" and icbc["offer"]["products"] == [] and "中国工商银行" in icbc["offer"]["message"]
    # officers cannot bind a card through the app's mutation
    _refused(await gql(client, "CardBind", {"input": {"cardNumber": own, "reservedPhone": PHONE}}, token=await _officer_token()), "FORBIDDEN")


async def test_the_sandbox_holder_card_of_docs_sandbox_md():
    from app.integrations.core_banking import SandboxCoreBanking, sandbox_card_number

    number = sandbox_card_number(name="王建国", id_number="141023196803153574", phone="13800000000", last4="5678")
    assert number == "6217054843705265678"  # the example row of docs/sandbox.md
    core = SandboxCoreBanking()
    assert (await core.verify_holder(card_number=number, name="王建国", id_number="141023196803153574", phone="13800000000")).matched
    for name, id_number, phone in (("王建图", "141023196803153574", "13800000000"), ("王建国", "141023196803153590", "13800000000"),
                                   ("王建国", "141023196803153574", "13800000001")):
        assert not (await core.verify_holder(card_number=number, name=name, id_number=id_number, phone=phone)).matched


async def test_a_stranger_cannot_bind_a_victims_card(client, app, demo, vault):
    # given a victim whose card and reserved phone the stranger knows
    victim, _ = await borrower(vault)
    stranger, _ = await other_borrower(vault, phone="13800000001")
    victims_card = holder_card(vault, victim, phone=PHONE)
    token = (await sign_in(client, app, phone="13800000001"))["accessToken"]
    sent_before = _sent_to(app, PHONE), _sent_to(app, "13800000001")
    # when the stranger binds it, with the victim's reserved phone or their own
    for phone in (PHONE, "13800000001"):
        refused = await _bind(client, token, victims_card, phone)
        # then the core's holder check refuses (the stranger's name and ID number are not the holder's)
        assert refused["binding"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [("HOLDER_MISMATCH", "cardNumber")]
    # and no code went anywhere, nothing is bound, each refusal is audited
    assert (_sent_to(app, PHONE), _sent_to(app, "13800000001")) == sent_before
    assert not await BankCard.filter(card_number_hash=vault.lookup_hash(victims_card)).exists()
    assert await CardBinding.all().count() == 0
    refusals = await AuditEvent.filter(action="bank_card.bind_refused").order_by("at")
    assert [(e.entity_id, e.after["code"]) for e in refusals] == [(str(stranger.id), "HOLDER_MISMATCH")] * 2


async def test_a_card_bound_to_another_customer_cannot_be_bound(client, app, demo, vault):
    # given the victim's card bound at the counter (holder verified by a teller)
    await borrower(vault)
    await other_borrower(vault, phone="13800000001")
    token = (await sign_in(client, app, phone="13800000001"))["accessToken"]
    sent_before = len(graphql_view(app).mobile.sms.messages)
    # when someone else binds it
    refused = await _bind(client, token, "6217000010001234", "13800000001")
    # then it is refused before the core is even asked, and nothing is sent or bound
    assert refused["binding"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [("CARD_BOUND_ELSEWHERE", "cardNumber")]
    assert "已被其他客户绑定" in refused["errors"][0]["message"]
    assert len(graphql_view(app).mobile.sms.messages) == sent_before
    assert await BankCard.filter(card_number_hash=vault.lookup_hash("6217000010001234")).count() == 1


@covers("CardUnbind", "CardSetDefault")
async def test_unbind_and_set_default_work_and_are_audited(client, app, demo, vault):
    # given a customer with the counter-bound card and a second card bound in the app (now the default)
    customer, line = await borrower(vault)
    other, _ = await other_borrower(vault, phone="13800000001")
    token = (await sign_in(client, app))["accessToken"]
    counter = await BankCard.get(customer_id=customer.id)
    app_card = (await bind_card(client, app, token, holder_card(vault, customer)))["card"]
    # when the counter card is made the default again
    made = (await gql(client, "CardSetDefault", {"input": {"cardId": str(counter.id)}}, token=token))["data"]["cardSetDefault"]
    # then it is the only default, and the change is audited with the previous default
    assert made["errors"] == [] and (made["card"]["id"], made["card"]["isDefault"]) == (str(counter.id), True)
    assert await BankCard.filter(customer_id=customer.id, is_default=True).values_list("id", flat=True) == [counter.id]
    event = await AuditEvent.get(action="bank_card.set_default")
    assert (event.entity_id, event.before) == (str(counter.id), {"defaultCards": [app_card["id"]]})
    # and the app card can be unbound: the card list shrinks, audited
    out = (await gql(client, "CardUnbind", {"input": {"cardId": app_card["id"]}}, token=token))["data"]["cardUnbind"]
    assert out["errors"] == [] and [(c["id"], c["isDefault"]) for c in out["cards"]] == [(str(counter.id), True)]
    assert (await BankCard.get(id=app_card["id"])).unbound_at is not None
    assert (await AuditEvent.get(action="bank_card.unbind")).entity_id == app_card["id"]
    # a card of someone else, an unbound card, or an unverified old binding cannot be used
    foreign = await BankCard.get(customer_id=other.id)
    for card_id in (str(foreign.id), app_card["id"], "not-a-uuid"):
        for name, field in (("CardSetDefault", "cardSetDefault"), ("CardUnbind", "cardUnbind")):
            body = (await gql(client, name, {"input": {"cardId": card_id}}, token=token))["data"][field]
            assert [(e["code"], e["field"]) for e in body["errors"]] == [("NOT_FOUND", "cardId")], (name, card_id)
    legacy = await BankCard.create(customer=customer, bank_name="山西农信", is_default=False, **card_fields(vault, card_number("4321")))
    unverified = (await gql(client, "CardSetDefault", {"input": {"cardId": str(legacy.id)}}, token=token))["data"]["cardSetDefault"]
    assert [(e["code"], e["field"]) for e in unverified["errors"]] == [("CARD_NOT_VERIFIED", "cardId")]
    assert await BankCard.filter(customer_id=customer.id, is_default=True).values_list("id", flat=True) == [counter.id]
    # with a loan open, the default card (repayments are debited from it) cannot go
    from app.integrations.core_banking import SandboxCoreBanking
    from app.services.actor import SYSTEM
    from app.services.lending.drawdown import draw_down

    await business_date.set_current(TODAY)
    await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=100_000, term_months=3, method="equal_principal",
                    idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    kept = (await gql(client, "CardUnbind", {"input": {"cardId": str(counter.id)}}, token=token))["data"]["cardUnbind"]
    assert [(e["code"], e["field"]) for e in kept["errors"]] == [("CARD_IN_USE", "cardId")]
    assert (await BankCard.get(id=counter.id)).unbound_at is None
    assert await AuditEvent.filter(action="bank_card.unbind").count() == 1


@covers("LoanApplication", "LoanApplications")
async def test_a_borrower_reads_back_only_their_own_applications(client, app, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await borrower(vault)
    await other_borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    apply = {"creditLineId": _gid("CreditLine", line.id), "amount": "1200.00", "termMonths": 12, "method": "EQUAL_PRINCIPAL"}
    first = (await gql(client, "LoanApply", {"input": {**apply, "idempotencyKey": str(uuid.uuid4())}}, token=token))["data"]["loanApply"]["application"]
    second = (await gql(client, "LoanApply", {"input": {**apply, "amount": "2400.00", "idempotencyKey": str(uuid.uuid4())}}, token=token))["data"]["loanApply"]["application"]
    await LoanApplication.filter(id=first["id"]).update(applied_at=datetime(2026, 11, 1, tzinfo=UTC))
    # the app restarted mid-way reads its application back: the answer loanApply gave, rate and schedule included
    await business_date.set_current(TODAY + timedelta(days=1))
    read = (await gql(client, "LoanApplication", {"id": second["id"]}, token=token))["data"]["loanApplication"]
    assert {key: read[key] for key in second} == second and read["loan"] is None
    assert read["annualRatePercent"] == second["annualRatePercent"] and len(read["installments"]) == 12
    listed = (await gql(client, "LoanApplications", {"first": 1}, token=token))["data"]["loanApplications"]
    assert listed["totalCount"] == 2 and [e["node"]["id"] for e in listed["edges"]] == [second["id"]] and listed["pageInfo"]["hasNextPage"]
    assert listed["pageInfo"]["hasPreviousPage"] is False and listed["pageInfo"]["startCursor"] == listed["edges"][0]["cursor"]
    # a newer application between two pages shifts no page (keyset on the application time, not an offset)
    await gql(client, "LoanApply", {"input": {**apply, "amount": "1000.00", "idempotencyKey": str(uuid.uuid4())}}, token=token)
    rest = (await gql(client, "LoanApplications", {"first": 5, "after": listed["pageInfo"]["endCursor"]}, token=token))["data"]["loanApplications"]
    assert [e["node"]["id"] for e in rest["edges"]] == [first["id"]] and rest["pageInfo"]["hasNextPage"] is False
    assert rest["pageInfo"]["hasPreviousPage"] is True and rest["totalCount"] == 3
    # another borrower's, an unknown or a malformed id reads as null; their list is empty; no token or a staff session is refused
    other_token = (await sign_in(client, app, phone="13800000001", device="other-device-01"))["accessToken"]
    assert (await gql(client, "LoanApplication", {"id": second["id"]}, token=other_token))["data"]["loanApplication"] is None
    assert (await gql(client, "LoanApplications", {}, token=other_token))["data"]["loanApplications"]["totalCount"] == 0
    for unknown in (str(uuid.uuid4()), "not-a-uuid", _gid("Loan", uuid.uuid4())):
        assert (await gql(client, "LoanApplication", {"id": unknown}, token=token))["data"]["loanApplication"] is None, unknown
    anonymous = await gql(client, "LoanApplication", {"id": second["id"]})
    assert anonymous["data"] == {"loanApplication": None} and [e["extensions"]["code"] for e in anonymous["errors"]] == ["UNAUTHENTICATED"]
    _refused(await gql(client, "LoanApplications", {}))
    staff = await gql(client, "LoanApplications", {}, token=await _officer_token())
    assert staff["data"] is None and staff["errors"]


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
    for text, message in {"abc": "金额格式不正确", "1.001": "金额最多保留两位小数", "-1": "金额不能为负数", "": "金额格式不正确"}.items():
        bad = (await gql(client, "LoanApply", {"input": {**apply, "amount": text}}, token=token))["data"]["loanApply"]
        assert [(e["code"], e["field"], e["message"]) for e in bad["errors"]] == [("INVALID_AMOUNT", "amount", message)], text
    assert await LoanApplication.all().count() == 0
    # more than the line: the amount is decided within it (the line has 100,000 available)
    applied = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]
    assert applied["errors"] == [] and applied["application"]["approvedAmount"] == "100000.00"
    assert applied["application"]["requestedAmount"] == "150000.00"
    assert applied["application"]["annualRatePercent"] and len(applied["application"]["installments"]) == 12
    # idempotent answers are identical answers: a retry (even on a later business day) gets the first answer, rate and schedule included
    await business_date.set_current(TODAY + timedelta(days=1))
    again = (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"]
    await business_date.set_current(TODAY)
    assert json.dumps(again, ensure_ascii=False) == json.dumps(applied, ensure_ascii=False)
    assert await LoanApplication.all().count() == 1
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
    from tests.factories.villages import actor

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
    referred_input = {**apply, "idempotencyKey": str(uuid.uuid4())}
    referred = (await gql(client, "LoanApply", {"input": referred_input}, token=token))["data"]["loanApply"]
    assert [e["code"] for e in referred["errors"]] == ["REFERRED"]
    assert (await LoanApplication.filter(status="referred").count()) == 1
    # idempotent answers are identical answers: a retry with the same key gets the first answer again, nothing new is decided
    assert (await gql(client, "LoanApply", {"input": referred_input}, token=token))["data"]["loanApply"] == referred
    assert (await gql(client, "LoanApply", {"input": apply}, token=token))["data"]["loanApply"] == refused
    assert await LoanApplication.all().count() == 2 and await RiskStrategyDecision.all().count() == 2


async def test_another_banks_default_card_cannot_receive_an_app_loan(client, app, demo, vault):
    await business_date.set_current(TODAY)
    customer, line = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    await bind_card(client, app, token, holder_card(vault, customer, last4="0004"))
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

    made = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    loan = {"id": _gid("Loan", made.id)}
    assert (await gql(client, "Loans", {}, token=token))["data"]["loans"]["totalCount"] == 1
    assert (await gql(client, "LoanTransactions", {"id": loan["id"]}, token=token))["data"]["node"]["transactions"][0]["kind"] == "DISBURSEMENT"
    quote = (await gql(client, "LoanPrepaymentQuote", {"input": {"loanId": loan["id"]}}, token=token))["data"]["loanPrepaymentQuote"]
    assert quote["full"] is True and quote["principal"] == "6000.00"
    repay = (await gql(client, "LoanRepay", {"input": {"loanId": loan["id"], "amount": "10.00", "idempotencyKey": str(uuid.uuid4())}}, token=token))["data"]["loanRepay"]
    assert repay["errors"][0]["code"] == "NOTHING_DUE"
    # the other customer sees none of it
    other = (await sign_in(client, app, phone="13800000001", device="other-device-01"))["accessToken"]
    assert (await gql(client, "Loans", {}, token=other))["data"]["loans"]["totalCount"] == 0
    assert (await gql(client, "LoanTransactions", {"id": loan["id"]}, token=other))["data"]["node"] is None
    prepay = {"input": {"loanId": loan["id"], "idempotencyKey": str(uuid.uuid4()), "payoff": True}}
    assert (await gql(client, "LoanPrepay", prepay, token=other))["data"]["loanPrepay"]["errors"][0]["code"] == "NOT_FOUND"
    # anonymous callers are refused
    for name, variables in [("CreditLines", {}), ("Loans", {}), ("DrawdownQuote", quote_vars), ("LoanPrepay", prepay)]:
        _refused(await gql(client, name, variables))
    paid = (await gql(client, "LoanPrepay", prepay, token=token))["data"]["loanPrepay"]
    assert paid["errors"] == [] and paid["loan"]["status"] == "SETTLED"


@covers("LoanExtensionApply")
async def test_a_borrower_applies_for_an_extension_of_their_own_loan_only(client, app, demo, vault):
    """展期 in the app: the borrower's own loan, before maturity, within the limits; the officer then proposes it."""
    from app.integrations.core_banking import SandboxCoreBanking
    from app.models import ExtensionApplication
    from app.services.actor import SYSTEM
    from app.services.lending.drawdown import draw_down

    await business_date.set_current(TODAY)
    _, line = await borrower(vault)
    await other_borrower(vault)
    made = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    token = (await sign_in(client, app))["accessToken"]
    other = (await sign_in(client, app, phone="13800000001", device="other-device-01"))["accessToken"]

    def apply(months, reason="春耕资金周转"):
        return {"input": {"loanId": _gid("Loan", made.id), "months": months, "reason": reason}}

    # another person's loan: NOT_FOUND, nothing kept
    assert (await gql(client, "LoanExtensionApply", apply(3), token=other))["data"]["loanExtensionApply"]["errors"][0]["code"] == "NOT_FOUND"
    # a short-term loan of 6 months may be extended by at most 6
    refused = (await gql(client, "LoanExtensionApply", apply(7), token=token))["data"]["loanExtensionApply"]
    assert refused["application"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_TERM", "months")]
    assert "最多还可展期 6 个月" in refused["errors"][0]["message"]
    assert not await ExtensionApplication.exists()
    done = (await gql(client, "LoanExtensionApply", apply(3), token=token))["data"]["loanExtensionApply"]
    assert done["errors"] == [] and done["application"]["months"] == 3 and done["application"]["status"] == "PENDING"
    assert done["application"]["loanId"] == _gid("Loan", made.id) and done["application"]["appliedOn"] == TODAY.isoformat()
    again = (await gql(client, "LoanExtensionApply", apply(2), token=token))["data"]["loanExtensionApply"]
    assert again["errors"][0]["code"] == "EXTENSION_PENDING"
    assert await AuditEvent.filter(action="loan.extension_apply", entity_id=str(made.id)).count() == 1
    # an officer's token is refused: the officer proposes an extension instead
    _refused(await gql(client, "LoanExtensionApply", apply(3), token=await _officer_token()), "FORBIDDEN")
    _refused(await gql(client, "LoanExtensionApply", apply(3)))


@covers("LoanExtensionApplications")
async def test_a_borrower_reads_back_their_extension_applications_with_the_outcome_and_reason(client, app, demo, vault):
    """Before: the app could apply for 展期 but never read an application back, and one was never declined or expired.
    Now: submitted → declined by the officer with a reason; submitted → proposed → declined by the checker (their
    note); submitted → proposed → approved; each read back in the app, newest first, another borrower's never."""
    from app.domain.maker_checker import MakerCheckerPolicy
    from app.integrations.core_banking import SandboxCoreBanking
    from app.services.actor import SYSTEM
    from app.services.lending.drawdown import draw_down
    from app.services.lending.extension import decline_extension_application, propose_extension
    from app.services.maker_checker.commands import approve, reject
    from tests.factories.risk import actor

    await business_date.set_current(TODAY)
    _, line = await borrower(vault)
    await other_borrower(vault)
    made = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    token = (await sign_in(client, app))["accessToken"]
    other = (await sign_in(client, app, phone="13800000001", device="other-device-01"))["accessToken"]
    loan_gid = _gid("Loan", made.id)

    async def apply(months):
        done = (await gql(client, "LoanExtensionApply", {"input": {"loanId": loan_gid, "months": months, "reason": "春耕资金周转"}}, token=token))
        return uuid.UUID(done["data"]["loanExtensionApply"]["application"]["id"])

    async def read(**variables):
        body = await gql(client, "LoanExtensionApplications", {"loanId": loan_gid, **variables}, token=token)
        return body["data"]["loanExtensionApplications"]

    first = await apply(3)
    listed = await read()
    assert listed["totalCount"] == 1 and listed["pageInfo"]["hasNextPage"] is False
    node = listed["edges"][0]["node"]
    assert (node["id"], node["loanId"], node["months"], node["progress"], node["outcomeReason"], node["decidedOn"]) == (
        str(first), loan_gid, 3, "SUBMITTED", None, None)
    assert node["progressLabel"] == "已提交，待客户经理受理"
    # the officer declines it with a reason the borrower sees
    now = datetime.now(UTC)
    await decline_extension_application(actor=await actor("officer1"), application_id=first, reason="近三个月有多次逾期记录，暂不符合展期条件", today=TODAY)
    node = (await read())["edges"][0]["node"]
    assert (node["progress"], node["outcomeReason"], node["decidedOn"]) == ("DECLINED", "近三个月有多次逾期记录，暂不符合展期条件", TODAY.isoformat())
    # applied again, proposed by the officer, sent back by the checker: declined with the checker's note
    second = await apply(2)
    policy = MakerCheckerPolicy()
    command = await propose_extension(actor=await actor("officer1"), loan_id=made.id, months=2, restructured=False, reason="借款人申请",
                                      today=TODAY, now=now, policy=policy)
    assert (await read(first=1))["edges"][0]["node"]["progress"] == "PROPOSED"
    await reject(actor=await actor("approver"), command_id=command.id, note="经营情况需再核实", today=TODAY, now=now)
    node = (await read(first=1))["edges"][0]["node"]
    assert (node["id"], node["progress"], node["outcomeReason"]) == (str(second), "DECLINED", "经营情况需再核实")
    # a third time, approved: the loan is extended
    third = await apply(2)
    command = await propose_extension(actor=await actor("officer1"), loan_id=made.id, months=2, restructured=False, reason="借款人申请",
                                      today=TODAY, now=now, policy=policy)
    await approve(actor=await actor("approver"), command_id=command.id, today=TODAY, now=now)
    page = await read(first=2)
    assert [e["node"]["id"] for e in page["edges"]] == [str(third), str(second)] and page["pageInfo"]["hasNextPage"] is True
    assert page["edges"][0]["node"]["progress"] == "APPROVED" and page["edges"][0]["node"]["decidedOn"] == TODAY.isoformat()
    rest = await read(first=2, after=page["pageInfo"]["endCursor"])
    assert [e["node"]["id"] for e in rest["edges"]] == [str(first)] and rest["totalCount"] == 3
    # another borrower sees none of them; an officer's token and no token are refused
    mine = await gql(client, "LoanExtensionApplications", {}, token=other)
    assert mine["data"]["loanExtensionApplications"]["totalCount"] == 0
    _refused(await gql(client, "LoanExtensionApplications", {}, token=await _officer_token()), "FORBIDDEN")
    _refused(await gql(client, "LoanExtensionApplications", {}))


@covers("Products", "SchedulePreview")
async def test_public_operations_need_no_token_and_reject_a_forged_one(client, demo):
    products = (await gql(client, "Products"))["data"]["products"]
    assert products and all(p["code"] for p in products)
    preview = {"input": {"principal": "1200.00", "annualRatePercent": "3.45", "termMonths": 12, "method": "EQUAL_PRINCIPAL", "startDate": "2026-01-15"}}
    assert len((await gql(client, "SchedulePreview", preview))["data"]["schedulePreview"]["installments"]) == 12
    # a forged borrower token is no one: public data still, nothing private
    assert (await gql(client, "Me", token="cxa1.eyJzdWIiOiJ4In0.forged"))["data"]["me"] is None


@covers("MeOnlineOffer")
async def test_the_offer_of_the_default_cards_bank_and_no_offer_without_a_token(client, app, demo, vault):
    customer, _ = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    await bind_card(client, app, token, holder_card(vault, customer))
    offer = (await gql(client, "MeOnlineOffer", token=token))["data"]["me"]["onlineOffer"]
    assert offer["bank"]["code"] == "14102301" and [b["code"] for b in offer["banks"]] == ["14102301"] and offer["products"]
    assert (await gql(client, "MeOnlineOffer"))["data"]["me"] is None  # no borrower: nothing (tests/api/mobile/test_mobile_banks.py: the routing)


@covers("OnlineProducts", "ExternalDataConsentSign", "CreditApply", "CreditApplication", "CreditApplications", "CreditApplicationAccept",
        "CreditApplicationReviewRequest")
async def test_online_credit_operations_are_the_borrowers_own(client, app, demo, vault):
    await business_date.set_current(TODAY)
    await borrower(vault, checked=False)
    token = (await sign_in(client, app))["accessToken"]
    offer = (await gql(client, "OnlineProducts", token=token))["data"]["onlineProducts"]
    bank_id = offer["bank"]["id"]
    assert {p["product"]["code"] for p in offer["products"]} == {"GJJ", "BAODAN", "GUOWANG", "BIANLI_ONLINE"}
    assert (await gql(client, "CreditAuthorisationSign", {"input": {"agree": True, "bankId": bank_id}}, token=token))["data"]["creditAuthorisationSign"]["errors"] == []
    consent = (await gql(client, "ExternalDataConsentSign", {"input": {"bankId": bank_id, "source": "HOUSING_FUND", "agree": True}}, token=token))["data"]
    assert consent["externalDataConsentSign"]["errors"] == []
    applied = (await gql(client, "CreditApply", {"input": {"bankId": bank_id, "productCode": "GJJ", "idempotencyKey": str(uuid.uuid4())}}, token=token))["data"]
    application = applied["creditApply"]["application"]
    assert application["status"] == "OFFERED"
    assert (await gql(client, "CreditApplication", {"id": application["id"]}, token=token))["data"]["creditApplication"]["id"] == application["id"]
    assert (await gql(client, "CreditApplication", {"id": "not-a-uuid"}, token=token))["data"]["creditApplication"] is None
    assert (await gql(client, "CreditApplications", {"first": 10}, token=token))["data"]["creditApplications"]["totalCount"] == 1
    review = (await gql(client, "CreditApplicationReviewRequest", {"input": {"applicationId": application["id"]}}, token=token))["data"]
    assert [e["code"] for e in review["creditApplicationReviewRequest"]["errors"]] == ["NOT_REFUSED"]  # an offer is not a refusal
    signed = (await gql(client, "CreditApplicationAccept", {"input": {"applicationId": application["id"], "agree": True}}, token=token))["data"]
    assert signed["creditApplicationAccept"]["application"]["status"] == "SIGNING"  # the worker renders, signs and seals the contract
    # staff and anonymous callers are refused; another borrower does not see the application
    officer = await _officer_token()
    for name, variables in (("CreditApply", {"input": {"bankId": bank_id, "productCode": "GJJ", "idempotencyKey": str(uuid.uuid4())}}),
                            ("CreditApplicationAccept", {"input": {"applicationId": application["id"], "agree": True}}),
                            ("ExternalDataConsentSign", {"input": {"bankId": bank_id, "source": "HOUSING_FUND", "agree": True}})):
        _refused(await gql(client, name, variables, token=officer), "FORBIDDEN")
        _refused(await gql(client, name, variables))
    await other_borrower(vault)
    other = (await sign_in(client, app, phone="13800000001", device="test-device-0002"))["accessToken"]
    assert (await gql(client, "CreditApplication", {"id": application["id"]}, token=other))["data"]["creditApplication"] is None


@covers("LoanGuarantors", "MeGuarantees")
async def test_a_borrower_reads_the_guarantees_on_both_sides_with_other_peoples_names_masked(client, app, demo, vault):
    """联保 in the app (issue 17): the guarantors behind the borrower's own loan, and the guarantees the borrower has given
    for the other members' loans (the group, the loan guaranteed, the amount, the status). Another customer's name is
    masked, and no other customer's ID number, phone or id is sent; a stranger reads no guarantee."""
    from datetime import UTC, datetime

    from app.integrations.core_banking import SandboxCoreBanking
    from app.models import Customer
    from app.services.actor import SYSTEM
    from app.services.guarantees import form_group
    from app.services.lending.drawdown import draw_down
    from tests.factories.guarantees import households, in_household, members, signing_kit
    from tests.factories.risk import actor

    # given 王建国 (6,000.00) and 李秀英 (3,000.00) with loans, in one 联保 group with three other households
    await business_date.set_current(TODAY)
    me, line = await borrower(vault)
    neighbour, neighbour_line = await other_borrower(vault)
    await Customer.filter(id=neighbour.id).update(name="李秀英")
    neighbour = await Customer.get(id=neighbour.id)

    async def draw(line_id, fen):
        return await draw_down(actor=SYSTEM, credit_line_id=line_id, amount_fen=fen, term_months=6, method="equal_principal",
                               idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)

    mine, theirs = await draw(line.id, 600_000), await draw(neighbour_line.id, 300_000)
    await in_household(me, "900")
    await in_household(neighbour, "901")
    others = await households(vault, 3)
    await form_group(actor=await actor("officer1"), name="西街村联保小组", members=members([me, neighbour, *others]), on=TODAY,
                     now=datetime(2026, 11, 27, 3, 0, tzinfo=UTC), kit=signing_kit())
    token = (await sign_in(client, app))["accessToken"]
    # when the borrower reads the guarantors of their own loan, then four, names masked
    response = await gql(client, "LoanGuarantors", {"id": _gid("Loan", mine.id)}, token=token)
    guarantors = response["data"]["node"]["guarantors"]
    assert sorted(g["guarantorNameMasked"] for g in guarantors) == ["李*英", "联**1", "联**2", "联**3"]
    assert {(g["groupName"], g["amount"], g["status"]) for g in guarantors} == {("西街村联保小组", "50000.00", "ACTIVE")}
    # when the borrower reads the guarantees they have given, then the group and 李秀英's loan, masked; not their own loan
    given = (await gql(client, "MeGuarantees", token=token))
    [guarantee] = given["data"]["me"]["guarantees"]
    assert (guarantee["groupName"], guarantee["groupStatus"], guarantee["amount"], guarantee["status"]) == ("西街村联保小组", "ACTIVE", "50000.00", "ACTIVE")
    assert guarantee["loans"] == [{"borrowerNameMasked": "李*英", "principal": "3000.00", "outstandingPrincipal": "3000.00",
                                   "maturityDate": theirs.maturity_on.isoformat(), "status": "ACTIVE", "daysPastDue": 0}]
    # nothing of another customer in clear: no name, no ID number (in any form), no phone, no customer id
    for body in (response, given):
        text = json.dumps(body, ensure_ascii=False)
        for person in (neighbour, *others):
            assert person.name not in text and person.id_number_masked not in text and str(person.id) not in text
        assert "13800000001" not in text and neighbour.phone_masked not in text and _gid("Customer", neighbour.id) not in text
    # 李秀英 sees 王建国 masked on both sides
    other = (await sign_in(client, app, phone="13800000001", device="other-device-01"))["accessToken"]
    assert "王*国" in [g["guarantorNameMasked"] for g in (await gql(client, "LoanGuarantors", {"id": _gid("Loan", theirs.id)}, token=other))[
        "data"]["node"]["guarantors"]]
    [theirs_given] = (await gql(client, "MeGuarantees", token=other))["data"]["me"]["guarantees"]
    assert [(l["borrowerNameMasked"], l["principal"]) for l in theirs_given["loans"]] == [("王*国", "6000.00")]
    # a stranger reads neither the loan nor any guarantee; anonymous callers are refused
    from tests.factories.borrower import card_number
    from app.services.customers.identifiers import phone_fields

    stranger, _ = await borrower(vault, sequence=363, card=card_number("8888"))
    await Customer.filter(id=stranger.id).update(**phone_fields(vault, "13800000002"))
    outsider = (await sign_in(client, app, phone="13800000002", device="other-device-02"))["accessToken"]
    assert (await gql(client, "LoanGuarantors", {"id": _gid("Loan", mine.id)}, token=outsider))["data"]["node"] is None
    assert (await gql(client, "MeGuarantees", token=outsider))["data"]["me"]["guarantees"] == []
    assert (await gql(client, "MeGuarantees"))["data"]["me"] is None


def test_every_mobile_operation_is_exercised_here():
    assert set(mobile_operations()) == COVERED
