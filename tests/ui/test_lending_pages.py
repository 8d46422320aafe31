import re
import uuid
from datetime import timedelta

from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, BankCard, Installment, Loan
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from tests.factories import csrf_token, customer_with_line, login
from tests.factories.borrower import PHONE, holder_card
from tests.factories.villages import NOW
from tests.services.lending.conftest import TODAY


async def _loan(vault, **kwargs):
    _, line = await customer_with_line(vault, **kwargs)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    return line, loan


def _key(html: str, form_action: str) -> str:
    form = html[re.search(rf'action="[^"]*{re.escape(form_action)}"', html).start():]
    return re.search(r'name="idempotency_key" value="([^"]+)"', form).group(1)


async def test_loan_page_shows_schedule_and_ledger(client, demo, vault):
    await business_date.set_current(TODAY)
    _, loan = await _loan(vault)
    await login(client)
    page = await client.get(f"/loans/{loan.id}")
    assert page.status_code == 200
    assert "¥12,000.00" in page.text and "4.50%" in page.text and 'id="installment-12-row"' in page.text
    assert "loan_principal" in page.text
    listing = await client.get("/loans")
    assert f'id="loan-{loan.id}-row"' in listing.text


async def test_repay_with_nothing_due_rerenders_the_form_with_the_reason(client, demo, vault):
    await business_date.set_current(TODAY)
    _, loan = await _loan(vault)
    await login(client)
    page = await client.get(f"/loans/{loan.id}")
    token = await csrf_token(client)
    key = _key(page.text, f"/loans/{loan.id}/repay")
    response = await client.post(f"/loans/{loan.id}/repay", data={"amount": "100.00", "idempotency_key": key, "csrf_token": token}, headers={"HX-Request": "true"})
    assert response.status_code == 422
    assert "当前没有到期应还的款项" in response.text and 'id="payments"' in response.text and "<html" not in response.text
    bad = await client.post(f"/loans/{loan.id}/repay", data={"amount": "1.234", "idempotency_key": key, "csrf_token": token})
    assert bad.status_code == 422 and "金额最多保留两位小数" in bad.text


async def test_repay_what_is_overdue_through_the_page(client, demo, vault):
    await business_date.set_current(TODAY)
    _, loan = await _loan(vault, card="6217000010000002")  # auto-debit fails: the first installment goes overdue
    core = SandboxCoreBanking()
    for _ in range(32):
        await run_eod(core=core, vault=vault)
    from app.models import BankCard
    from app.services.customers.identifiers import card_fields

    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, "6217000010005555"))  # the customer brings money
    first = await Installment.get(loan_id=loan.id, number=1)
    owed = first.principal_fen + first.interest_fen + first.penalty_fen + first.compound_fen
    await login(client)
    page = await client.get(f"/loans/{loan.id}")
    token = await csrf_token(client)
    response = await client.post(f"/loans/{loan.id}/repay", data={"amount": f"{owed // 100}.{owed % 100:02d}", "idempotency_key": _key(page.text, f"/loans/{loan.id}/repay"), "csrf_token": token})
    assert response.status_code == 303 and response.headers["location"] == f"/loans/{loan.id}"
    assert (await Installment.get(id=first.id)).status == "paid"


