"""Repayments: allocating a payment, partial prepayment and payoff quotes.

Allocation walks the owed installments oldest first and, inside each one, the
components in the product's order (default penalty → compound → interest →
principal). `by_component=True` instead takes each component across all
installments before the next component.

Partial prepayment (提前部分还款) repays principal between due dates. The
prepaid principal carries its interest from the last due date to the
prepayment date (actual days / 360), collected with it; the remaining balance
is re-amortised over the remaining due dates:

- keep_term: same due dates, lower installment;
- keep_installment: same installment (等额本息: payment; 等额本金: principal
  part), fewer due dates; the last row takes the remainder.
- 先息后本 has no level installment: both modes keep the maturity and lower
  the interest.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import NamedTuple

from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import ValidationError
from app.domain.schedule import (
    DEFAULT_CONVENTIONS,
    Conventions,
    Installment,
    Method,
    Schedule,
    add_months,
    amortize,
    days_interest_fen,
    month_interest_fen,
    parse_method,
)


class PrepaymentMode(StrEnum):
    KEEP_TERM = "keep_term"  # 期限不变，月供减少
    KEEP_INSTALLMENT = "keep_installment"  # 月供不变，期限缩短


class OwedInstallment(NamedTuple):
    """What is still owed on one installment, in fen."""

    number: int
    due_on: date
    penalty_fen: int = 0
    compound_fen: int = 0
    interest_fen: int = 0
    principal_fen: int = 0

    @property
    def total_fen(self) -> int:
        return self.penalty_fen + self.compound_fen + self.interest_fen + self.principal_fen


class InstallmentAllocation(NamedTuple):
    number: int
    penalty_fen: int
    compound_fen: int
    interest_fen: int
    principal_fen: int

    @property
    def total_fen(self) -> int:
        return self.penalty_fen + self.compound_fen + self.interest_fen + self.principal_fen


@dataclass(frozen=True, slots=True)
class Allocation:
    lines: tuple[InstallmentAllocation, ...]  # one per owed installment, same order, zeros included
    allocated_fen: int
    remainder_fen: int  # not used by any owed amount (overpayment)


def _check_amount(amount_fen: int, field: str = "amount") -> None:
    if isinstance(amount_fen, bool) or not isinstance(amount_fen, int) or amount_fen <= 0:
        raise ValidationError("还款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field=field)


def allocate_payment(
    owed: Sequence[OwedInstallment],
    amount_fen: int,
    *,
    conventions: Conventions = DEFAULT_CONVENTIONS,
    strict: bool = False,
    by_component: bool = False,
) -> Allocation:
    """Spread `amount_fen` over what is owed; `strict` refuses more than the total owed."""
    _check_amount(amount_fen)
    for item in owed:
        if min(item.penalty_fen, item.compound_fen, item.interest_fen, item.principal_fen) < 0:
            raise ValueError(f"owed amounts must not be negative (installment {item.number})")
    ordered = sorted(owed, key=lambda o: (o.due_on, o.number))
    total = sum(o.total_fen for o in ordered)
    if strict and amount_fen > total:
        raise ValidationError(
            f"还款金额超过应还总额 {total // 100}.{total % 100:02d} 元", code=LendingCode.AMOUNT_TOO_LARGE, field="amount"
        )
    paid = [dict.fromkeys(conventions.allocation_order, 0) for _ in ordered]
    left = amount_fen
    order = conventions.allocation_order
    steps = (
        [(c, i) for c in order for i in range(len(ordered))]
        if by_component
        else [(c, i) for i in range(len(ordered)) for c in order]
    )
    for component, i in steps:
        if left == 0:
            break
        take = min(left, getattr(ordered[i], f"{component}_fen"))
        paid[i][component] = take
        left -= take
    lines = tuple(
        InstallmentAllocation(o.number, p["penalty"], p["compound"], p["interest"], p["principal"])
        for o, p in zip(ordered, paid, strict=True)
    )
    return Allocation(lines=lines, allocated_fen=amount_fen - left, remainder_fen=left)


@dataclass(frozen=True, slots=True)
class PrepaymentQuote:
    principal_fen: int  # principal repaid now
    interest_fen: int  # interest on that principal from the last due date to today
    total_fen: int  # cash to collect now
    schedule: Schedule  # the new remaining schedule (numbers continue the old ones)


@dataclass(frozen=True, slots=True)
class PayoffQuote:
    principal_fen: int  # outstanding, not yet due principal
    interest_fen: int  # accrued on it since the last due date
    overdue_fen: int  # everything owed on past-due installments
    total_fen: int


def _outstanding(remaining: Sequence[Installment]) -> int:
    if not remaining:
        raise ValidationError("没有未到期的还款计划", code=LendingCode.NOTHING_OUTSTANDING, field=None)
    first = remaining[0]
    return first.principal_fen + first.remaining_principal_fen


def _accrual_days(remaining: Sequence[Installment], last_due_on: date, on: date) -> int:
    if on < last_due_on or on >= remaining[0].due_on:
        raise ValidationError("提前还款日期必须在上一还款日之后、下一还款日之前", code=CommonCode.INVALID_DATE, field="date")
    return (on - last_due_on).days


def prepay_partial(
    remaining: Sequence[Installment],
    *,
    amount_fen: int,
    mode: PrepaymentMode | str,
    method: Method | str,
    annual_rate_ppm: int,
    last_due_on: date,
    on: date,
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> PrepaymentQuote:
    """Repay `amount_fen` of principal on `on` and re-amortise the rest.

    `remaining` are the not-yet-due rows of the current schedule (next first),
    `last_due_on` the previous due date (the start date before the first one).
    """
    method = parse_method(method)
    try:
        mode = PrepaymentMode(mode)
    except ValueError:
        raise ValidationError("不支持的提前还款方式", code=LendingCode.INVALID_MODE, field="mode") from None
    _check_amount(amount_fen)
    outstanding = _outstanding(remaining)
    if amount_fen >= outstanding:
        raise ValidationError("提前还款金额不小于剩余本金，请办理全部提前还款", code=LendingCode.AMOUNT_TOO_LARGE, field="amount")
    days = _accrual_days(remaining, last_due_on, on)
    rounding = conventions.rounding
    interest_now = days_interest_fen(amount_fen, annual_rate_ppm, days, conventions.days_in_year_daily, rounding)
    first = remaining[0]
    broken = None
    if first.number == 1 and first.due_on != add_months(last_due_on, 1):
        broken = (first.due_on - last_due_on).days
    new_balance = outstanding - amount_fen
    dates = [r.due_on for r in remaining]
    payment = part = None
    if mode is PrepaymentMode.KEEP_INSTALLMENT and len(remaining) > 1:
        if method is Method.EQUAL_INSTALLMENT:
            # The level payment = a whole-period row's principal + whole-month interest.
            payment = first.principal_fen + month_interest_fen(outstanding, annual_rate_ppm, rounding)
        elif method is Method.EQUAL_PRINCIPAL:
            part = first.principal_fen
    rows = amortize(
        new_balance,
        annual_rate_ppm,
        method,
        dates,
        first_period_days=broken,
        conventions=conventions,
        first_number=first.number,
        payment_fen=payment,
        principal_part_fen=part,
    )
    return PrepaymentQuote(
        principal_fen=amount_fen,
        interest_fen=interest_now,
        total_fen=amount_fen + interest_now,
        schedule=Schedule.of(rows),
    )


def payoff_amount(
    remaining: Sequence[Installment],
    *,
    annual_rate_ppm: int,
    last_due_on: date,
    on: date,
    overdue: Sequence[OwedInstallment] = (),
    conventions: Conventions = DEFAULT_CONVENTIONS,
) -> PayoffQuote:
    """Full prepayment (结清) on `on`: outstanding principal + interest to date + overdue."""
    principal = _outstanding(remaining) if remaining else 0
    interest = 0
    if remaining:
        days = _accrual_days(remaining, last_due_on, on)
        interest = days_interest_fen(
            principal, annual_rate_ppm, days, conventions.days_in_year_daily, conventions.rounding
        )
    overdue_fen = sum(o.total_fen for o in overdue)
    return PayoffQuote(
        principal_fen=principal,
        interest_fen=interest,
        overdue_fen=overdue_fen,
        total_fen=principal + interest + overdue_fen,
    )
