"""Online credit over HTTP, as production runs it (trusted documents by hash): 公积金贷, 国网贷, 保单贷 and 线上便利贷 from
sign-in to money on the card, a refusal and its review request, a missing consent, a source that times out."""

import asyncio
import hashlib
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest
from strawberry.relay import GlobalID

from app.models import AuditEvent, Bank, Contract, CreditApplication, CreditLine, Document, ExternalDataConsent, ExternalDataQuery, Loan
from app.models.contract import ContractStatus
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.contracts.pdfsign import validate_pdf
from app.services.contracts.pki import issue_sandbox_seal
from app.services.customers.archive import verify_archive
from tests.factories.borrower import PHONE, borrower, gql, holder_card, last_sms_code, sign_in
from tests.factories.worklists import settled_loan
from tests.services.contracts.fixtures import kit, renderer  # noqa: F401  (fixtures: the dev PKI, the worker's WeasyPrint renderer)

TODAY = date(2026, 11, 27)


@pytest.fixture
async def prod_app(db, settings, redis_server, kit):
    """The app as production runs it, its signing certificates configured (production never generates a PKI): here the
    test session's development CA and seal, as an operator would set CUNXIN_SIGNING_CA_* and CUNXIN_BANK_SEAL_*."""
    from app.config import Env
    from app.main import create_app

    pki = settings.var_dir / "pki"
    configured = settings.model_copy(update={"env": Env.PROD, "signing_ca_cert": pki / "ca.pem", "signing_ca_key": pki / "ca.key",
                                             "bank_seal_cert": pki / "bank.pem", "bank_seal_key": pki / "bank.key"})
    application = create_app(configured, manage_db=False)
    async with application.router.lifespan_context(application):
        yield application


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


async def _run_render_job(client, prod_app, renderer, token, application_id) -> dict:
    """The default worker's job, as the queue would run it; then the app reads the application back."""
    from workers.default import render_contract as render_job

    row = await CreditApplication.get(id=application_id)
    contract = await Contract.get(credit_line_id=row.credit_line_id)
    ctx = {"media": prod_app.state.media, "signing_kit": prod_app.state.signing_kit, "pdf_renderer": renderer, "job_id": "test", "job_try": 1}
    assert await render_job(ctx, str(contract.id)) == "online credit application active"
    return (await _call(client, "CreditApplication", {"id": application_id}, token))["creditApplication"]


async def _assert_signed_contract_in_archive(prod_app, customer, application_id, contract: dict) -> None:
    """The app sees the sealed contract; it is a real PDF in the borrower's e-archive, signed by the borrower (one-time
    certificate) and sealed by the bank, and the archive verifies (what `cunxin archive-verify` runs)."""
    kit = prod_app.state.signing_kit()
    row = await CreditApplication.get(id=application_id)
    sealed = await Contract.get(credit_line_id=row.credit_line_id)
    assert sealed.status == ContractStatus.SEALED and contract["documentId"] == str(sealed.sealed_document_id) == str(row.contract_document_id)
    doc = await Document.get(id=sealed.sealed_document_id)
    pdf = kit.media.get(doc.sha256)
    assert pdf.startswith(b"%PDF") and hashlib.sha256(pdf).hexdigest() == doc.sha256 == contract["sha256"] and sealed.number in contract["title"]
    checks = await asyncio.to_thread(validate_pdf, pdf, kit.pki.trust_roots)
    assert [c.field for c in checks] == ["borrower", "bank"] and all(c.ok for c in checks), checks
    bank = await Bank.get(id=customer.bank_id)
    assert customer.name in checks[0].signer and checks[1].signer.startswith(f"{bank.name} 合同专用章"), checks  # one-time certificate; the bank's own seal
    report = await verify_archive(actor=SYSTEM, customer_id=customer.id, media=kit.media, trust_roots=kit.pki.trust_roots)
    assert report.ok and any(c.document.id == doc.id and len(c.signatures) == 2 for c in report.checks)