async def test_prepay_quote_fragment_and_full_prepayment(client, demo, vault):
    await business_date.set_current(TODAY + timedelta(days=10))
    _, loan = await _loan(vault)
    await login(client)
    quote = await client.get(f"/loans/{loan.id}/prepay-quote", headers={"HX-Request": "true"})
    assert "全部结清" in quote.text and "¥12,015.00" in quote.text  # 12,000 + 12,000 × 4.5% × 10 / 360
    partial = await client.get(f"/loans/{loan.id}/prepay-quote?prepay_amount=3000", headers={"HX-Request": "true"})
    assert "全部结清" not in partial.text and 'name="payoff"' not in partial.text and "确认提前还款" in partial.text
    page = await client.get(f"/loans/{loan.id}")
    assert 'data-confirm="全部结清这笔贷款：将从绑定银行卡扣款 ¥12,015.00' in page.text and 'name="payoff" value="1"' in page.text
    token = await csrf_token(client)
    key = _key(page.text, f"/loans/{loan.id}/prepay")
    unasked = await client.post(f"/loans/{loan.id}/prepay", data={"prepay_amount": "", "idempotency_key": key, "csrf_token": token}, headers={"HX-Request": "true"})
    assert unasked.status_code == 422 and "全部结清须明确选择" in unasked.text and 'id="prepay_amount-error"' in unasked.text
    whole = await client.post(f"/loans/{loan.id}/prepay", data={"prepay_amount": "12000", "idempotency_key": key, "csrf_token": token})
    assert whole.status_code == 422 and "该金额将全部结清贷款（应付 ¥12,015.00）" in whole.text
    assert (await Loan.get(id=loan.id)).status == "active"
    done = await client.post(f"/loans/{loan.id}/prepay", data={"prepay_amount": "", "payoff": "1", "idempotency_key": key, "csrf_token": token})
    assert done.status_code == 303
    assert (await Loan.get(id=loan.id)).status == "settled"


async def test_counter_drawdown_quotes_then_confirms(client, demo, vault):
    await business_date.set_current(TODAY)
    line, _ = await customer_with_line(vault), None
    _, line = line
    await login(client)
    token = await csrf_token(client)
    page = await client.get(f"/lines/{line.id}")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    form = {"amount": "3000.00", "term_months": "6", "method": "equal_principal", "idempotency_key": key, "csrf_token": token}
    quoted = await client.post(f"/lines/{line.id}", data=form, headers={"HX-Request": "true"})
    assert quoted.status_code == 200 and "确认借款并放款" in quoted.text and "4.50%" in quoted.text
    too_much = await client.post(f"/lines/{line.id}", data={**form, "amount": "999999.00"})
    assert too_much.status_code == 422 and "借款金额超过可用额度" in too_much.text
    done = await client.post(f"/lines/{line.id}", data={**form, "confirm": "1"})
    assert done.status_code == 303
    assert await Loan.filter(credit_line_id=line.id).count() == 1
    again = await client.post(f"/lines/{line.id}", data={**form, "confirm": "1"})  # a double tap: same key, same loan
    assert again.status_code == 303 and await Loan.filter(credit_line_id=line.id).count() == 1


async def test_forms_show_every_error_at_once(client, demo, vault):
    """The drawdown and calculator forms stopped at their first error (issue 19 #8b)."""
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    await login(client)
    token = await csrf_token(client)
    page = await client.get(f"/lines/{line.id}")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    both = await client.post(f"/lines/{line.id}", data={"amount": "三千", "term_months": "", "method": "equal_principal", "idempotency_key": key,
                                                        "csrf_token": token}, headers={"HX-Request": "true"})
    assert both.status_code == 422 and 'id="amount-error"' in both.text and 'id="term-error">请输入期限（月）' in both.text
    calc = await client.get("/calculator?principal=-1&rate=abc&term_months=x&method=equal_installment&start_date=2011-13-40", headers={"HX-Request": "true"})
    assert calc.status_code == 422 and all(f'id="calc-error-{f}"' in calc.text for f in ("principal", "rate", "term_months", "start_date"))
    assert 'id="rate" name="rate" inputmode="decimal" value="abc" aria-invalid="true" aria-describedby="calc-error-rate"><p class="error" id="calc-error-rate">' in calc.text


async def test_other_branch_officer_gets_404(client, demo, vault):
    await business_date.set_current(TODAY)
    line, loan = await _loan(vault)
    await login(client, username="officer2")
    assert (await client.get(f"/loans/{loan.id}")).status_code == 404
    assert (await client.get(f"/lines/{line.id}")).status_code == 404
    assert (await client.get("/loans/not-a-uuid")).status_code == 404


