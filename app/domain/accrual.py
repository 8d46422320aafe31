"""Day-based interest as Chinese banks count it: the 积数 method, rounded once (docs/lending.md).

A day-based amount is never the sum of daily rounded amounts. For each loan and
each component (contractual interest of a revolving or running period, penalty
罚息 on overdue principal, compound 复利 on overdue interest) end-of-day adds the
day's 积数 — balance in fen × annual rate × 1 day — to the component's sum Σ and
posts round(Σ / basis) minus what is already posted. So the posted total after
any day is the once-rounded figure of the whole period, whatever happened inside
it (balance or rate changes), and a payment or settlement on any day takes
exactly that figure.

Units:

- interest: Σ in fen × ppm × days; fen = Σ / (basis × 1,000,000).
- penalty and compound: the penalty rate = contract rate × the product's
  multiplier (docs/domain-facts.md#penalty-and-compound-interest), kept in parts per billion (ppm × multiplier_ppm / 1000, exact for
  multipliers in steps of 0.001); Σ in fen × ppb × days; fen = Σ / (basis × 10^9).

End-of-day does not store Σ itself but what of it is not posted yet,
carry = Σ − denominator × posted (|carry| ≤ denominator / 2), so the stored
number stays small however long a loan stays overdue. With half-up rounding
round(Σ / den) − posted = floor((2 × (carry + x) + den) / (2 × den)) for the
day's 积数 x, which is the integer formula the SQL uses (`post_day`).
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from decimal import Decimal

from app.domain.money import PPM, round_div
from app.domain.schedule.conventions import DEFAULT_CONVENTIONS, Conventions

PPB = 1_000_000_000
MULTIPLIER_STEP = 1000  # ppb per ppm: multiplier_ppm / 1000 parts of the contract ppm


def interest_denominator(basis: int = 360) -> int:
    """fen = Σ(fen × ppm × days) / this."""
    return basis * PPM


def penalty_denominator(basis: int = 360) -> int:
    """fen = Σ(fen × ppb × days) / this."""
    return basis * PPB


def penalty_rate_ppm(contract_rate_ppm: int, conventions: Conventions = DEFAULT_CONVENTIONS) -> Decimal:
    """Annual penalty rate in ppm, exact (may have a fraction: 34501 × 1.5 = 51751.5)."""
    return Decimal(contract_rate_ppm) * conventions.penalty_multiplier


def penalty_rate_ppb(contract_rate_ppm: int, multiplier_ppm: int) -> int:
    """The penalty rate in parts per billion, as end-of-day computes it (exact for 0.001 multiplier steps)."""
    if contract_rate_ppm < 0 or multiplier_ppm < PPM:
        raise ValueError("rate must not be negative and the multiplier at least 1")
    return contract_rate_ppm * multiplier_ppm // MULTIPLIER_STEP


def jishu(segments: Iterable[tuple[int, int, int]]) -> int:
    """Σ balance × rate × days over (balance, rate, days) segments; balance, rate and days ≥ 0."""
    total = 0
    for balance, rate, days in segments:
        if balance < 0 or rate < 0 or days < 0:
            raise ValueError("balance, rate and days must not be negative")
        total += balance * rate * days
    return total


def interest_fen(segments: Iterable[tuple[int, int, int]], conventions: Conventions = DEFAULT_CONVENTIONS) -> int:
    """Interest over (balance fen, annual rate ppm, days) segments, rounded once (a revolving settlement, a payoff)."""
    return round_div(jishu(segments), interest_denominator(conventions.days_in_year_daily), conventions.rounding)


def penalty_fen(
    segments: Iterable[tuple[int, int, int]], contract_rate_ppm: int, conventions: Conventions = DEFAULT_CONVENTIONS
) -> int:
    """Penalty (or compound) interest over (overdue fen, days) segments at contract rate × multiplier, rounded once.

    `segments` are (overdue amount fen, days) pairs; the multiplier is applied exactly.
    """
    m_num, m_den = conventions.penalty_multiplier.as_integer_ratio()
    total = jishu((amount, contract_rate_ppm, days) for amount, days in segments)
    return round_div(total * m_num, interest_denominator(conventions.days_in_year_daily) * m_den, conventions.rounding)


def post_day(carry: int, day_jishu: int, denominator: int) -> tuple[int, int]:
    """One end-of-day posting, half-up: (fen to post today, new carry); the SQL does the same integer maths."""
    if day_jishu < 0:
        raise ValueError("a day's 积数 must not be negative")
    fen = (2 * (carry + day_jishu) + denominator) // (2 * denominator)
    return fen, carry + day_jishu - fen * denominator


def split_by_weight(total_fen: int, weights: Sequence[int]) -> list[int]:
    """Share `total_fen` over installments in proportion to `weights` (oldest first), rounding down;
    the oldest takes what rounding leaves. This is how a loan's day of penalty reaches its installments."""
    if not weights:
        return []
    whole = sum(weights)
    if whole <= 0:
        return [total_fen] + [0] * (len(weights) - 1)
    shares = [total_fen * w // whole for w in weights]
    shares[0] += total_fen - sum(shares)
    return shares
