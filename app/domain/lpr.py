"""Loan prime rate (LPR) pricing and repricing (docs/domain-facts.md#lpr).

A loan's rate = the latest LPR of its tenor published on or before the relevant
date + a spread in basis points fixed for the life of the contract. Terms up to
five years use the 1-year LPR, longer ones the over-5-year LPR. Floating loans
reprice on 1 January or on the anniversary of the start date (product setting),
taking the latest LPR published on or before the repricing date.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date
from enum import StrEnum

from app.domain.error_codes import LendingCode
from app.domain.errors import DomainError, ValidationError
from app.domain.schedule.dates import add_months

PPM_PER_BP = 100  # 1 basis point = 0.01 % = 100 ppm
ONE_YEAR_MAX_TERM_MONTHS = 60


class Tenor(StrEnum):
    ONE_YEAR = "1y"
    FIVE_YEAR = "5y"  # "5 years and above" (5年期以上)

    @property
    def label(self) -> str:
        return "1年期" if self is Tenor.ONE_YEAR else "5年期以上"


class RepricingAnchor(StrEnum):
    JAN1 = "jan1"
    ANNIVERSARY = "anniversary"


@dataclass(frozen=True, slots=True)
class LprRate:
    published_on: date
    tenor: Tenor
    rate_ppm: int


def tenor_for_term(term_months: int) -> Tenor:
    """1-year LPR for terms up to 5 years, the over-5-year LPR above."""
    if isinstance(term_months, bool) or not isinstance(term_months, int) or term_months < 1:
        raise ValidationError("贷款期限必须至少 1 个月", code=LendingCode.INVALID_TERM, field="term_months")
    return Tenor.ONE_YEAR if term_months <= ONE_YEAR_MAX_TERM_MONTHS else Tenor.FIVE_YEAR


def rate_on(publications: Iterable[LprRate], tenor: Tenor | str, on: date) -> LprRate:
    """The latest publication of `tenor` on or before `on` (raises NO_LPR if none)."""
    tenor = Tenor(tenor)
    best: LprRate | None = None
    for p in publications:
        if p.tenor == tenor and p.published_on <= on and (best is None or p.published_on > best.published_on):
            best = p
    if best is None:
        raise DomainError(f"{on.isoformat()} 及之前没有{tenor.label} LPR 报价", code=LendingCode.NO_LPR)
    return best


def contract_rate_ppm(lpr_ppm: int, spread_bp: int) -> int:
    """LPR + spread (spread may be negative; the result may not)."""
    rate = lpr_ppm + spread_bp * PPM_PER_BP
    if rate < 0:
        raise ValidationError("LPR 加点后的利率不能为负数", code=LendingCode.INVALID_RATE, field="spread_bp")
    return rate


def next_repricing_date(
    anchor: RepricingAnchor | str, start_on: date, after: date, cycle_months: int = 12
) -> date:
    """The first repricing date strictly after `after` (and after `start_on`).

    jan1: 1 January of each year (every `cycle_months // 12` years counted from
    the start year); anniversary: start date + k × cycle_months (k >= 1), with
    29 February clamped to 28 February in common years.
    """
    anchor = RepricingAnchor(anchor)
    if cycle_months < 1:
        raise ValueError("cycle_months must be positive")
    base = max(after, start_on)
    if anchor is RepricingAnchor.JAN1:
        if cycle_months % 12:
            raise ValueError("a 1 January anchor needs a whole number of years")
        years = cycle_months // 12
        k = (base.year - start_on.year) // years + 1
        return date(start_on.year + k * years, 1, 1)
    months = (base.year - start_on.year) * 12 + base.month - start_on.month
    k = max(1, months // cycle_months)
    while True:
        d = add_months(start_on, k * cycle_months)
        if d > base:
            return d
        k += 1


def _hist(published: str, one_year_pct: str, five_year_pct: str) -> tuple[LprRate, LprRate]:
    on = date.fromisoformat(published)

    def ppm(pct: str) -> int:
        whole, _, frac = pct.partition(".")
        return int(whole) * 10_000 + int((frac + "0000")[:4])

    return LprRate(on, Tenor.ONE_YEAR, ppm(one_year_pct)), LprRate(on, Tenor.FIVE_YEAR, ppm(five_year_pct))


# Change points (docs/domain-facts.md#lpr): each value holds until the next row. Seed data.
# The 2019-09-20 1-year value is not independently confirmed.
LPR_HISTORY: tuple[LprRate, ...] = tuple(
    rate
    for row in (
        ("2019-08-20", "4.25", "4.85"),
        ("2019-09-20", "4.20", "4.85"),
        ("2019-11-20", "4.15", "4.80"),
        ("2020-02-20", "4.05", "4.75"),
        ("2020-04-20", "3.85", "4.65"),
        ("2021-12-20", "3.80", "4.65"),
        ("2022-01-20", "3.70", "4.60"),
        ("2022-05-20", "3.70", "4.45"),
        ("2022-08-22", "3.65", "4.30"),
        ("2023-06-20", "3.55", "4.20"),
        ("2023-08-21", "3.45", "4.20"),
        ("2024-02-20", "3.45", "3.95"),
        ("2024-07-22", "3.35", "3.85"),
        ("2024-10-21", "3.10", "3.60"),
        ("2025-05-20", "3.00", "3.50"),
    )
    for rate in _hist(*row)
)
