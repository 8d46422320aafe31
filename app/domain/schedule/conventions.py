"""Repayment methods and the product conventions every money calculation reads.

The defaults are the contract conventions written in docs/lending.md: monthly
rate = annual / 12 for whole periods, daily rate = annual / 360 for broken
periods and daily accruals, half-up rounding to the fen per component, penalty rate =
contract rate × 1.5, repayment allocation penalty → compound → interest →
principal. A product may override any of them.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
)
from enum import StrEnum

from app.domain.error_codes import LendingCode
from app.domain.errors import ValidationError
from app.domain.money import ROUNDING


class Method(StrEnum):
    EQUAL_INSTALLMENT = "equal_installment"  # 等额本息
    EQUAL_PRINCIPAL = "equal_principal"  # 等额本金
    INTEREST_FIRST = "interest_first"  # 先息后本
    REVOLVING = "revolving"  # 随借随还: 积数 interest settled quarterly (21st–20th, due the 21st), principal any time

    @property
    def label(self) -> str:
        return METHOD_LABELS[self]


METHOD_LABELS = {
    Method.EQUAL_INSTALLMENT: "等额本息",
    Method.EQUAL_PRINCIPAL: "等额本金",
    Method.INTEREST_FIRST: "先息后本",
    Method.REVOLVING: "随借随还",
}

COMPONENTS = ("penalty", "compound", "interest", "principal")
SUPPORTED_ROUNDINGS = frozenset(
    {ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_HALF_DOWN, ROUND_DOWN, ROUND_UP, ROUND_FLOOR, ROUND_CEILING}
)


def parse_method(value: Method | str, *, field: str | None = "method") -> Method:
    try:
        return Method(value.lower() if isinstance(value, str) else value)
    except (ValueError, AttributeError):
        raise ValidationError("不支持的还款方式", code=LendingCode.INVALID_METHOD, field=field) from None


@dataclass(frozen=True, slots=True)
class Conventions:
    """Product settings for schedules, accruals and allocation (defaults: docs/lending.md)."""

    days_in_year_broken: int = 360  # broken first period: actual days × annual / this
    days_in_year_daily: int = 360  # daily accruals: penalty, compound, revolving, payoff
    rounding: str = ROUNDING
    penalty_multiplier: Decimal = Decimal("1.5")  # penalty rate = contract rate × this
    allocation_order: tuple[str, ...] = COMPONENTS

    def __post_init__(self) -> None:
        if self.days_in_year_broken not in (360, 365) or self.days_in_year_daily not in (360, 365):
            raise ValueError("days in year must be 360 or 365")
        if self.rounding not in SUPPORTED_ROUNDINGS:
            raise ValueError(f"unsupported rounding {self.rounding!r}")
        if not isinstance(self.penalty_multiplier, Decimal) or not self.penalty_multiplier >= 1:
            raise ValueError("penalty multiplier must be a Decimal >= 1")
        if sorted(self.allocation_order) != sorted(COMPONENTS):
            raise ValueError(f"allocation order must order exactly {COMPONENTS}")


DEFAULT_CONVENTIONS = Conventions()
