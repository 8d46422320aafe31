"""The public repayment calculator: a principal in fen and a rate in ppm in (the doors parse what a person or an app types), a schedule out."""

from __future__ import annotations

from datetime import date

from app.domain.schedule import Schedule, build_schedule, parse_method


def preview_schedule(
    *, principal_fen: int, annual_rate_ppm: int, term_months: int, method: str, start_on: date, first_due_on: date | None
) -> Schedule:
    """Raises ValidationError with the camelCase field of the bad input."""
    return build_schedule(principal_fen, annual_rate_ppm, term_months, parse_method(method), start_on, first_due_on)