@pytest.mark.parametrize(("product", "source", "version", "methods"), [
    ("GJJ", "HOUSING_FUND", "gjj-2026.1", AMORTISING),
    ("GUOWANG", "STATE_GRID", "guowang-2026.1", [*AMORTISING, "INTEREST_FIRST"]),  # a business line: 先息后本 stays
    ("BAODAN", "INSURANCE", "baodan-2026.1", AMORTISING),
])
@pytest.mark.pdf
async def test_sign_in_bind_apply_offer_sign_line_drawdown_disbursed(prod_client, prod_app, demo, vault, kit, renderer, product, source, version, methods):
    customer, token = await _signed_in(prod_client, prod_app, vault)
    number = holder_card(vault, customer)
    bank = await Bank.get(id=customer.bank_id)  # the member bank seals with its own seal
    cert, key = issue_sandbox_seal(kit.pki, directory=prod_app.state.settings.var_dir / "pki" / "banks" / f"{bank.code}-{product}",
                                   bank_name=bank.name, now=datetime.now(UTC))
    await Bank.filter(id=bank.id).update(seal_cert_path=str(cert), seal_key_path=str(key))
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

    assert offer["offerExpiresAt"] is not None and offer["contract"] is None

    # accept and sign: the line is granted, its contract (the visit's PDF) is rendered by the worker, then signed and sealed
    signed = (await _call(prod_client, "CreditApplicationAccept", {"input": {"applicationId": offer["id"], "agree": True}}, token))["creditApplicationAccept"]
    assert signed["errors"] == [], signed
    assert signed["application"]["status"] == "SIGNING" and signed["application"]["acceptedAt"] is not None
    assert signed["application"]["creditLine"] is None and signed["application"]["contract"] is None
    early_line = (await CreditApplication.get(id=offer["id"])).credit_line_id  # granted, its contract not yet signed: no drawdown
    early = {"input": {"creditLineId": str(GlobalID("CreditLine", str(early_line))), "amount": "5000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT", "idempotencyKey": str(uuid.uuid4())}}
    refused = (await _call(prod_client, "LoanApply", early, token))["loanApply"]
    assert [e["code"] for e in refused["errors"]] == ["LINE_NOT_ACTIVE"] and "签署" in refused["errors"][0]["message"], refused
    app = await _run_render_job(prod_client, prod_app, renderer, token, offer["id"])
    assert app["status"] == "ACTIVE" and app["offerExpiresAt"] is None
    await _assert_signed_contract_in_archive(prod_app, customer, offer["id"], app["contract"])
    # a retry of accept (the app lost the answer) signs nothing again
    again = (await _call(prod_client, "CreditApplicationAccept", {"input": {"applicationId": offer["id"], "agree": True}}, token))["creditApplicationAccept"]
    assert again["errors"] == [] and again["application"] == app
    assert await AuditEvent.filter(action="contract.sign.borrower").count() == 1 and await AuditEvent.filter(action="contract.seal").count() == 1
    assert await Document.filter(customer_id=customer.id, content_type="application/pdf").count() == 3  # rendered, signed, sealed
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


@pytest.mark.pdf
async def test_bianli_online_from_the_credit_report_and_the_banks_own_record_to_money_on_the_card(prod_client, prod_app, demo, vault, renderer):
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
    assert signed["errors"] == [] and signed["application"]["status"] == "SIGNING", signed
    app = await _run_render_job(prod_client, prod_app, renderer, token, offer["id"])  # the worker renders, the borrower's signature, the seal
    assert app["status"] == "ACTIVE" and app["contract"]["sha256"] is not None
    line_id = app["creditLine"]["id"]
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


async def test_an_offer_not_accepted_in_time_expires_and_the_borrower_applies_again(prod_client, prod_app, demo, vault, settings):
    days = settings.online_offer_valid_days
    assert days == 7  # the default (CUNXIN_ONLINE_OFFER_VALID_DAYS)
    _, token = await _signed_in(prod_client, prod_app, vault)
    bank_id, _ = await _products(prod_client, token)
    await _consent(prod_client, token, bank_id, "HOUSING_FUND")
    offer = (await _apply(prod_client, token, bank_id))["application"]
    row = await CreditApplication.get(id=offer["id"])
    assert offer["status"] == "OFFERED" and datetime.fromisoformat(offer["offerExpiresAt"]) == row.offered_at + timedelta(days=days)
    # the offer was made 7 days and a minute ago
    await CreditApplication.filter(id=row.id).update(offered_at=datetime.now(UTC) - timedelta(days=days, minutes=1))
    read = (await _call(prod_client, "CreditApplication", {"id": offer["id"]}, token))["creditApplication"]
    assert read["status"] == "EXPIRED" and "已失效" in read["message"] and read["limit"] == offer["limit"]
    refused = (await _call(prod_client, "CreditApplicationAccept", {"input": {"applicationId": offer["id"], "agree": True}}, token))["creditApplicationAccept"]
    assert refused["application"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [("OFFER_EXPIRED", "applicationId")]
    assert "重新申请" in refused["errors"][0]["message"] and await CreditLine.filter(product__code="GJJ").count() == 0
    assert (await CreditApplication.get(id=row.id)).status == "expired"
    listed = (await _call(prod_client, "CreditApplications", {"first": 5}, token))["creditApplications"]
    assert [e["node"]["status"] for e in listed["edges"]] == ["EXPIRED"]
    again = await _apply(prod_client, token, bank_id)  # the borrower applies again: a new offer
    assert again["errors"] == [] and again["application"]["status"] == "OFFERED" and again["application"]["id"] != offer["id"]
