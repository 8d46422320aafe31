"""The only module that reads the wall clock."""

from __future__ import annotations

from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo


def now_utc() -> datetime:
    return datetime.now(UTC)


def local_today(tz: str) -> date:
    """Today's calendar date in the bank's time zone (used only to seed the business date)."""
    return datetime.now(ZoneInfo(tz)).date()
