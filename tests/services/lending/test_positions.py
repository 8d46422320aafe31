"""Daily loan positions and month-end snapshots written by the day's close (issue 16)."""

import uuid
from datetime import date, timedelta

from app.models import Branch, Loan, LoanPosition, LoanPositionMonthEnd
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.positions import is_month_end, write_positions
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


async def _loan(core, vault, *, card, sequence):
    _, line = await customer_with_line(vault, card=card, sequence=sequence)
    return await draw_down(
        actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
        idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault,
    )


def test_month_end_is_the_day_before_the_first():
    assert [is_month_end(d) for d in (date(2026, 11, 29), date(2026, 11, 30), date(2026, 12, 31), date(2027, 2, 28))] == [False, True, True, True]


async def test_the_close_writes_one_position_per_loan_with_its_end_of_day_figures(bank, core, vault):
    # given two active loans
    a = await _loan(core, vault, card="6217000010001234", sequence=357)
    b = await _loan(core, vault, card="6217000010000002", sequence=358)
    # when the day closes
    await run_eod(core=core, vault=vault)
    # then each loan has one position of the day, equal to the loan as the close left it, with its bank
    rows = await LoanPosition.filter(business_on=TODAY).order_by("loan_id")
    assert sorted(str(r.loan_id) for r in rows) == sorted([str(a.id), str(b.id)])
    for row in rows:
        loan = await Loan.get(id=row.loan_id)
        branch = await Branch.get(id=loan.branch_id)
        assert str(row.bank_id) == str(branch.bank_id) and str(row.customer_id) == str(loan.customer_id)
        assert (row.outstanding_principal_fen, row.accrued_interest_fen, row.overdue_principal_fen, row.days_past_due, row.classification, row.status) == (
            loan.outstanding_principal_fen, loan.accrued_interest_fen, loan.overdue_principal_fen, loan.days_past_due, loan.classification, loan.status)
        assert row.accrued_interest_fen > 0 and row.non_accrual is False and row.off_accrued_fen == 0


async def test_writing_a_date_again_replaces_its_rows(bank, core, vault):
    await _loan(core, vault, card="6217000010001234", sequence=357)
    await run_eod(core=core, vault=vault)
    first = {(str(r.loan_id), r.outstanding_principal_fen, r.accrued_interest_fen) for r in await LoanPosition.filter(business_on=TODAY)}
    # when the positions of the same date are written again
    await write_positions(TODAY)
    # then the date still has one row per loan, with the same figures
    again = await LoanPosition.filter(business_on=TODAY)
    assert len(again) == 1 and {(str(r.loan_id), r.outstanding_principal_fen, r.accrued_interest_fen) for r in again} == first


async def test_old_positions_are_pruned_and_month_end_snapshots_are_kept(bank, core, vault):
    await _loan(core, vault, card="6217000010001234", sequence=357)
    # when the close runs 27 Nov .. 2 Dec keeping two days of positions
    for _ in range(6):
        await run_eod(core=core, vault=vault, positions_retention_days=2)
    last = await business_date.current() - timedelta(days=1)
    assert last == date(2026, 12, 2)
    # then only the last two dates remain, and 30 November (the month's last business date) is kept for good
    assert sorted({r.business_on for r in await LoanPosition.all()}) == [date(2026, 12, 1), date(2026, 12, 2)]
    snaps = await LoanPositionMonthEnd.all()
    assert [r.business_on for r in snaps] == [date(2026, 11, 30)]
    assert snaps[0].accrued_interest_fen > 0


async def test_a_non_accrual_loan_shows_its_off_balance_parts_and_class(bank, core, vault):
    from app.models import Installment, LoanRisk
    from tests.services.lending.test_classification_state import FAILS, SHORT, _until

    # given a loan whose debits fail, with short floors: non-accrual 3 days past due
    loan = await _loan(core, vault, card=FAILS, sequence=357)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, first.due_on + timedelta(days=6), SHORT)
    day = await business_date.current() - timedelta(days=1)
    # then the day's position carries the loan's class, days past due and off-balance amounts as the close left them
    row = await LoanPosition.get(business_on=day, loan_id=loan.id)
    loan = await Loan.get(id=loan.id)
    risk = await LoanRisk.get(loan_id=loan.id)
    assert row.non_accrual is True and risk.non_accrual_since is not None
    assert (row.days_past_due, row.classification, row.overdue_principal_fen, row.penalty_fen) == (
        loan.days_past_due, loan.classification, loan.overdue_principal_fen, loan.penalty_fen)
    assert row.days_past_due == 5 and row.overdue_principal_fen > 0
    assert (row.off_interest_fen, row.off_penalty_fen, row.off_compound_fen, row.off_accrued_fen) == (
        risk.off_interest_fen, risk.off_penalty_fen, risk.off_compound_fen, risk.off_accrued_fen)
    assert row.off_interest_fen > 0 and row.off_penalty_fen > 0
