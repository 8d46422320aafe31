"""Calendar helpers for schedules: month arithmetic with month-end clamping."""

from __future__ import annotations

from datetime import date
from functools import lru_cache

_DAYS = (31, 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31)


def is_leap(year: int) -> bool:
    return year % 4 == 0 and (year % 100 != 0 or year % 400 == 0)


def days_in_month(year: int, month: int) -> int:
    if month == 2 and is_leap(year):
        return 29
    return _DAYS[month - 1]


def add_months(d: date, months: int, day: int | None = None) -> date:
    """`d` moved by whole months, on `day` (default d.day) clamped to the month end.

    add_months(2024-01-31, 1) == 2024-02-29; add_months(2024-02-29, 12) == 2025-02-28.
    """
    index = d.year * 12 + d.month - 1 + months
    year, month0 = divmod(index, 12)
    want = d.day if day is None else day
    return date(year, month0 + 1, min(want, days_in_month(year, month0 + 1)))


@lru_cache(maxsize=4096)
def due_dates(first_due_on: date, count: int, day: int | None = None) -> tuple[date, ...]:
    """`count` monthly due dates from `first_due_on`, all on day `day` of their month (每月对日).

    `day` is the loan's day of month (default: the first due date's day). Each
    month keeps that day, or the month's last day when the month is shorter, so
    a loan started on Jan 31 falls due Feb 28, Mar 31, Apr 30, ... — a clamped
    month never moves the later ones.
    """
    anchor = first_due_on.day if day is None else day
    index = first_due_on.year * 12 + first_due_on.month - 1
    out = []
    for k in range(count):
        year, month0 = divmod(index + k, 12)
        dim = days_in_month(year, month0 + 1)
        out.append(date(year, month0 + 1, anchor if anchor <= dim else dim))
    return tuple(out)
