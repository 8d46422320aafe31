"""The app routes by opening bank (issue 15): the card's institution code picks the member bank whose products
are offered, the bank that grants the line owns the loan and its books, a borrower with cards at two member
banks chooses, another bank's card gets the message it always got. Through HTTP, as the app calls."""

import uuid
from datetime import UTC, date, datetime

from app.integrations.core_banking import SandboxCoreBanking
from app.integrations.sms import SandboxSms
from app.models import AuditEvent, Bank, CardLookup, Customer, LedgerTransaction, Loan, Product
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.auth.borrowers import accounts_for_phone
from app.services.customers.cards import confirm_card_binding, start_card_binding
from app.services.lending.lines import grant_credit_line
from tests.factories.banks import second_bank
from tests.factories.borrower import PHONE, borrower, bind_card, gql, holder_card, last_sms_code, sign_in

TODAY = date(2026, 11, 27)
B_PRODUCT = "YCBIANLI"


async def _bank_b():
    """翼城农商行 with one product of its own code (its copy of 便利贷), so the offer tells the banks apart."""
    yc = await second_bank()
    await Product.filter(bank_id=yc.bank.id, code="BIANLI").update(code=B_PRODUCT, name="翼城便利贷")
    return yc


async def _offer(client, token, bank_id=None) -> dict:
    body = await gql(client, "MeOnlineOffer", {"bankId": bank_id}, token=token)
    assert "errors" not in body, body
    return body["data"]["me"]["onlineOffer"]


async def test_a_card_of_bank_b_offers_bank_b_products_and_the_loan_and_its_books_are_bank_b(client, app, demo, vault):
    await business_date.set_current(TODAY)
    yc = await _bank_b()
    customer, _ = await borrower(vault, checked=False)  # bank #1's customer, signed in with their phone
    token = (await sign_in(client, app))["accessToken"]

    # bind a card opened at bank B: the core names its institution code, the offer is bank B's products
    bound = await bind_card(client, app, token, holder_card(vault, customer, prefix="6230"))
    assert (bound["card"]["bankCode"], bound["card"]["isOwnBank"]) == ("14102201", True)
    offer = bound["offer"]
    assert offer["bank"]["code"] == "14102201" and offer["isOwnBank"] is True
    b_products = set(await Product.filter(bank_id=yc.bank.id, is_active=True).values_list("code", flat=True))
    assert {p["code"] for p in offer["products"]} == b_products and B_PRODUCT in b_products
    assert (await CardLookup.get()).bank_id == yc.bank.id

    # applying at bank B for the first time: bank B's customer record is made from what the person consents to
    signed = (await gql(client, "CreditAuthorisationSign", {"input": {"agree": True, "bankId": offer["bank"]["id"]}}, token=token))
    assert signed["data"]["creditAuthorisationSign"]["errors"] == [], signed
    record = await Customer.get(bank_id=yc.bank.id, id_number_hash=customer.id_number_hash)
    assert record.id != customer.id and record.branch_id == yc.head.id and record.name == customer.name
    linked = await AuditEvent.get(action="customer.link_bank")
    assert linked.entity_id == str(record.id) and linked.after["created"] is True and "idNumber" in linked.after["consented"]
    assert await Customer.filter(id_number_hash=customer.id_number_hash).count() == 2
    # the phone both records carry is still one account (signing in is not refused as a shared phone)
    assert await accounts_for_phone(vault.lookup_hash(PHONE)) == [customer.id]

    # bank B grants a line to its record; the app sees it with the person's other lines
    line = await grant_credit_line(actor=SYSTEM, customer_id=record.id, product_code=B_PRODUCT, limit_fen=5_000_000,
                                   valid_from=date(2026, 1, 1), valid_until=date(2028, 12, 31))
    assert line.branch_id == yc.head.id
    me = (await gql(client, "Me", token=token))["data"]["me"]
    line_ids = {e["node"]["id"]: e["node"]["product"]["code"] for e in me["creditLines"]["edges"]}
    assert B_PRODUCT in line_ids.values()
    line_gid = next(i for i, code in line_ids.items() if code == B_PRODUCT)

    # apply + confirm: the loan pays into the bank-B card and belongs to bank B, as do its ledger entries
    apply_vars = {"input": {"creditLineId": line_gid, "amount": "10000.00", "termMonths": 12, "method": "EQUAL_INSTALLMENT",
                            "idempotencyKey": str(uuid.uuid4())}}
    applied = (await gql(client, "LoanApply", apply_vars, token=token))["data"]["loanApply"]
    assert applied["errors"] == [], applied
    confirm = {"input": {"applicationId": applied["application"]["id"], "code": last_sms_code(app)}}
    confirmed = (await gql(client, "LoanApplicationConfirm", confirm, token=token))["data"]["loanApplicationConfirm"]
    assert confirmed["errors"] == [], confirmed
    loan = await Loan.get().prefetch_related("branch", "card", "product")
    assert (loan.customer_id, loan.credit_line_id, loan.branch.bank_id, loan.product.bank_id) == (record.id, line.id, yc.bank.id, yc.bank.id)
    assert loan.card.card_number_hash == vault.lookup_hash(holder_card(vault, customer, prefix="6230"))
    books = await LedgerTransaction.filter(loan_id=loan.id).values_list("bank_id", flat=True)
    assert books and set(books) == {yc.bank.id}
    # the bank-B card repays that loan: it cannot be unbound before the loan is settled
    unbind = (await gql(client, "CardUnbind", {"input": {"cardId": bound["card"]["id"]}}, token=token))["data"]["cardUnbind"]
    assert [e["code"] for e in unbind["errors"]] == ["CARD_IN_USE"]

    # bank B's counter may bind that card to its own record of the person (the same person, not "another customer")
    await Customer.filter(id=record.id).update(branch_id=yc.branch.id)  # a record bank B's officer looks after
    officer, sms = await yc.actor("yc_officer"), SandboxSms(expose_codes=True)
    b_card = holder_card(vault, customer, prefix="6230")
    binding = await start_card_binding(actor=officer, customer_id=record.id, card_number=b_card, core=SandboxCoreBanking(), sms=sms, vault=vault,
                                       now=datetime.now(UTC))
    view = await confirm_card_binding(actor=officer, customer_id=record.id, binding_id=binding.id, code=sms.last_code(PHONE), vault=vault,
                                      now=datetime.now(UTC))
    assert view.card.customer_id == record.id and view.lookup.bank_id == yc.bank.id


