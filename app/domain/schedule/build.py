"""Term-loan schedules: 等额本息, 等额本金, 先息后本.

Conventions (defaults; see `Conventions`):

- Whole periods: interest = balance × annual / 12, whatever the month's length.
- Broken first period (first due date is not start + 1 month): interest for that
  period = balance × annual × actual days / 360. Only the interest changes; the
  principal part of row 1 is the one of a whole period, so a long first period
  can never make principal negative.
- Every component is rounded to the fen on its own (half-up); the last row
  takes the remaining balance, so principals sum exactly to the principal.
- 等额本息: payment = annuity of the principal at the monthly rate, rounded to
  the fen; row interest = round(balance × monthly rate); principal = payment −
  that (whole-month) interest, never more than the balance.
- 等额本金: principal part = round(principal / n); the same clamping.
- 先息后本: interest every month, all principal in the last row.
- Due dates keep the loan's day of month (每月对日): the start date's day when the
  first due date is one month after the start, else the first due date's day;
  a month shorter than that day falls due on its last day.

All arithmetic is exact integer/rational maths (the annuity factor is an exact
fraction), so results do not depend on a decimal context's precision and are
reproducible in SQL.
"""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date
from functools import lru_cache
from math import gcd

from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import ValidationError
from app.domain.money import PPM, ROUND_HALF_UP, round_div
from app.domain.schedule.conventions import DEFAULT_CONVENTIONS, Conventions, Method, parse_method
from app.domain.schedule.dates import add_months, due_dates
from app.domain.schedule.revolving import revolving_rows
from app.domain.schedule.rows import Installment, Schedule, days_interest_fen

MAX_PRINCIPAL_FEN = 10**15  # 10 trillion yuan: a sanity bound, products set the real one
MAX_TERM_MONTHS = 600
MAX_ANNUAL_RATE_PPM = 1_000_000  # 100 % a year
MONTHLY_DENOMINATOR = 12 * PPM  # interest for a month = balance × ppm / 12,000,000


