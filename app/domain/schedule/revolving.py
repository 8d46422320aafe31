"""Revolving lines (随借随还): daily interest on the balance, settled quarterly.

Interest accrues every calendar day on the outstanding balance at
annual / 360 (product setting) and is settled (结息) on the 20th of March, June,
September and December.

Rounding policy: `daily_interest_fen` computes balance × annual × days / basis
exactly (integer rational) and rounds ONCE, half-up, to the fen. End-of-day
calls it with days=1 per loan per day, so a quarter's interest is the sum of
the rounded daily amounts; that is the figure the ledger holds.
"""

from __future__ import annotations

from datetime import date

from app.domain.money import ROUND_HALF_UP
from app.domain.schedule.build import Installment, days_interest_fen
from app.domain.schedule.conventions import DEFAULT_CONVENTIONS, Conventions

SETTLEMENT_MONTHS = (3, 6, 9, 12)
SETTLEMENT_DAY = 20


def daily_interest_fen(
    balance_fen: int, annual_rate_ppm: int, days: int = 1, basis: int = 360, rounding: str = ROUND_HALF_UP
) -> int:
    """Interest on a balance for `days` days (exact, rounded once to the fen)."""
    if balance_fen < 0 or annual_rate_ppm < 0 or days < 0:
        raise ValueError("balance, rate and days must not be negative")
    return days_interest_fen(balance_fen, annual_rate_ppm, days, basis, rounding)


def settlement_dates(year: int) -> tuple[date, ...]:
    """The four interest settlement dates of a year (20 Mar/Jun/Sep/Dec)."""
    return tuple(date(year, m, SETTLEMENT_DAY) for m in SETTLEMENT_MONTHS)


def is_settlement_day(d: date) -> bool:
    return d.day == SETTLEMENT_DAY and d.month in SETTLEMENT_MONTHS


def next_settlement_date(after: date) -> date:
    """The first settlement date strictly after `after`."""
    for d in settlement_dates(after.year):
        if d > after:
            return d
    return settlement_dates(after.year + 1)[0]


def previous_settlement_date(on_or_before: date) -> date:
    """The last settlement date on or before the given day."""
    for d in reversed(settlement_dates(on_or_before.year)):
        if d <= on_or_before:
            return d
    return settlement_dates(on_or_before.year - 1)[-1]


def revolving_rows(
    principal_fen: int, annual_rate_ppm: int, start_on: date, maturity_on: date, conventions: Conventions = DEFAULT_CONVENTIONS
) -> list[Installment]:
    """A revolving drawdown's due dates: an interest row on each settlement date, principal at maturity.

    The interest figures are ESTIMATES at a constant balance (rounded once per
    row); end-of-day replaces each settlement row's interest with what actually
    accrued (the sum of daily rounded amounts) on its due date.
    """
    dates, d = [], next_settlement_date(start_on)
    while d < maturity_on:
        dates.append(d)
        d = next_settlement_date(d)
    dates.append(maturity_on)
    rows, previous = [], start_on
    for number, due in enumerate(dates, start=1):
        interest = daily_interest_fen(principal_fen, annual_rate_ppm, (due - previous).days, conventions.days_in_year_daily, conventions.rounding)
        principal = principal_fen if due == maturity_on else 0
        rows.append(Installment(number, due, principal, interest, principal + interest, principal_fen - principal))
        previous = due
    return rows
