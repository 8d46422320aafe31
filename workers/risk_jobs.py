"""Risk jobs: the day's early warnings and collection tasks, a little after end-of-day."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from arq import Retry

from app.services.after_eod import eod_in_progress, run_after_eod

logger = logging.getLogger(__name__)

WAIT_FOR_EOD_SECONDS = 600
MAX_TRIES = 8  # waits up to about 70 minutes for an end-of-day still running


async def risk_after_eod(ctx: dict[str, Any], business_on: str | None = None) -> str:
    """Cron (and on demand): warnings and collection tasks for the last closed business date.

    While an end-of-day is still running the job retries later, so the day it is
    closing is not skipped; after the last try it works on the last closed day.
    """
    if business_on is None and await eod_in_progress() and ctx.get("job_try", 1) < MAX_TRIES:
        raise Retry(defer=WAIT_FOR_EOD_SECONDS)
    report = await run_after_eod(media=ctx["media"], on=date.fromisoformat(business_on) if business_on else None)
    logger.info(
        "job %s try %s: risk %s: %s warnings, %s collection tasks opened, %s closed",
        ctx.get("job_id"), ctx.get("job_try"), report.business_on, report.warnings.total, report.collections.opened, report.collections.closed,
    )
    return report.business_on.isoformat()
