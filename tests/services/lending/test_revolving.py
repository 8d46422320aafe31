"""随借随还: 积数 interest, settlement period 21st–20th (结息日 the 20th of Mar/Jun/Sep/Dec) due on the 21st, principal any time."""

import uuid
from datetime import date, timedelta

from app.models import CreditLine, Installment, LedgerEntry, Loan
from app.domain.vocabulary import InstallmentStatus, LoanStatus
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.repayment import prepay, quote_prepayment
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY

DAILY = (2 * 1_000_000 * 45_000 + 360_000_000) // 720_000_000  # 10,000 yuan at 4.5 % for one day = 125 fen


async def _revolving(core, vault, amount_fen=1_000_000):
    _, line = await customer_with_line(vault)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=12, method="revolving",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)


async def _eod_until(core, vault, last: date):
    while await business_date.current() <= last:
        await run_eod(core=core, vault=vault)
    assert await ledger_check(today=last) == []


async def test_interest_through_the_20th_falls_due_on_the_21st_and_is_debited(bank, core, vault):
    loan = await _revolving(core, vault)
    rows = await Installment.filter(loan_id=loan.id).order_by("number")
    assert [r.due_on for r in rows][:2] == [date(2026, 12, 21), date(2027, 3, 21)] and rows[-1].principal_fen == 1_000_000
    await _eod_until(core, vault, date(2026, 12, 20))  # the 结息日 closes the period 27 Nov – 20 Dec (24 days)
    first = await Installment.get(id=rows[0].id)
    assert (first.interest_fen, first.status) == (24 * DAILY, InstallmentStatus.PENDING)  # exact the morning it is due
    receivable = sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(loan_id=loan.id, account="interest_receivable"))
    assert receivable == 24 * DAILY and (await Loan.get(id=loan.id)).accrued_interest_fen == 0
    await _eod_until(core, vault, date(2026, 12, 21))  # 付息日: auto-debit collects it
    first = await Installment.get(id=rows[0].id)
    assert first.status == InstallmentStatus.PAID and first.paid_interest_fen == 24 * DAILY
    loan = await Loan.get(id=loan.id)
    assert loan.accrued_interest_fen == DAILY and loan.outstanding_principal_fen == 1_000_000  # 21 Dec starts the next period
    income = sum(e.credit_fen - e.debit_fen for e in await LedgerEntry.filter(account="interest_income"))
    assert income == 25 * DAILY


async def test_principal_any_time_lowers_the_interest(bank, core, vault):
    loan = await _revolving(core, vault)
    await _eod_until(core, vault, TODAY + timedelta(days=4))
    today = await business_date.current()
    loan = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=400_000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    assert loan.outstanding_principal_fen == 600_000
    assert (await CreditLine.get(id=loan.credit_line_id)).used_fen == 600_000
    await _eod_until(core, vault, date(2026, 12, 20))
    first = await Installment.filter(loan_id=loan.id).order_by("number").first()
    # 积数: 10,000 yuan for 27 Nov – 1 Dec (5 days), 6,000 yuan for 2 – 20 Dec (19 days), rounded once
    assert first.interest_fen == (2 * (1_000_000 * 5 + 600_000 * 19) * 45_000 + 360_000_000) // 720_000_000


async def test_payoff_is_principal_plus_what_accrued(bank, core, vault):
    loan = await _revolving(core, vault)
    await _eod_until(core, vault, TODAY + timedelta(days=9))
    today = await business_date.current()
    plan = await quote_prepayment(actor=SYSTEM, loan_id=loan.id, amount_fen=None, today=today)
    assert plan.full and plan.payoff.interest_fen == 10 * DAILY and plan.total_fen == 1_000_000 + 10 * DAILY
    loan = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=None, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault, payoff=True)
    assert loan.status == LoanStatus.SETTLED
    await _eod_until(core, vault, today)


async def test_same_day_repayment_of_a_new_revolving_loan(bank, core, vault):
    loan = await _revolving(core, vault)
    loan = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=None, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault, payoff=True)
    assert loan.status == LoanStatus.SETTLED
    assert sum(e.credit_fen for e in await LedgerEntry.filter(account="interest_receivable")) == 0
