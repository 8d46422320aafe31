"""The replay of closed days (app/services/lending/value_dated.py) without a database: the close's accrue step for a
prepayment's reversal, figure by figure (docs/lending.md §4), including a period that ends inside the days replayed."""

from datetime import date, timedelta

from app.domain.classification import DEFAULT_POLICY, LoanClass
from app.services.lending.value_dated import Row, replay


def _policies(first: date, last: date):
    """The policy each replayed day's close used: the default one every day here."""
    return {first + timedelta(days=n): DEFAULT_POLICY for n in range((last - first).days + 1)}


def _row(id_, number, due_on, principal, interest):
    return Row(id_, number, due_on, principal, interest, False, 0, 0, interest)


def test_a_day_of_interest_is_the_close_s_jishu_posted_half_up_with_the_carry():
    rows = [_row("a", 1, date(2026, 12, 27), 97_954, 4_500), _row("b", 2, date(2027, 1, 27), 102_108, 4_133)]
    r = replay(rows, rate_ppm=45_000, multiplier_ppm=1_500_000, carries=(0, 0), start_class=LoanClass.NORMAL, floor=None,
               first=date(2026, 12, 1), last=date(2026, 12, 4), policies=_policies(date(2026, 12, 1), date(2026, 12, 4)), accrual=(600, 0))
    # 200 062 fen not yet due × 4.5 % / 360 = 25.00775 fen a day
    assert (r.interest_fen, r.accrued_fen, r.days) == (100, 700, 4)
    assert r.interest_carry == 4 * 200_062 * 45_000 - 100 * 360_000_000
    assert (r.penalty_fen, r.days_past_due, r.classification) == (0, 0, LoanClass.NORMAL)


def test_a_period_ending_in_the_days_replayed_falls_due_and_the_row_goes_overdue():
    rows = [_row("a", 1, date(2026, 12, 27), 97_954, 4_500), _row("b", 2, date(2027, 1, 27), 1_102_046, 4_133)]
    r = replay(rows, rate_ppm=45_000, multiplier_ppm=1_500_000, carries=(0, 0), start_class=LoanClass.NORMAL, floor=None,
               first=date(2026, 12, 20), last=date(2026, 12, 29), policies=_policies(date(2026, 12, 20), date(2026, 12, 29)), accrual=(3_450, 0))
    assert r.interest_due_by_row == {"a": 4_500, "b": 0}  # trued up to the schedule on the eve of 12-27
    assert (r.interest_fen, r.accrued_fen) == (900 + 150 + 413, 413)  # 6 days × 1.50, the true-up, 3 days on 11 020.46
    assert (r.penalty_fen, r.compound_fen, r.days_past_due) == (55, 3, 2)


def test_without_accrual_nothing_of_the_interest_is_replayed():
    rows = [_row("a", 1, date(2026, 12, 27), 97_954, 4_500)]
    r = replay(rows, rate_ppm=45_000, multiplier_ppm=1_500_000, carries=(0, 0), start_class=LoanClass.NORMAL, floor=None,
               first=date(2026, 12, 20), last=date(2026, 12, 29), policies=_policies(date(2026, 12, 20), date(2026, 12, 29)))
    assert (r.interest_fen, r.accrued_fen, r.interest_due_by_row) == (0, 0, {"a": 0})
