"""The worked examples of docs/lending.md, driven through drawdown, repayment and the real end-of-day.

Every expected figure is computed by hand in the comment next to it (integer fen, half-up).
"""

import uuid
from datetime import date, timedelta

from app.models import BankCard, CreditLine, Installment, LedgerEntry, Loan
from app.domain.vocabulary import InstallmentStatus, LoanStatus
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.pricing import publish_lpr
from app.services.lending.repayment import prepay, quote_prepayment, repay
from app.services.customers.identifiers import card_fields
from tests.factories import customer_with_line

FAILING_CARD = "6217000010000002"  # the sandbox core refuses its debits
PAYING_CARD = "6217000010009999"


async def _draw(core, vault, *, on: date, amount_fen: int, term: int, method: str, spread_bp: int, card: str = "6217000010001234", limit_yuan: int = 100_000):
    """A loan drawn on `on` at 1Y LPR 3.00 % (seeded since 2025-05-20) + `spread_bp`."""
    await business_date.set_current(on)
    _, line = await customer_with_line(vault, card=card, limit_yuan=limit_yuan, valid_from=date(2025, 12, 1))
    await CreditLine.filter(id=line.id).update(spread_bp=spread_bp)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=term, method=method,
                           idempotency_key=uuid.uuid4(), today=on, core=core, vault=vault)


async def _eod_through(core, vault, last: date) -> None:
    while await business_date.current() <= last:
        await run_eod(core=core, vault=vault)
        assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []


async def _receivable(loan_id, account="interest_receivable") -> int:
    return sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(loan_id=loan_id, account=account))


async def test_revolving_settlement_is_the_70_day_jishu_rounded_once(demo, core, vault):
    # given ¥100,000.00 drawn on a revolving line on 2026-01-10 at 3.45 %, and no other movement
    loan = await _draw(core, vault, on=date(2026, 1, 10), amount_fen=10_000_000, term=12, method="revolving", spread_bp=45)
    assert loan.annual_rate_ppm == 34_500
    # when end-of-day runs through the 结息日 2026-03-20
    await _eod_through(core, vault, date(2026, 3, 20))
    # then the row due on the 付息日 2026-03-21 holds 10,000,000 × 34,500 × 70 / 360,000,000 = 67,083.33 -> ¥670.83
    # (rounded every day: 958 fen × 70 = ¥670.60), receivable the morning it is due
    row = await Installment.get(loan_id=loan.id, due_on=date(2026, 3, 21))
    assert (row.interest_fen, row.status) == (67_083, InstallmentStatus.PENDING)
    assert await _receivable(loan.id) == 67_083
    # and auto-debit collects exactly that on the 21st; the 21st starts the next period
    await _eod_through(core, vault, date(2026, 3, 21))
    row = await Installment.get(id=row.id)
    assert (row.status, row.paid_interest_fen) == (InstallmentStatus.PAID, 67_083)
    loan = await Loan.get(id=loan.id)
    assert loan.accrued_interest_fen == 958  # 10,000,000 × 34,500 / 360,000,000 = 958.33 for 21 Mar
    assert await _receivable(loan.id) == 0


async def test_revolving_settlement_across_a_repricing_on_1_january(demo, core, vault):
    # given ¥100,000.00 drawn on 2025-12-21 at 3.45 % (1Y LPR 3.00 % + 45 bp), repricing on 1 January
    loan = await _draw(core, vault, on=date(2025, 12, 21), amount_fen=10_000_000, term=12, method="revolving", spread_bp=45)
    assert (loan.annual_rate_ppm, loan.next_repricing_on) == (34_500, date(2026, 1, 1))
    # and the 1Y LPR published on 2025-12-22 at 2.65 % (3.10 % with the spread)
    await publish_lpr(actor=SYSTEM, published_on=date(2025, 12, 22), one_year_ppm=26_500, five_year_ppm=31_500, scheduled=True)
    # when end-of-day runs through 2026-03-20
    await _eod_through(core, vault, date(2026, 3, 20))
    # then 21–31 Dec (11 days) at 3.45 % and 1 Jan – 20 Mar (79 days) at 3.10 %, 1 January included:
    # 10,000,000 × (34,500 × 11 + 31,000 × 79) / 360,000,000 = 78,569.44 -> ¥785.69
    # (1 January at the old rate would give 78,666.67 -> ¥786.67)
    assert (await Loan.get(id=loan.id)).annual_rate_ppm == 31_000
    row = await Installment.get(loan_id=loan.id, due_on=date(2026, 3, 21))
    assert row.interest_fen == 78_569 and await _receivable(loan.id) == 78_569


