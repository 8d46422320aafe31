"""The public repayment calculator: text in (as a person or an app types it), a schedule out."""

from __future__ import annotations

from datetime import date

from app.domain.money import Money, parse_rate_percent
from app.domain.schedule import Schedule, build_schedule, parse_method


def preview_schedule(
    *, principal: str, annual_rate_percent: str, term_months: int, method: str, start_on: date, first_due_on: date | None
) -> Schedule:
    """Raises ValidationError with the camelCase field of the bad input."""
    principal_fen = Money.from_yuan(principal, field="principal").fen
    rate_ppm = parse_rate_percent(annual_rate_percent, field="annualRatePercent")
    return build_schedule(principal_fen, rate_ppm, term_months, parse_method(method), start_on, first_due_on)
