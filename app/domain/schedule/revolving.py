"""Revolving lines (随借随还): interest by the 积数 method, settled quarterly.

- Interest accrues every calendar day on the balance not yet due at
  annual / 360 (product setting), 算头不算尾: the drawdown day earns interest, the
  day principal is repaid does not.
- Settlement (结息): the period runs from the 21st of the previous settlement
  month through the 20th of March, June, September and December inclusive
  (结息日, `SETTLEMENT_DAY`); its interest falls due on the 21st (付息日,
  `PAYMENT_DAY`). The last period ends the day before maturity.
- A period's interest is Σ(balance × rate × days) rounded ONCE (app.domain.accrual);
  end-of-day of the period's last day writes it on the row due next, so the
  amount is exact the morning it falls due. The rows built at drawdown carry an
  estimate at a constant balance until then.
"""

from __future__ import annotations

from datetime import date, timedelta

from app.domain.money import ROUND_HALF_UP
from app.domain.schedule.rows import Installment, days_interest_fen
from app.domain.schedule.conventions import DEFAULT_CONVENTIONS, Conventions

SETTLEMENT_MONTHS = (3, 6, 9, 12)
SETTLEMENT_DAY = 20  # 结息日: the last day of a settlement period
PAYMENT_DAY = 21  # 付息日: the period's interest falls due
_ONE_DAY = timedelta(days=1)


def daily_interest_fen(
    balance_fen: int, annual_rate_ppm: int, days: int = 1, basis: int = 360, rounding: str = ROUND_HALF_UP
) -> int:
    """Interest on a constant balance for `days` days (exact, rounded once to the fen)."""
    if balance_fen < 0 or annual_rate_ppm < 0 or days < 0:
        raise ValueError("balance, rate and days must not be negative")
    return days_interest_fen(balance_fen, annual_rate_ppm, days, basis, rounding)


def settlement_dates(year: int) -> tuple[date, ...]:
    """The four settlement days (结息日) of a year: 20 Mar/Jun/Sep/Dec, each the last day of its period."""
    return tuple(date(year, m, SETTLEMENT_DAY) for m in SETTLEMENT_MONTHS)


def is_settlement_day(d: date) -> bool:
    return d.day == SETTLEMENT_DAY and d.month in SETTLEMENT_MONTHS


def next_settlement_date(after: date) -> date:
    """The first settlement day (结息日) strictly after `after`."""
    for d in settlement_dates(after.year):
        if d > after:
            return d
    return settlement_dates(after.year + 1)[0]


def previous_settlement_date(on_or_before: date) -> date:
    """The last settlement day (结息日) on or before the given day."""
    for d in reversed(settlement_dates(on_or_before.year)):
        if d <= on_or_before:
            return d
    return settlement_dates(on_or_before.year - 1)[-1]


def next_payment_date(after: date) -> date:
    """The first interest payment day (付息日, the 21st after a 结息日) strictly after `after`.

    A drawdown on the 21st starts a period: its first payment day is the next quarter's 21st.
    """
    settled = next_settlement_date(after - _ONE_DAY)  # the 结息日 on or after `after`
    return date(settled.year, settled.month, PAYMENT_DAY)


def revolving_rows(
    principal_fen: int, annual_rate_ppm: int, start_on: date, maturity_on: date, conventions: Conventions = DEFAULT_CONVENTIONS
) -> list[Installment]:
    """A revolving drawdown's rows: interest due on each 付息日 (the 21st), principal and the last interest at maturity.

    Each row's interest covers [previous due date, due date) — through the 20th for
    a settlement row. The figures are ESTIMATES at a constant balance (rounded once
    per row); end-of-day writes the exact 积数 figure on the evening before the row
    falls due.
    """
    dates, d = [], next_payment_date(start_on)
    while d < maturity_on:
        dates.append(d)
        d = next_payment_date(d)
    dates.append(maturity_on)
    rows, previous = [], start_on
    for number, due in enumerate(dates, start=1):
        interest = daily_interest_fen(principal_fen, annual_rate_ppm, (due - previous).days, conventions.days_in_year_daily, conventions.rounding)
        principal = principal_fen if due == maturity_on else 0
        rows.append(Installment(number, due, principal, interest, principal + interest, principal_fen - principal))
        previous = due
    return rows