async def test_calculator_page(client, demo):
    page = await client.get("/calculator?principal=12000&rate=24&term_months=4&method=equal_installment&start_date=2011-09-20")
    assert page.status_code == 200 and "¥3,151.49" in page.text
    bad = await client.get("/calculator?principal=-1&rate=24&term_months=4&method=equal_installment&start_date=2011-09-20", headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "金额不能为负数" in bad.text and "<html" not in bad.text


async def test_a_loan_whose_disbursement_is_unknown_shows_processing_never_not_disbursed(client, demo, vault):
    await business_date.set_current(TODAY)
    _, loan = await _loan(vault, card="6217000010000007")  # sandbox: paid, and the answer (and first status query) lost
    await login(client)
    page = await client.get(f"/loans/{loan.id}")
    assert page.status_code == 200
    assert f'id="loan-{loan.id}-status">放款处理中' in page.text and "未放款" not in page.text
    await Loan.filter(id=loan.id).update(status="active", debit_in_flight="eod:x")
    page = await client.get(f"/loans/{loan.id}")
    assert f'id="loan-{loan.id}-status">未结清 · 扣款处理中' in page.text and "未扣款" not in page.text


BAD_AMOUNTS = {"abc": "金额格式不正确", "1.001": "金额最多保留两位小数", "-1": "金额不能为负数", "9" * 60: "金额过大"}


async def test_calculator_bad_text_shows_at_its_input(client, demo):
    query = "/calculator?principal={}&rate={}&term_months=4&method=equal_installment&start_date=2011-09-20"
    for text, message in {**BAD_AMOUNTS, "": "金额格式不正确"}.items():
        bad = await client.get(query.format(text, "24"), headers={"HX-Request": "true"})
        assert bad.status_code == 422 and f'id="calc-error-principal">{message}<' in bad.text, text
    for text, message in {"abc": "利率格式不正确", "-1": "利率不能为负数", "4.12345": "利率最多保留四位小数"}.items():
        bad = await client.get(query.format("12000", text), headers={"HX-Request": "true"})
        assert bad.status_code == 422 and f'id="calc-error-rate">{message}<' in bad.text, text
    exponent = await client.get(query.format("1e3", "24"), headers={"HX-Request": "true"})  # not a way anyone writes an amount
    assert exponent.status_code == 422 and 'id="calc-error-principal">金额格式不正确<' in exponent.text


async def test_bad_money_text_in_the_payment_and_drawdown_forms_shows_at_its_input(client, demo, vault):
    await business_date.set_current(TODAY)
    line, loan = await _loan(vault)
    await login(client)
    token = await csrf_token(client)
    page = await client.get(f"/loans/{loan.id}")
    for text, message in {**BAD_AMOUNTS, "": "金额格式不正确"}.items():
        repay = await client.post(f"/loans/{loan.id}/repay", data={"amount": text, "idempotency_key": _key(page.text, f"/loans/{loan.id}/repay"), "csrf_token": token})
        assert repay.status_code == 422 and f'id="amount-error">{message}<' in repay.text, text
    for text, message in BAD_AMOUNTS.items():
        prepay = await client.post(f"/loans/{loan.id}/prepay", data={"prepay_amount": text, "idempotency_key": _key(page.text, f"/loans/{loan.id}/prepay"), "csrf_token": token})
        assert prepay.status_code == 422 and f'id="prepay_amount-error">{message}<' in prepay.text, text
        quote = await client.get(f"/loans/{loan.id}/prepay-quote", params={"prepay_amount": text}, headers={"HX-Request": "true"})
        assert f'id="prepay-quote-error">{message}<' in quote.text, text
        form = {"amount": text, "term_months": "6", "method": "equal_principal", "idempotency_key": str(uuid.uuid4()), "csrf_token": token}
        for extra in ({}, {"confirm": "1"}):
            drawdown = await client.post(f"/lines/{line.id}", data={**form, **extra})
            assert drawdown.status_code == 422 and f'id="amount-error">{message}<' in drawdown.text, (text, extra)
    assert await Loan.all().count() == 1 and (await Loan.get(id=loan.id)).status == "active"


async def test_counter_drawdown_binds_the_card_at_the_counter_first(client, demo, vault, app):
    # given a customer with a line and no bound card
    await business_date.set_current(TODAY)
    customer, line = await customer_with_line(vault)
    await BankCard.filter(customer_id=customer.id).update(unbound_at=NOW, is_default=False)
    await login(client)
    token = await csrf_token(client)
    # the line page asks for the card instead of offering a drawdown that cannot pay out
    page = await client.get(f"/lines/{line.id}")
    assert 'id="line-card-missing"' in page.text and 'id="drawdown"' not in page.text
    bad = await client.post(f"/lines/{line.id}/card", data={"card_number": "6217000010001235", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and 'id="card-number-error"' in bad.text and "<html" not in bad.text
    # the officer types the customer's card number: the code goes to the phone the bank holds
    asked = await client.post(f"/lines/{line.id}/card", data={"card_number": holder_card(vault, customer), "csrf_token": token})
    assert asked.status_code == 200 and 'id="line-card-code-sent"' in asked.text and "138****0000" in asked.text
    binding_id = re.search(r'name="binding_id" value="([^"]+)"', asked.text).group(1)
    code = [m for m in app.state.sms.messages if m.phone == PHONE and m.code][-1].code
    assert code not in asked.text
    wrong = await client.post(f"/lines/{line.id}/card/confirm", data={"binding_id": binding_id, "code": "000000", "csrf_token": token})
    assert wrong.status_code == 422 and "验证码不正确" in wrong.text
    bound = await client.post(f"/lines/{line.id}/card/confirm", data={"binding_id": binding_id, "code": code, "csrf_token": token})
    assert bound.status_code == 303 and bound.headers["location"] == f"/lines/{line.id}"
    # then the drawdown works, paid to the card just bound
    page = await client.get(f"/lines/{line.id}")
    assert 'id="line-card-bound"' in page.text and 'id="drawdown"' in page.text
    form = {"amount": "3000.00", "term_months": "6", "method": "equal_principal", "idempotency_key": _key(page.text, f"/lines/{line.id}"),
            "csrf_token": token, "confirm": "1"}
    done = await client.post(f"/lines/{line.id}", data=form)
    assert done.status_code == 303
    loan = await Loan.get(credit_line_id=line.id)
    card = await BankCard.get(customer_id=customer.id, unbound_at=None)
    assert loan.card_id == card.id and card.verified_at is not None
    assert await AuditEvent.filter(action="bank_card.bind", entity_id=str(card.id)).count() == 1
    # and the loan page leads back to its line
    assert f'/lines/{line.id}"' in (await client.get(f"/loans/{loan.id}")).text


async def test_a_counter_drawdown_above_the_threshold_goes_to_a_checker(client, demo, vault, app):
    from app.domain.maker_checker import MakerCheckerPolicy
    from app.models import CreditLine, PendingCommand

    app.state.maker_checker_policy = MakerCheckerPolicy(counter_drawdown_above_fen=1_000_000)  # above ¥10,000
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    await login(client)
    token = await csrf_token(client)
    page = await client.get(f"/lines/{line.id}")
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text).group(1)
    form = {"amount": "12000.00", "term_months": "12", "method": "equal_installment", "idempotency_key": key, "csrf_token": token}
    quoted = await client.post(f"/lines/{line.id}", data=form, headers={"HX-Request": "true"})
    assert quoted.status_code == 200 and 'id="drawdown-check"' in quoted.text and "提交复核" in quoted.text
    sent = await client.post(f"/lines/{line.id}", data={**form, "confirm": "1"})
    assert sent.status_code == 303 and sent.headers["location"].startswith("/checks/")
    assert await Loan.all().count() == 0 and (await CreditLine.get(id=line.id)).used_fen == 0
    again = await client.post(f"/lines/{line.id}", data={**form, "confirm": "1"})  # a double tap: the same request
    assert again.headers["location"] == sent.headers["location"] and await PendingCommand.all().count() == 1
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, "approver")
    request = await client.get(sent.headers["location"])
    assert request.status_code == 200 and "柜面用信" in request.text and "88,000.00" in request.text
    done = await client.post(f"{sent.headers['location']}/approve", data={"csrf_token": await csrf_token(client)})
    assert done.status_code == 303
    assert (await Loan.get()).principal_fen == 1_200_000
