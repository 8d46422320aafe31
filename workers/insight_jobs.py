"""Insight jobs: customer tags recomputed a little after end-of-day (cron), or on demand."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from arq import Retry

from app.services import business_date
from app.services.after_eod import eod_in_progress
from app.services.insight import refresh_customer_tags

logger = logging.getLogger(__name__)

WAIT_FOR_EOD_SECONDS = 600
MAX_TRIES = 8


async def refresh_tags(ctx: dict[str, Any], business_on: str | None = None) -> str:
    """Tags as of the current business date (after end-of-day moved it); waits while an end-of-day runs."""
    if business_on is None and await eod_in_progress() and ctx.get("job_try", 1) < MAX_TRIES:
        raise Retry(defer=WAIT_FOR_EOD_SECONDS)
    on = date.fromisoformat(business_on) if business_on else await business_date.current()
    report = await refresh_customer_tags(on=on)
    logger.info(
        "job %s try %s: customer tags %s: %s customers, %s added, %s removed",
        ctx.get("job_id"), ctx.get("job_try"), report.on, report.customers, report.added, report.removed,
    )
    return report.on.isoformat()