async def test_one_day_late_pays_one_day_of_penalty(demo, core, vault):
    # given ¥120,000.00 等额本金 over 12 months at 4.35 % (3.00 % + 135 bp) drawn 2026-11-27: ¥10,000.00 principal
    # and 12,000,000 × 43,500 / 12,000,000 = 43,500 fen interest due on 2026-12-27, and a card the core refuses
    loan = await _draw(core, vault, on=date(2026, 11, 27), amount_fen=12_000_000, term=12, method="equal_principal",
                       spread_bp=135, card=FAILING_CARD, limit_yuan=200_000)
    first = await Installment.get(loan_id=loan.id, number=1)
    assert (first.due_on, first.principal_fen, first.interest_fen) == (date(2026, 12, 27), 1_000_000, 43_500)
    # when the auto-debit of the due date fails
    await _eod_through(core, vault, date(2026, 12, 27))
    # then the due date itself earns penalty at 4.35 % × 1.5 = 6.525 %:
    # 1,000,000 × 65,250 / 360,000,000 = 181.25 -> ¥1.81; compound 43,500 × 65,250 / 360,000,000 = 7.88 -> 8 fen
    first = await Installment.get(id=first.id)
    assert (first.status, first.penalty_fen, first.compound_fen) == (InstallmentStatus.OVERDUE, 181, 8)
    # and the borrower who pays the next day pays exactly that, and nothing more accrues
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYING_CARD))
    today = await business_date.current()
    assert today == date(2026, 12, 28)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=1_043_689, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    await _eod_through(core, vault, today)
    first = await Installment.get(id=first.id)
    assert (first.status, first.paid_penalty_fen, first.paid_compound_fen, first.penalty_fen) == (InstallmentStatus.PAID, 181, 8, 181)
    loan = await Loan.get(id=loan.id)
    assert (loan.penalty_fen, loan.compound_fen) == (0, 0)
    assert abs(loan.penalty_carry) <= 180_000_000_000 and abs(loan.compound_carry) <= 180_000_000_000  # under half a fen


async def test_penalty_and_compound_are_rounded_once_per_loan(demo, core, vault):
    # given ¥5,000.00 先息后本 for one month at 4.35 %: 5,000 × 4.35 % / 12 = 18.125 -> 1,813 fen interest due 2026-12-27
    loan = await _draw(core, vault, on=date(2026, 11, 27), amount_fen=500_000, term=1, method="interest_first",
                       spread_bp=135, card=FAILING_CARD)
    # when it stays unpaid for ten days (27 Dec – 5 Jan)
    await _eod_through(core, vault, date(2027, 1, 5))
    # then penalty 500,000 × 65,250 × 10 / 360,000,000 = 906.25 -> 906 (rounded daily: 91 × 10 = 910)
    # and compound 1,813 × 65,250 × 10 / 360,000,000 = 3.29 -> 3 (rounded daily: 0.33 -> 0, never any)
    row = await Installment.get(loan_id=loan.id, number=1)
    assert (row.penalty_fen, row.compound_fen) == (906, 3)
    assert await _receivable(loan.id, "penalty_receivable") == 906 and await _receivable(loan.id, "compound_receivable") == 3


async def test_per_loan_penalty_is_shared_over_installments_oldest_first(demo, core, vault):
    # given ¥24,000.00 等额本金 over 2 months at 4.35 %: 1,200,000 fen due 2026-12-27 and 2027-01-27, never paid
    loan = await _draw(core, vault, on=date(2026, 11, 27), amount_fen=2_400_000, term=2, method="equal_principal",
                       spread_bp=135, card=FAILING_CARD)
    await _eod_through(core, vault, date(2027, 1, 27))
    one, two = await Installment.filter(loan_id=loan.id).order_by("number")
    # then the loan's penalty is its 积数 rounded once: 1,200,000 for 27 Dec – 26 Jan (31 days) and
    # 2,400,000 on 27 Jan: (1,200,000 × 31 + 2,400,000) × 65,250 / 360,000,000 = 7,177.5 -> 7,178;
    # 27 Jan's 435 fen (2,400,000 × 65,250 / 360,000,000) is shared half and half, the oldest taking any odd fen
    assert one.penalty_fen + two.penalty_fen == 7_178 == (await Loan.get(id=loan.id)).penalty_fen
    assert two.penalty_fen == 217 and one.penalty_fen == 7_178 - 217


