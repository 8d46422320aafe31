"""Repayment, prepayment and end-of-day, with ledger-check after every step that ends a day."""

import uuid
from datetime import date, timedelta

import pytest

from app.domain import idcard
from app.domain.classification import LoanClass
from app.domain.errors import DomainError
from app.models import CreditLine, DebitAttempt, EodRun, Installment, LedgerEntry, Loan
from app.domain.vocabulary import InstallmentStatus, LoanStatus
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.repayment import prepay, quote_prepayment, repay
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


async def _loan(core, vault, *, card="6217000010001234", amount_fen=1_200_000, term=12, method="equal_installment", sequence=357):
    _, line = await customer_with_line(vault, card=card, sequence=sequence)
    return await draw_down(
        actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=term, method=method,
        idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault,
    )


async def _days(core, vault, n):
    for _ in range(n):
        await run_eod(core=core, vault=vault)
        assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []


async def test_accrual_over_a_period_equals_the_schedule_interest(bank, core, vault):
    loan = await _loan(core, vault, card="6217000010000002")  # debits fail: nothing is collected
    first = await Installment.get(loan_id=loan.id, number=1)
    await _days(core, vault, (first.due_on - TODAY).days - 1)  # EOD for every day of the period but its last
    loan = await Loan.get(id=loan.id)
    assert loan.accrued_interest_fen == (2 * 1_200_000 * 45_000 * 29 + 360_000_000) // 720_000_000  # 29 days, rounded once
    await _days(core, vault, 1)  # the period's last day: true-up to the schedule, due tomorrow
    loan = await Loan.get(id=loan.id)
    assert (loan.accrued_interest_fen, loan.interest_carry) == (0, 0)
    receivable = sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(loan_id=loan.id, account="interest_receivable"))
    assert receivable == first.interest_fen == 4500  # the period's interest is receivable the morning it is due
    await _days(core, vault, 1)  # the due date: the first day of the next period
    loan = await Loan.get(id=loan.id)
    next_daily = (2 * (1_200_000 - first.principal_fen) * 45_000 + 360_000_000) // 720_000_000
    assert loan.accrued_interest_fen == next_daily
    accrued = sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(account="accrued_interest"))
    assert accrued == next_daily  # the next period's first day, at portfolio level


