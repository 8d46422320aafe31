"""Online credit over HTTP, as production runs it (trusted documents by hash): 公积金贷, 国网贷, 保单贷 and 线上便利贷 from
sign-in to money on the card, a refusal and its review request, a missing consent, a source that times out."""

import uuid

import pytest
from datetime import date

from app.models import AuditEvent, CreditApplication, CreditLine, ExternalDataConsent, ExternalDataQuery, Loan
from app.services import business_date
from tests.factories.borrower import PHONE, borrower, gql, holder_card, last_sms_code, sign_in
from tests.factories.worklists import settled_loan

TODAY = date(2026, 11, 27)


async def _signed_in(prod_client, prod_app, vault, *, sequence: int = 357):
    await business_date.set_current(TODAY)
    customer, _ = await borrower(vault, sequence=sequence, checked=False)
    token = (await sign_in(prod_client, prod_app, persisted=True))["accessToken"]
    return customer, token


async def _call(client, name, variables, token):
    body = await gql(client, name, variables, token=token, persisted=True)
    assert "errors" not in body, body
    return body["data"]


async def _products(client, token) -> tuple[str, dict]:
    offer = (await _call(client, "OnlineProducts", {}, token))["onlineProducts"]
    return offer["bank"]["id"], {p["product"]["code"]: p for p in offer["products"]}


async def _consent(client, token, bank_id, *sources):
    signed = (await _call(client, "CreditAuthorisationSign", {"input": {"agree": True, "bankId": bank_id}}, token))["creditAuthorisationSign"]
    assert signed["errors"] == [], signed
    for source in sources:
        done = (await _call(client, "ExternalDataConsentSign", {"input": {"bankId": bank_id, "source": source, "agree": True}}, token))["externalDataConsentSign"]
        assert done["errors"] == [] and done["consent"]["source"] == source, done


async def _apply(client, token, bank_id, product="GJJ", key=None):
    variables = {"input": {"bankId": bank_id, "productCode": product, "idempotencyKey": key or str(uuid.uuid4())}}
    return (await _call(client, "CreditApply", variables, token))["creditApply"]


AMORTISING = ["EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL"]


@pytest.mark.parametrize(("product", "source", "version", "methods"), [
    ("GJJ", "HOUSING_FUND", "gjj-2026.1", AMORTISING),
    ("GUOWANG", "STATE_GRID", "guowang-2026.1", [*AMORTISING, "INTEREST_FIRST"]),  # a business line: 先息后本 stays
    ("BAODAN", "INSURANCE", "baodan-2026.1", AMORTISING),
])
async def test_sign_in_bind_apply_offer_sign_line_drawdown_disbursed(prod_client, prod_app, demo, vault, product, source, version, methods):
    customer, token = await _signed_in(prod_client, prod_app, vault)
    number = holder_card(vault, customer)
    asked = (await _call(prod_client, "CardBind", {"input": {"cardNumber": number, "reservedPhone": PHONE}}, token))["cardBind"]
    bound = (await _call(prod_client, "CardBindConfirm", {"input": {"bindingId": asked["binding"]["id"], "code": last_sms_code(prod_app)}}, token))["cardBindConfirm"]
    assert bound["errors"] == [] and bound["card"]["isDefault"] is True, bound

    bank_id, products = await _products(prod_client, token)
    assert {code: p["source"] for code, p in products.items()} == {"BAODAN": "INSURANCE", "GJJ": "HOUSING_FUND", "GUOWANG": "STATE_GRID",
                                                                   "BIANLI_ONLINE": None}
    assert products[product]["strategyVersion"] == version

    await _consent(prod_client, token, bank_id, products[product]["source"])
    key = str(uuid.uuid4())
    applied = await _apply(prod_client, token, bank_id, product, key)
    assert applied["errors"] == [], applied
    offer = applied["application"]
    assert offer["status"] == "OFFERED" and offer["creditLine"] is None and offer["canRequestReview"] is False
    assert "年化利率" in offer["message"] and offer["methods"] == methods and offer["source"] == source
    row = await CreditApplication.get(id=offer["id"])
    assert offer["limit"] == f"{row.limit_fen // 100}.00" and row.limit_fen > 0
    assert row.annual_rate_ppm == row.lpr_ppm + row.spread_bp * 100 and offer["spreadBp"] == row.spread_bp
    # the app restarts: the application is read back, and a retry with the same key gives the same answer
    read = (await _call(prod_client, "CreditApplication", {"id": offer["id"]}, token))["creditApplication"]
    assert read == offer
    assert (await _apply(prod_client, token, bank_id, product, key))["application"]["id"] == offer["id"]
    listed = (await _call(prod_client, "CreditApplications", {"first": 5}, token))["creditApplications"]
    assert listed["totalCount"] == 1 and listed["edges"][0]["node"]["id"] == offer["id"]

    # accept and sign: the line is active
    signed = (await _call(prod_client, "CreditApplicationAccept", {"input": {"applicationId": offer["id"], "agree": True}}, token))["creditApplicationAccept"]
    assert signed["errors"] == [], signed
    app = signed["application"]
    assert app["status"] == "ACTIVE" and app["acceptedAt"] is not None
    assert app["creditLine"]["status"] == "ACTIVE" and app["creditLine"]["limit"] == offer["limit"] and app["creditLine"]["available"] == offer["limit"]
    line = await CreditLine.get(id=(await CreditApplication.get(id=offer["id"])).credit_line_id)
    assert line.customer_id == customer.id and line.spread_bp == row.spread_bp and line.officer_id is None

    # drawdown on it as today: apply (credit check), confirm with the code, money on the card
    drawn = {"input": {"creditLineId": app["creditLine"]["id"], "amount": "5000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT",
                       "idempotencyKey": str(uuid.uuid4())}}
    loan_app = (await _call(prod_client, "LoanApply", drawn, token))["loanApply"]
    assert loan_app["errors"] == [] and loan_app["application"]["status"] == "AWAITING_CODE", loan_app
    confirmed = (await _call(prod_client, "LoanApplicationConfirm", {"input": {"applicationId": loan_app["application"]["id"], "code": last_sms_code(prod_app)}},
                             token))["loanApplicationConfirm"]
    assert confirmed["errors"] == [] and confirmed["application"]["status"] == "DISBURSED", confirmed
    loan = await Loan.get(credit_line_id=line.id)
    assert loan.principal_fen == 500_000 and (await loan.card).card_number_masked.endswith("5678")
    assert (await CreditLine.get(id=line.id)).used_fen == 500_000