@lru_cache(maxsize=2048)
def _annuity_factor(annual_rate_ppm: int, term_months: int) -> tuple[int, int]:
    """(num, den) with payment = principal × num / den, exactly.

    With r = a/b (reduced) the annuity r(1+r)^n / ((1+r)^n − 1) equals
    (b+a)^n / (b · ((b+a)^n − b^n) / a); a divides (b+a)^n − b^n.
    """
    g = gcd(annual_rate_ppm, MONTHLY_DENOMINATOR)
    a, b = annual_rate_ppm // g, MONTHLY_DENOMINATOR // g
    grown = (b + a) ** term_months
    return grown, b * ((grown - b**term_months) // a)


def annuity_payment_fen(principal_fen: int, annual_rate_ppm: int, term_months: int, rounding: str = ROUND_HALF_UP) -> int:
    """The 等额本息 monthly payment in fen (monthly rate = annual / 12)."""
    if annual_rate_ppm == 0:
        return round_div(principal_fen, term_months, rounding)
    num, den = _annuity_factor(annual_rate_ppm, term_months)
    return round_div(principal_fen * num, den, rounding)


def month_interest_fen(balance_fen: int, annual_rate_ppm: int, rounding: str = ROUND_HALF_UP) -> int:
    """Interest of one whole month: balance × annual / 12, rounded to the fen."""
    return round_div(balance_fen * annual_rate_ppm, MONTHLY_DENOMINATOR, rounding)


def amortize(
    principal_fen: int,
    annual_rate_ppm: int,
    method: Method,
    dates: Sequence[date],
    *,
    first_period_days: int | None = None,
    conventions: Conventions = DEFAULT_CONVENTIONS,
    first_number: int = 1,
    payment_fen: int | None = None,
    principal_part_fen: int | None = None,
) -> list[Installment]:
    """Rows for `principal_fen` over the periods ending on `dates` (no input checks).

    `first_period_days` marks a broken first period (interest on actual days).
    `payment_fen` (等额本息) / `principal_part_fen` (等额本金) fix the amount instead
    of computing it from len(dates): then rows stop as soon as the balance is
    paid (shorter term), and the last date still takes any remainder.
    """
    if method is Method.REVOLVING:
        raise ValueError("revolving drawdowns have no amortisation: use revolving_rows")
    rounding = conventions.rounding
    n = len(dates)
    fixed = payment_fen is not None or principal_part_fen is not None
    ppm = annual_rate_ppm
    half_up = rounding == ROUND_HALF_UP
    twice_ppm = 2 * ppm
    den2 = 2 * MONTHLY_DENOMINATOR
    if method is Method.EQUAL_INSTALLMENT:
        step = payment_fen if payment_fen is not None else annuity_payment_fen(principal_fen, ppm, n, rounding)
    elif method is Method.EQUAL_PRINCIPAL:
        step = principal_part_fen if principal_part_fen is not None else round_div(principal_fen, n, rounding)
    else:
        step = 0
    annuity = method is Method.EQUAL_INSTALLMENT
    interest_only = method is Method.INTEREST_FIRST
    last = n - 1
    balance = principal_fen
    rows: list[Installment] = []
    append = rows.append
    number = first_number
    for i, due in enumerate(dates):
        if half_up:
            whole = (twice_ppm * balance + MONTHLY_DENOMINATOR) // den2
        else:
            whole = round_div(balance * ppm, MONTHLY_DENOMINATOR, rounding)
        if i == 0 and first_period_days is not None:
            interest = days_interest_fen(balance, ppm, first_period_days, conventions.days_in_year_broken, rounding)
        else:
            interest = whole
        if i == last:
            principal = balance
        elif interest_only:
            principal = 0
        else:
            principal = step - whole if annuity else step
            if principal > balance:
                principal = balance
            elif principal < 0:
                principal = 0
        balance -= principal
        append(Installment(number, due, principal, interest, principal + interest, balance))
        number += 1
        if fixed and balance == 0:
            break
    return rows


def check_terms(
    principal_fen: int, annual_rate_ppm: int, term_months: int, start_on: date, first_due_on: date | None
) -> date:
    """Validate schedule inputs; return the first due date (default start + 1 month)."""
    if isinstance(principal_fen, bool) or not isinstance(principal_fen, int) or principal_fen <= 0:
        raise ValidationError("贷款本金必须大于 0", code=CommonCode.INVALID_AMOUNT, field="principal")
    if principal_fen > MAX_PRINCIPAL_FEN:
        raise ValidationError("贷款本金过大", code=CommonCode.INVALID_AMOUNT, field="principal")
    if isinstance(term_months, bool) or not isinstance(term_months, int) or not 1 <= term_months <= MAX_TERM_MONTHS:
        raise ValidationError(f"贷款期限应为 1 到 {MAX_TERM_MONTHS} 个月", code=LendingCode.INVALID_TERM, field="term_months")
    if (
        isinstance(annual_rate_ppm, bool)
        or not isinstance(annual_rate_ppm, int)
        or not 0 <= annual_rate_ppm <= MAX_ANNUAL_RATE_PPM
    ):
        raise ValidationError("年利率应在 0% 到 100% 之间", code=LendingCode.INVALID_RATE, field="annual_rate_percent")
    if not isinstance(start_on, date):
        raise ValidationError("起息日期无效", code=CommonCode.INVALID_DATE, field="start_date")
    if first_due_on is None:
        return add_months(start_on, 1)
    if not isinstance(first_due_on, date):
        raise ValidationError("首期还款日无效", code=CommonCode.INVALID_DATE, field="first_due_date")
    if first_due_on <= start_on:
        raise ValidationError("首期还款日必须晚于起息日", code=CommonCode.INVALID_DATE, field="first_due_date")
    if first_due_on > add_months(start_on, 2):
        raise ValidationError("首期还款日不能晚于起息日后两个月", code=CommonCode.INVALID_DATE, field="first_due_date")
    return first_due_on


def build_schedule(
    principal_fen: int,
    annual_rate_ppm: int,
    term_months: int,
    method: Method | str,
    start_on: date,
    first_due_on: date | None = None,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> Schedule:
    """The full schedule of a term loan; raises ValidationError on bad input."""
    method = parse_method(method)
    first = check_terms(principal_fen, annual_rate_ppm, term_months, start_on, first_due_on)
    if method is Method.REVOLVING:
        return Schedule.of(revolving_rows(principal_fen, annual_rate_ppm, start_on, add_months(start_on, term_months), conventions))
    whole_month = first == add_months(start_on, 1)
    broken = None if whole_month else (first - start_on).days
    rows = amortize(
        principal_fen,
        annual_rate_ppm,
        method,
        due_dates(first, term_months, start_on.day if whole_month else None),
        first_period_days=broken,
        conventions=conventions,
    )
    interest = 0
    for row in rows:
        interest += row.interest_fen
    return Schedule(installments=tuple(rows), total_interest_fen=interest, total_payment_fen=principal_fen + interest)