async def test_revolving_row_paid_by_hand_on_its_due_date_is_never_repriced(demo, core, vault):
    # given ¥10,000.00 revolving at 4.50 % drawn 2026-11-27, ¥4,000.00 of it repaid on 2026-12-02
    loan = await _draw(core, vault, on=date(2026, 11, 27), amount_fen=1_000_000, term=12, method="revolving", spread_bp=150,
                       card=FAILING_CARD)
    await _eod_through(core, vault, date(2026, 12, 1))
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYING_CARD))
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=400_000, idempotency_key=uuid.uuid4(), today=date(2026, 12, 2), core=core, vault=vault)
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, FAILING_CARD))
    await _eod_through(core, vault, date(2026, 12, 20))
    # when the borrower pays the settlement row by hand on the 付息日, before end-of-day
    row = await Installment.get(loan_id=loan.id, due_on=date(2026, 12, 21))
    # (1,000,000 × 5 + 600,000 × 19) × 45,000 / 360,000,000 = 2,050 fen
    assert row.interest_fen == 2_050
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYING_CARD))
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=2050, idempotency_key=uuid.uuid4(), today=date(2026, 12, 21), core=core, vault=vault)
    await _eod_through(core, vault, date(2026, 12, 21))
    # then end-of-day leaves the paid row as paid, and the loan owes nothing more for the period
    row = await Installment.get(id=row.id)
    assert (row.interest_fen, row.paid_interest_fen, row.status) == (2_050, 2_050, InstallmentStatus.PAID)
    assert await _receivable(loan.id) == 0


async def test_payoff_on_the_payment_day_pays_interest_through_the_day_before(demo, core, vault):
    # given ¥10,000.00 revolving at 4.50 % drawn 2026-11-27, settled through 20 Dec
    loan = await _draw(core, vault, on=date(2026, 11, 27), amount_fen=1_000_000, term=12, method="revolving", spread_bp=150,
                       card=PAYING_CARD)
    await _eod_through(core, vault, date(2026, 12, 20))
    # when on 21 Dec the borrower pays the settlement row (24 days × 125 fen = 3,000) and then pays off
    today = date(2026, 12, 21)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=3000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    plan = await quote_prepayment(actor=SYSTEM, loan_id=loan.id, amount_fen=None, today=today)
    # then the payoff is the principal alone: interest through 20 Dec is paid, 21 Dec earns none
    assert (plan.payoff.principal_fen, plan.payoff.interest_fen) == (1_000_000, 0)
    loan = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=None, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault, payoff=True)
    assert loan.status == LoanStatus.SETTLED
    await _eod_through(core, vault, today)
    income = sum(e.credit_fen - e.debit_fen for e in await LedgerEntry.filter(account="interest_income"))
    assert income == 3_000


async def test_term_payoff_on_a_due_date_after_paying_it(demo, core, vault):
    # given ¥12,000.00 等额本息 over 12 months at 4.50 % drawn 2026-11-27 (first due 2026-12-27, 4,500 fen interest)
    loan = await _draw(core, vault, on=date(2026, 11, 27), amount_fen=1_200_000, term=12, method="equal_installment", spread_bp=150,
                       card=FAILING_CARD)
    await _eod_through(core, vault, date(2026, 12, 26))
    first = await Installment.get(loan_id=loan.id, number=1)
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYING_CARD))
    today = date(2026, 12, 27)
    owed = first.principal_fen + first.interest_fen
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    # when the borrower pays off the same day
    plan = await quote_prepayment(actor=SYSTEM, loan_id=loan.id, amount_fen=None, today=today)
    # then no interest for the due date itself (the next period starts today, nothing earned yet)
    assert (plan.payoff.principal_fen, plan.payoff.interest_fen) == (1_200_000 - first.principal_fen, 0)
    loan = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=None, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault, payoff=True)
    assert loan.status == LoanStatus.SETTLED
    await _eod_through(core, vault, today)
    income = sum(e.credit_fen - e.debit_fen for e in await LedgerEntry.filter(account="interest_income"))
    assert income == 4_500


async def test_loan_started_on_31_january_keeps_its_day_of_month(demo, core, vault):
    # given a 3-month loan drawn on 2026-01-31 (每月对日)
    loan = await _draw(core, vault, on=date(2026, 1, 31), amount_fen=900_000, term=3, method="equal_principal", spread_bp=150)
    rows = await Installment.filter(loan_id=loan.id).order_by("number")
    # then it falls due on 28 Feb, 31 Mar and 30 Apr (not 28 Mar and 28 Apr)
    assert [r.due_on for r in rows] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert (loan.first_due_on, loan.maturity_on) == (date(2026, 2, 28), date(2026, 4, 30))
    # and end-of-day collects the second installment on 31 March, not before
    await _eod_through(core, vault, date(2026, 3, 30))
    assert (await Installment.get(id=rows[1].id)).status == InstallmentStatus.PENDING
    await _eod_through(core, vault, date(2026, 3, 31))
    assert (await Installment.get(id=rows[1].id)).status == InstallmentStatus.PAID