async def test_auto_debit_pays_the_installment_on_its_due_date(bank, core, vault):
    loan = await _loan(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _days(core, vault, (first.due_on - TODAY).days + 1)
    first = await Installment.get(id=first.id)
    assert first.status == InstallmentStatus.PAID and first.paid_on == first.due_on
    loan = await Loan.get(id=loan.id)
    assert loan.outstanding_principal_fen == 1_200_000 - first.principal_fen
    assert (await CreditLine.get(id=loan.credit_line_id)).used_fen == loan.outstanding_principal_fen
    attempt = await DebitAttempt.get(loan_id=loan.id)
    assert attempt.ok and attempt.amount_fen == first.principal_fen + first.interest_fen


async def test_failed_debit_makes_the_loan_overdue_with_penalty_and_compound(bank, core, vault):
    loan = await _loan(core, vault, card="6217000010000002")  # sandbox: insufficient funds
    first = await Installment.get(loan_id=loan.id, number=1)
    await _days(core, vault, (first.due_on - TODAY).days + 1)  # through the due date
    first = await Installment.get(id=first.id)
    # 算头不算尾: the due date itself earns penalty (on principal) and compound (on interest) at 4.5 % × 1.5
    pen_day, cmp_day = first.principal_fen * 67_500, first.interest_fen * 67_500  # fen × ppm for one day
    assert first.status == InstallmentStatus.OVERDUE
    assert (first.penalty_fen, first.compound_fen) == ((2 * pen_day + 360_000_000) // 720_000_000, (2 * cmp_day + 360_000_000) // 720_000_000)
    loan = await Loan.get(id=loan.id)
    assert (loan.days_past_due, loan.classification) == (0, LoanClass.NORMAL)  # unpaid at the end of its due date: 0 days past due
    await _days(core, vault, 3)
    first = await Installment.get(id=first.id)
    # four days, rounded once (not four times one rounded day)
    assert (first.penalty_fen, first.compound_fen) == ((8 * pen_day + 360_000_000) // 720_000_000, (8 * cmp_day + 360_000_000) // 720_000_000)
    loan = await Loan.get(id=loan.id)
    assert (loan.days_past_due, loan.classification) == (3, LoanClass.SPECIAL_MENTION) and loan.penalty_fen == first.penalty_fen
    assert await DebitAttempt.filter(loan_id=loan.id, ok=False).count() == 4


async def test_manual_repayment_allocates_penalty_first_and_cures_the_loan(bank, core, vault):
    loan = await _loan(core, vault, card="6217000010000002")
    first = await Installment.get(loan_id=loan.id, number=1)
    await _days(core, vault, (first.due_on - TODAY).days + 3)
    first = await Installment.get(id=first.id)
    today = await business_date.current()
    owed = first.principal_fen + first.interest_fen + first.penalty_fen + first.compound_fen
    # the card has no money: a manual repayment fails too, and nothing changes
    with pytest.raises(DomainError) as err:
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=1000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    assert err.value.code == "DEBIT_FAILED"
    # a payment through another card on file works: switch the sandbox card to one that pays
    from app.models import BankCard
    from app.services.customers.identifiers import card_fields

    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, "6217000010009999"))
    part = first.penalty_fen + 1
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=part, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    first = await Installment.get(id=first.id)
    assert first.paid_penalty_fen == first.penalty_fen and first.paid_compound_fen == 1 and first.paid_principal_fen == 0
    rest = owed - part
    loan = await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=rest, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    assert (await Installment.get(id=first.id)).status == InstallmentStatus.PAID
    await _days(core, vault, 1)
    loan = await Loan.get(id=loan.id)
    assert (loan.days_past_due, loan.classification, loan.penalty_fen, loan.overdue_principal_fen) == (0, LoanClass.NORMAL, 0, 0)


@pytest.mark.parametrize(("amount", "code"), [(0, "INVALID_AMOUNT"), (-100, "INVALID_AMOUNT"), (500, "NOTHING_DUE")])
async def test_bad_repayments_change_nothing(bank, core, vault, amount, code):
    loan = await _loan(core, vault)
    with pytest.raises(DomainError) as err:
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=amount, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    assert err.value.code == code
    assert await LedgerEntry.filter(loan_id=loan.id).count() == 2


async def test_repayment_above_what_is_due_is_refused(bank, core, vault):
    loan = await _loan(core, vault, card="6217000010000002")
    first = await Installment.get(loan_id=loan.id, number=1)
    await _days(core, vault, (first.due_on - TODAY).days + 1)
    with pytest.raises(DomainError) as err:
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=9_999_900, idempotency_key=uuid.uuid4(), today=await business_date.current(), core=core, vault=vault)
    assert err.value.code == "AMOUNT_TOO_LARGE"


async def test_full_prepayment_collects_interest_to_date_and_settles(bank, core, vault):
    loan = await _loan(core, vault)
    await _days(core, vault, 10)
    today = await business_date.current()
    quote = await quote_prepayment(actor=SYSTEM, loan_id=loan.id, amount_fen=None, today=today)
    assert quote.full and quote.payoff.principal_fen == 1_200_000
    assert quote.payoff.interest_fen == (2 * 1_200_000 * 45_000 * 10 + 360_000_000) // 720_000_000
    key = uuid.uuid4()
    loan = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=None, idempotency_key=key, today=today, core=core, vault=vault, payoff=True)
    again = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=None, idempotency_key=key, today=today, core=core, vault=vault, payoff=True)
    assert again.id == loan.id and loan.status == LoanStatus.SETTLED and loan.outstanding_principal_fen == 0
    assert (await CreditLine.get(id=loan.credit_line_id)).used_fen == 0
    await _days(core, vault, 1)
    income = sum(e.credit_fen - e.debit_fen for e in await LedgerEntry.filter(account="interest_income"))
    assert income == quote.payoff.interest_fen