async def test_bianli_online_from_the_credit_report_and_the_banks_own_record_to_money_on_the_card(prod_client, prod_app, demo, vault):
    customer, token = await _signed_in(prod_client, prod_app, vault)
    await settled_loan(vault, customer, amount_fen=6_000_000)  # ¥60,000 repaid in full at this bank
    number = holder_card(vault, customer)
    asked = (await _call(prod_client, "CardBind", {"input": {"cardNumber": number, "reservedPhone": PHONE}}, token))["cardBind"]
    bound = (await _call(prod_client, "CardBindConfirm", {"input": {"bindingId": asked["binding"]["id"], "code": last_sms_code(prod_app)}}, token))["cardBindConfirm"]
    assert bound["errors"] == [], bound
    bank_id, products = await _products(prod_client, token)
    assert products["BIANLI_ONLINE"]["source"] is None and products["BIANLI_ONLINE"]["strategyVersion"] == "bianli-online-2026.1"
    assert products["BIANLI_ONLINE"]["product"]["name"] == "线上便利贷"

    await _consent(prod_client, token, bank_id)  # the credit report only: there is no external source to consent to
    applied = await _apply(prod_client, token, bank_id, "BIANLI_ONLINE")
    assert applied["errors"] == [], applied
    offer = applied["application"]
    assert offer["status"] == "OFFERED" and offer["source"] is None and "年化利率" in offer["message"], offer
    row = await CreditApplication.get(id=offer["id"])
    assert row.decision["strategy"]["limit"]["terms"]["own_repayment"] == 9_000_000 and 0 < row.limit_fen <= 9_000_000
    assert offer["methods"] == ["EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL"]  # a consumer line of 36 months: no 先息后本
    assert await ExternalDataQuery.all().count() == 0 and await ExternalDataConsent.all().count() == 0

    signed = (await _call(prod_client, "CreditApplicationAccept", {"input": {"applicationId": offer["id"], "agree": True}}, token))["creditApplicationAccept"]
    assert signed["errors"] == [] and signed["application"]["status"] == "ACTIVE", signed
    line_id = signed["application"]["creditLine"]["id"]
    drawn = {"input": {"creditLineId": line_id, "amount": "3000.00", "termMonths": 6, "method": "EQUAL_PRINCIPAL", "idempotencyKey": str(uuid.uuid4())}}
    loan_app = (await _call(prod_client, "LoanApply", drawn, token))["loanApply"]
    assert loan_app["errors"] == [], loan_app
    confirmed = (await _call(prod_client, "LoanApplicationConfirm", {"input": {"applicationId": loan_app["application"]["id"], "code": last_sms_code(prod_app)}},
                             token))["loanApplicationConfirm"]
    assert confirmed["errors"] == [] and confirmed["application"]["status"] == "DISBURSED", confirmed
    line = (await CreditApplication.get(id=offer["id"])).credit_line_id
    assert (await Loan.get(credit_line_id=line)).principal_fen == 300_000


