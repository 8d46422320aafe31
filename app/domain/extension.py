"""Loan extension (展期): the limits of the General Rules for Loans (贷款通则 art. 12) and the rebuilt schedule. Pure.

- Limits, in total over all extensions of a loan: a short-term loan (original term ≤ 12 months) by at most its
  original term, a medium-term loan (≤ 60 months) by at most half of it (whole months, rounded down), a long-term
  loan by at most 36 months. Once per loan unless the policy allows more (`ExtensionPolicy.max_times`).
- Applied for before maturity, with nothing overdue, on a term loan (a 随借随还 drawdown has no schedule to extend).
- The extension runs from the original maturity: the new due dates continue the loan's monthly dates after it.
- The rate follows the new total term: when its LPR tenor differs from the loan's, the latest LPR of the new tenor plus
  the contract's spread (the service prices it); else the rate stays.
- The remaining schedule is rebuilt from the current period (the first unpaid period not yet due): that period keeps
  its due date and its interest (already accruing, as in repricing), the remaining principal is amortised at the new
  rate over the current period and every later date up to the new maturity. The last row takes the remainder, so the
  schedule's principal still sums to the loan's principal, in integer fen.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from app.domain.error_codes import LendingCode
from app.domain.errors import ValidationError
from app.domain.schedule import Method, amortize
from app.domain.schedule.conventions import DEFAULT_CONVENTIONS, Conventions
from app.domain.schedule.dates import due_dates
from app.domain.schedule.rows import Installment

SHORT_TERM_MAX_MONTHS = 12  # 短期贷款: up to one year
MEDIUM_TERM_MAX_MONTHS = 60  # 中期贷款: one to five years
LONG_TERM_MAX_EXTENSION_MONTHS = 36  # 长期贷款: at most three years


@dataclass(frozen=True, slots=True)
class ExtensionPolicy:
    """How many times a loan may be extended (`CUNXIN_EXTENSION_MAX_TIMES`, 1: 贷款通则's once)."""

    max_times: int = 1


DEFAULT_POLICY = ExtensionPolicy()


def term_kind(term_months: int) -> str:
    if term_months <= SHORT_TERM_MAX_MONTHS:
        return "短期贷款"
    if term_months <= MEDIUM_TERM_MAX_MONTHS:
        return "中期贷款"
    return "长期贷款"


def max_extension_months(original_term_months: int) -> int:
    """The total extension the rules allow a loan of this original term."""
    if original_term_months <= SHORT_TERM_MAX_MONTHS:
        return original_term_months
    if original_term_months <= MEDIUM_TERM_MAX_MONTHS:
        return original_term_months // 2
    return LONG_TERM_MAX_EXTENSION_MONTHS


LIMIT_TEXTS = {"短期贷款": "短期贷款展期累计不得超过原贷款期限", "中期贷款": "中期贷款展期累计不得超过原贷款期限的一半",
               "长期贷款": "长期贷款展期累计不得超过 3 年"}


def _limit_text(original_term_months: int) -> str:
    return LIMIT_TEXTS[term_kind(original_term_months)]


def check_extension(
    *,
    months: int,
    original_term_months: int,
    extended_months: int,
    times_extended: int,
    method: Method | str,
    today: date,
    maturity_on: date,
    overdue_fen: int,
    policy: ExtensionPolicy = DEFAULT_POLICY,
) -> None:
    """Refuse an extension the rules do not allow, with the reason in Chinese (field `months` or `loan_id`)."""
    if isinstance(months, bool) or not isinstance(months, int) or months < 1:
        raise ValidationError("展期期限至少 1 个月", code=LendingCode.INVALID_TERM, field="months")
    if Method(method) is Method.REVOLVING:
        raise ValidationError("随借随还贷款没有还款计划，不能展期", code=LendingCode.INVALID_METHOD, field="loan_id")
    if today >= maturity_on:
        raise ValidationError(f"展期须在贷款到期日（{maturity_on.isoformat()}）前申请", code=LendingCode.LOAN_MATURED, field="loan_id")
    if overdue_fen > 0:
        raise ValidationError("借据有逾期或到期未还款项，请先归还后再申请展期", code=LendingCode.OVERDUE_FIRST, field="loan_id")
    if times_extended >= policy.max_times:
        times = "一次" if policy.max_times == 1 else f"{policy.max_times} 次"
        raise ValidationError(f"该借据已展期 {times_extended} 次，每笔贷款最多展期{times}", code=LendingCode.ALREADY_EXTENDED, field="loan_id")
    allowed = max_extension_months(original_term_months) - extended_months
    if months > allowed:
        already = f"，已展期 {extended_months} 个月" if extended_months else ""
        raise ValidationError(
            f"{_limit_text(original_term_months)}：原期限 {original_term_months} 个月{already}，最多还可展期 {max(allowed, 0)} 个月",
            code=LendingCode.INVALID_TERM, field="months",
        )


def extension_dates(first_due_on: date, term_months: int, months: int, day: int | None) -> tuple[date, ...]:
    """The due dates the extension adds after the current maturity (the loan's monthly dates continued)."""
    return due_dates(first_due_on, term_months + months, day)[term_months:]


def rebuild(
    balance_fen: int,
    annual_rate_ppm: int,
    method: Method | str,
    dates: Sequence[date],
    *,
    current_interest_fen: int,
    first_number: int,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> list[Installment]:
    """The remaining rows: `balance_fen` amortised over `dates` (the current period's due date first) at the new
    rate; the current period keeps its interest. Principals sum to `balance_fen` exactly."""
    rows = amortize(balance_fen, annual_rate_ppm, Method(method), list(dates), conventions=conventions, first_number=first_number)
    first = rows[0]
    rows[0] = Installment(first.number, first.due_on, first.principal_fen, current_interest_fen,
                          first.principal_fen + current_interest_fen, first.remaining_principal_fen)
    return rows
