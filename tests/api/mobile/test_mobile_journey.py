"""The whole mobile journey through HTTP, as production runs it: every operation sent by its hash."""

import uuid
from datetime import date
from decimal import Decimal

from app.models import AuditEvent, CreditAuthorisation, Loan, LoanApplication, RiskDecision
from app.models.risk import RiskPurpose
from app.services import business_date
from tests.factories.borrower import PHONE, borrower, gql, holder_card, last_sms_code, sign_in

TODAY = date(2026, 11, 27)


async def test_sign_in_bind_card_quote_apply_confirm_draw_and_repay(prod_client, prod_app, demo, vault):
    await business_date.set_current(TODAY)
    customer, line = await borrower(vault, checked=False)  # no check yet: the app's own check decides

    # sign in with the SMS code (production: the code comes only by SMS)
    tokens = await sign_in(prod_client, prod_app, persisted=True)
    token = tokens["accessToken"]
    assert token.startswith("cxa1.") and tokens["refreshToken"].startswith("cxr1.")

    # home: masked identity, the line, nothing due, the counter-bound card
    me = (await gql(prod_client, "Me", token=token, persisted=True))["data"]["me"]
    assert me["nameMasked"] == "王*国" and me["phoneMasked"] == "138****0000"
    assert me["creditLines"]["totalCount"] == 1 and me["creditLines"]["edges"][0]["node"]["available"] == "100000.00"
    assert me["nextDue"] is None and me["loans"]["totalCount"] == 0
    line_id = me["creditLines"]["edges"][0]["node"]["id"]

    # bind a new own-bank card: the core checks the holder, a code goes to the reserved phone (no devCode in production)
    number = holder_card(vault, customer)
    asked = (await gql(prod_client, "CardBind", {"input": {"cardNumber": number, "reservedPhone": PHONE}}, token=token, persisted=True))["data"]["cardBind"]
    assert asked["errors"] == [] and asked["devCode"] is None
    confirm = {"input": {"bindingId": asked["binding"]["id"], "code": last_sms_code(prod_app)}}
    bound = (await gql(prod_client, "CardBindConfirm", confirm, token=token, persisted=True))["data"]["cardBindConfirm"]
    # it becomes the default, and the bank's online products are offered
    assert bound["errors"] == []
    assert bound["card"]["numberMasked"] == f"{number[:4]} **** **** 5678" and bound["card"]["isDefault"] is True
    assert bound["card"]["bankName"] == "襄汾农商行" and bound["card"]["bankCode"] == "14102301"
    assert bound["offer"]["isOwnBank"] is True and {p["code"] for p in bound["offer"]["products"]} >= {"BIANLI"}

    # quote
    quote = (await gql(prod_client, "DrawdownQuote", {"input": {"creditLineId": line_id, "amount": "12000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT"}}, token=token, persisted=True))["data"]["drawdownQuote"]
    assert quote["errors"] == [] and quote["annualRatePercent"] == "4.50" and len(quote["installments"]) == 12

    # apply before authorising: refused, nothing asked of the bureau
    apply_vars = {"input": {"creditLineId": line_id, "amount": "12000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT", "idempotencyKey": str(uuid.uuid4())}}
    early = (await gql(prod_client, "LoanApply", apply_vars, token=token, persisted=True))["data"]["loanApply"]
    assert early["application"] is None and [e["code"] for e in early["errors"]] == ["NO_AUTHORISATION"]
    assert await RiskDecision.filter(customer_id=customer.id).count() == 0

    # authorise the credit query in the app: filed with the customer as the actor
    signed = (await gql(prod_client, "CreditAuthorisationSign", {"input": {"agree": True}}, token=token, persisted=True))["data"]["creditAuthorisationSign"]
    assert signed["errors"] == [] and signed["authorisation"]["validUntil"] == "2027-11-27"
    filed = await AuditEvent.get(action="credit_authorisation.record")
    assert (filed.actor_type.value, filed.actor_id) == ("customer", str(customer.id))
    assert (await CreditAuthorisation.get(id=signed["authorisation"]["id"])).officer_id is None

    # apply: real-time check through the rules (a drawdown decision), amount decided, code sent
    apply_vars["input"]["idempotencyKey"] = str(uuid.uuid4())
    applied = (await gql(prod_client, "LoanApply", apply_vars, token=token, persisted=True))["data"]["loanApply"]
    assert applied["errors"] == []
    application = applied["application"]
    assert application["status"] == "AWAITING_CODE" and application["approvedAmount"] == "12000.00"
    assert application["installments"][0]["interest"] == "45.00"
    decision = await RiskDecision.get(customer_id=customer.id)
    assert decision.purpose == RiskPurpose.DRAWDOWN and decision.decision.value == "pass"
    assert await Loan.all().count() == 0  # nothing is disbursed before the code

    # confirm with the code: disbursed to the new default card; a retry returns the same loan
    code = last_sms_code(prod_app)
    confirm_vars = {"input": {"applicationId": application["id"], "code": code}}
    confirmed = (await gql(prod_client, "LoanApplicationConfirm", confirm_vars, token=token, persisted=True))["data"]["loanApplicationConfirm"]
    assert confirmed["errors"] == [] and confirmed["application"]["status"] == "DISBURSED"
    loan = confirmed["loan"]
    assert loan["principal"] == "12000.00" and loan["firstDueDate"] == "2026-12-27" and len(loan["installments"]) == 12
    again = (await gql(prod_client, "LoanApplicationConfirm", confirm_vars, token=token, persisted=True))["data"]["loanApplicationConfirm"]
    assert again["loan"]["id"] == loan["id"]
    stored = await Loan.get()
    assert await Loan.all().count() == 1 and (await stored.card).card_number_masked == f"{number[:4]} **** **** 5678"
    assert (await LoanApplication.get(id=application["id"])).loan_id == stored.id

    # the first installment falls due: home shows it, the customer repays it
    await business_date.set_current(date(2026, 12, 27))
    me = (await gql(prod_client, "Me", token=token, persisted=True))["data"]["me"]
    first = loan["installments"][0]
    due_total = str(Decimal(first["principal"]) + Decimal(first["interest"]))
    assert me["nextDue"] == {"dueDate": "2026-12-27", "amount": due_total, "overdue": False, "loanIds": [loan["id"]]}
    repaid = (await gql(prod_client, "LoanRepay", {"input": {"loanId": loan["id"], "amount": due_total, "idempotencyKey": str(uuid.uuid4())}}, token=token, persisted=True))["data"]["loanRepay"]
    assert repaid["errors"] == [] and repaid["loan"]["outstandingPrincipal"] == str(Decimal("12000.00") - Decimal(first["principal"]))
    me = (await gql(prod_client, "Me", token=token, persisted=True))["data"]["me"]
    assert me["nextDue"]["dueDate"] == "2027-01-27"
