"""The rows every schedule is made of, term loan or revolving line: `Installment`, `Schedule`,
and the interest of a number of actual days (the broken first period of a term loan, a revolving
line's days). `build` and `revolving` both build on this module, neither on the other's rows.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import NamedTuple

from app.domain.money import PPM, ROUND_HALF_UP, round_div


class Installment(NamedTuple):
    number: int
    due_on: date
    principal_fen: int
    interest_fen: int
    payment_fen: int
    remaining_principal_fen: int


@dataclass(frozen=True, slots=True)
class Schedule:
    installments: tuple[Installment, ...]
    total_interest_fen: int
    total_payment_fen: int

    @property
    def principal_fen(self) -> int:
        return self.total_payment_fen - self.total_interest_fen

    @property
    def term_months(self) -> int:
        return len(self.installments)

    @classmethod
    def of(cls, rows: Sequence[Installment]) -> Schedule:
        interest = sum(r.interest_fen for r in rows)
        payment = sum(r.payment_fen for r in rows)
        return cls(installments=tuple(rows), total_interest_fen=interest, total_payment_fen=payment)


def days_interest_fen(
    balance_fen: int, annual_rate_ppm: int, days: int, basis: int = 360, rounding: str = ROUND_HALF_UP
) -> int:
    """Interest for `days` actual days: balance × annual × days / basis, rounded once to the fen."""
    return round_div(balance_fen * annual_rate_ppm * days, basis * PPM, rounding)
