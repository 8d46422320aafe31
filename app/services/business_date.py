"""The bank's business date (会计日期): read by money code, advanced only by end-of-day."""

from __future__ import annotations

from datetime import date

from app.models import BusinessCalendar


async def current(default: date | None = None) -> date:
    """The current business date; on an empty database it starts at `default`."""
    row = await BusinessCalendar.get_or_none(id=1)
    if row is not None:
        return row.current_on
    if default is None:
        raise LookupError("business date not initialised (run `cunxin migrate` and `cunxin seed-demo`)")
    row, _ = await BusinessCalendar.get_or_create(id=1, defaults={"current_on": default})
    return row.current_on


async def set_current(on: date) -> None:
    """Set the business date (end-of-day and tests)."""
    updated = await BusinessCalendar.filter(id=1).update(current_on=on)
    if not updated:
        await BusinessCalendar.create(id=1, current_on=on)
