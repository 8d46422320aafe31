"""Daily penalty (罚息) and compound (复利) interest on overdue amounts (docs/domain-facts.md#penalty-and-compound-interest).

- Penalty rate = contract rate × multiplier (product setting, default 1.5: the
  top of PBOC's +30 %…+50 % band for overdue loans).
- Penalty interest accrues on overdue principal at penalty rate / 360 a day.
- Compound interest accrues on overdue (unpaid contractual) interest at the same
  penalty rate / 360 a day. Penalty and compound interest do not themselves bear
  interest.

Rounding policy: each loan's penalty and compound for one day are computed
exactly and rounded ONCE, half-up, to the fen, and that rounded amount is
posted. Multi-day figures are the sum of the daily rounded amounts (which is
what running end-of-day day by day produces). Equivalent integer SQL, with the
multiplier as the fraction m_num / m_den (1.5 = 3/2) and basis 360:

    penalty_fen = floor((2 * overdue_principal_fen * rate_ppm * m_num + 360000000 * m_den)
                        / (2 * 360000000 * m_den))

(`penalty_fraction` returns the numerator factor and denominator to use.)
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal

from app.domain.money import PPM, round_div
from app.domain.schedule.conventions import DEFAULT_CONVENTIONS, Conventions


@dataclass(frozen=True, slots=True)
class DailyAccrual:
    penalty_fen: int  # on overdue principal
    compound_fen: int  # on overdue interest

    @property
    def total_fen(self) -> int:
        return self.penalty_fen + self.compound_fen


def penalty_rate_ppm(contract_rate_ppm: int, conventions: Conventions = DEFAULT_CONVENTIONS) -> Decimal:
    """Annual penalty rate in ppm, exact (may have a fraction: 34501 × 1.5 = 51751.5)."""
    return Decimal(contract_rate_ppm) * conventions.penalty_multiplier


def penalty_fraction(contract_rate_ppm: int, conventions: Conventions = DEFAULT_CONVENTIONS) -> tuple[int, int]:
    """(factor, denominator): one day's interest on X fen = X × factor / denominator, before rounding."""
    m_num, m_den = conventions.penalty_multiplier.as_integer_ratio()
    return contract_rate_ppm * m_num, conventions.days_in_year_daily * PPM * m_den


def _one_day(amount_fen: int, factor: int, denominator: int, rounding: str) -> int:
    if amount_fen < 0:
        raise ValueError("overdue amounts must not be negative")
    return round_div(amount_fen * factor, denominator, rounding)


def daily_penalty(
    overdue_principal_fen: int,
    overdue_interest_fen: int,
    contract_rate_ppm: int,
    conventions: Conventions = DEFAULT_CONVENTIONS,
    days: int = 1,
) -> DailyAccrual:
    """Penalty and compound interest of one loan for `days` days of unchanged balances.

    Each day is rounded on its own, so the result for n days is n × one day.
    """
    if contract_rate_ppm < 0 or days < 0:
        raise ValueError("rate and days must not be negative")
    factor, denominator = penalty_fraction(contract_rate_ppm, conventions)
    rounding = conventions.rounding
    penalty = _one_day(overdue_principal_fen, factor, denominator, rounding)
    compound = _one_day(overdue_interest_fen, factor, denominator, rounding)
    return DailyAccrual(penalty_fen=penalty * days, compound_fen=compound * days)