async def test_a_borrower_with_cards_at_two_member_banks_chooses(client, app, demo, vault):
    yc = await _bank_b()
    first = await Bank.get(code="14102301")
    customer, _ = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    await bind_card(client, app, token, holder_card(vault, customer, prefix="6217"))
    # (another reserved phone: one code a minute to a phone)
    await bind_card(client, app, token, holder_card(vault, customer, prefix="6230", phone="13900000009"), phone="13900000009")  # now the default

    # the default card's bank is offered; both member banks are the choices
    offer = await _offer(client, token)
    assert offer["bank"]["code"] == "14102201" and {b["code"] for b in offer["banks"]} == {"14102201", "14102301"}
    a_products = set(await Product.filter(bank_id=first.id, is_active=True).values_list("code", flat=True))
    b_products = set(await Product.filter(bank_id=yc.bank.id, is_active=True).values_list("code", flat=True))
    assert {p["code"] for p in offer["products"]} == b_products
    # choosing bank #1 offers bank #1's products, through its card
    chosen = await _offer(client, token, str(first.id))
    assert chosen["bank"]["code"] == "14102301" and {p["code"] for p in chosen["products"]} == a_products and chosen["cardId"] != offer["cardId"]
    # a bank none of their cards is of offers nothing
    other = await _offer(client, token, str(uuid.uuid4()))
    assert other["products"] == [] and "尚未绑定该行" in other["message"]


async def test_a_card_of_a_bank_that_is_no_member_gets_todays_message(client, app, demo, vault):
    await _bank_b()
    customer, _ = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    bound = await bind_card(client, app, token, holder_card(vault, customer, prefix="6222"))
    assert (bound["card"]["bankName"], bound["card"]["isOwnBank"]) == ("中国工商银行", False)
    offer = await _offer(client, token)
    assert offer["products"] == [] and offer["bank"] is None and offer["isOwnBank"] is False
    assert offer["message"] == "您的默认银行卡开户行为中国工商银行，暂无该行可在线办理的信贷产品。绑定本行银行卡后即可在线借款，或联系您的客户经理。"


async def test_the_sandbox_card_lookup_names_the_institution_by_the_first_four_digits():
    from app.integrations.core_banking import SandboxCoreBanking

    core = SandboxCoreBanking()
    codes = {p: (await core.lookup_card(p + "000000000001234")).bank_code for p in ("6217", "6230", "6222", "6228", "9999")}
    assert codes == {"6217": "14102301", "6230": "14102201", "6222": "01020000", "6228": "01030000", "9999": "14102301"}
    assert (await core.lookup_card("6217000000000004")).bank_name == "中国工商银行"  # last four 0004: always another bank