async def test_a_payoff_is_never_implied(bank, core, vault):
    loan = await _loan(core, vault)
    await _days(core, vault, 10)
    today = await business_date.current()
    for amount, payoff in ((None, False), (1_200_000, False), (300_000, True)):
        with pytest.raises(DomainError) as err:
            await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=amount, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault, payoff=payoff)
        assert err.value.field == "amount" and "结清" in err.value.message, amount
    assert (await Loan.get(id=loan.id)).status == LoanStatus.ACTIVE and await LedgerEntry.filter(transaction__kind="prepayment").count() == 0
    done = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=1_200_000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault, payoff=True)
    assert done.status == LoanStatus.SETTLED


async def test_partial_prepayment_keeps_the_term_and_lowers_the_installment(bank, core, vault):
    loan = await _loan(core, vault)
    await _days(core, vault, 40)  # past the first due date (paid by auto-debit)
    today = await business_date.current()
    before = await Installment.get(loan_id=loan.id, number=2)
    loan = await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=500_000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    rows = await Installment.filter(loan_id=loan.id, number__gte=2).order_by("number")
    assert len(rows) == 11 and rows[0].due_on == before.due_on
    assert rows[0].principal_fen + rows[0].interest_fen < before.principal_fen + before.interest_fen
    assert sum(r.principal_fen for r in rows) == loan.outstanding_principal_fen
    await _days(core, vault, 40)


async def test_prepayment_while_overdue_is_refused(bank, core, vault):
    loan = await _loan(core, vault, card="6217000010000002")
    first = await Installment.get(loan_id=loan.id, number=1)
    await _days(core, vault, (first.due_on - TODAY).days + 2)
    with pytest.raises(DomainError) as err:
        await quote_prepayment(actor=SYSTEM, loan_id=loan.id, amount_fen=None, today=await business_date.current())
    assert err.value.code == "OVERDUE_FIRST"


async def test_end_of_day_is_idempotent_per_date_and_resumes(bank, core, vault):
    await _loan(core, vault)
    report = await run_eod(core=core, vault=vault)
    assert report.steps_run == ("reprice", "accrue", "auto_debit", "overdue", "penalty", "classify", "nonaccrual", "positions", "provision", "extension_applications", "advance")
    again = await run_eod(on=TODAY, core=core, vault=vault)
    assert again.already_done and await business_date.current() == TODAY + timedelta(days=1)
    # a run that stopped after two steps resumes from the third
    await EodRun.create(business_on=TODAY + timedelta(days=1), steps_done=["reprice", "accrue", "auto_debit"])
    resumed = await run_eod(core=core, vault=vault)
    assert resumed.steps_run == ("overdue", "penalty", "classify", "nonaccrual", "positions", "provision", "extension_applications", "advance")
    assert await LedgerEntry.filter(transaction__kind="accrual", transaction__business_on=TODAY + timedelta(days=1)).count() == 0


async def test_end_of_day_for_another_date_is_refused(bank, core, vault):
    with pytest.raises(DomainError) as err:
        await run_eod(on=date(2030, 1, 1), core=core, vault=vault)
    assert err.value.code == "INVALID_DATE"


async def test_a_year_of_business_days_keeps_the_ledger_clean(bank, core, vault):
    await _loan(core, vault, amount_fen=2_400_000, term=12, method="equal_principal", sequence=357)
    await _loan(core, vault, amount_fen=3_600_000, term=24, method="interest_first", card="6217000010000002", sequence=359)
    await _loan(core, vault, amount_fen=900_000, term=6, method="equal_installment", sequence=361)
    for _ in range(12):
        await run_eod(core=core, vault=vault)
    await _days(core, vault, 1)
    for _ in range(370 - 13):  # past the 12-month maturity of 2027-11-27
        await run_eod(core=core, vault=vault)
    assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []
    loans = await Loan.all().order_by("principal_fen")
    assert [loan.status for loan in loans] == [LoanStatus.SETTLED, LoanStatus.SETTLED, LoanStatus.ACTIVE]
    bad = loans[2]
    assert bad.days_past_due > 300 and bad.classification == LoanClass.DOUBTFUL
    assert idcard  # the customers of the factory carry valid ID numbers