async def test_bianli_online_refuses_a_borrower_the_bank_has_no_repayment_record_of(prod_client, prod_app, demo, vault):
    _, token = await _signed_in(prod_client, prod_app, vault, sequence=359)  # a visit's line, nothing repaid at this bank yet
    bank_id, _ = await _products(prod_client, token)
    await _consent(prod_client, token, bank_id)
    refused = (await _apply(prod_client, token, bank_id, "BIANLI_ONLINE"))["application"]
    assert refused["status"] == "REFUSED" and refused["limit"] is None and refused["canRequestReview"] is True
    assert "结清" not in refused["message"] and "人工复核" in refused["message"]
    row = await CreditApplication.get(id=refused["id"])
    assert [h["code"] for h in row.decision["strategy"]["rules"]] == ["OWN_SETTLED_LOANS"]


async def test_a_refusal_is_neutral_and_the_borrower_can_ask_a_person_to_review_it(prod_client, prod_app, demo, vault):
    _, token = await _signed_in(prod_client, prod_app, vault, sequence=801)  # 公积金 in arrears in the sandbox
    bank_id, _ = await _products(prod_client, token)
    await _consent(prod_client, token, bank_id, "HOUSING_FUND")
    refused = (await _apply(prod_client, token, bank_id))["application"]
    assert refused["status"] == "REFUSED" and refused["limit"] is None and refused["annualRatePercent"] is None and refused["canRequestReview"] is True
    assert "欠缴" not in refused["message"] and "人工复核" in refused["message"]
    sign = (await _call(prod_client, "CreditApplicationAccept", {"input": {"applicationId": refused["id"], "agree": True}}, token))["creditApplicationAccept"]
    assert [e["code"] for e in sign["errors"]] == ["NOT_OFFERED"] and await CreditLine.filter(product__code="GJJ").count() == 0
    review = (await _call(prod_client, "CreditApplicationReviewRequest", {"input": {"applicationId": refused["id"], "reason": "已补缴"}}, token))["creditApplicationReviewRequest"]
    assert review["errors"] == [] and review["application"]["status"] == "REFERRED" and review["application"]["reviewRequestedAt"] is not None


async def test_a_missing_source_consent_is_a_typed_error_and_nothing_is_queried(prod_client, prod_app, demo, vault):
    _, token = await _signed_in(prod_client, prod_app, vault)
    bank_id, _ = await _products(prod_client, token)
    await _consent(prod_client, token, bank_id)  # the credit report only
    missing = await _apply(prod_client, token, bank_id)
    assert missing["application"] is None and [(e["code"], e["field"]) for e in missing["errors"]] == [("NO_SOURCE_CONSENT", "consent")]
    assert await ExternalDataQuery.all().count() == 0 and await CreditApplication.all().count() == 0
    refused = (await _call(prod_client, "ExternalDataConsentSign", {"input": {"bankId": bank_id, "source": "HOUSING_FUND", "agree": False}}, token))["externalDataConsentSign"]
    assert [e["code"] for e in refused["errors"]] == ["INVALID"] and await ExternalDataConsent.all().count() == 0


async def test_a_source_timeout_refers_the_file_and_never_offers(prod_client, prod_app, demo, vault):
    _, token = await _signed_in(prod_client, prod_app, vault, sequence=831)  # the sandbox sources time out on 830-839
    bank_id, _ = await _products(prod_client, token)
    await _consent(prod_client, token, bank_id, "HOUSING_FUND")
    referred = (await _apply(prod_client, token, bank_id))["application"]
    assert referred["status"] == "REFERRED" and referred["limit"] is None and referred["canRequestReview"] is False
    assert (await ExternalDataQuery.get()).status == "timeout"
    assert (await AuditEvent.get(action="credit_application.create")).after["source"] == "timeout"
