"""The day's close in the worker: the cron at `eod_hour` starts it, each stage is one job (app/services/day_end.py)."""

from __future__ import annotations

import logging
from datetime import date
from typing import Any

from app import clock
from app.services.lending.classification import policy_from
from app.services.day_end import DONE, ALREADY_DONE, DayEndTools, close_business_day, enqueue_next, run_stage

logger = logging.getLogger(__name__)


def _tools(ctx: dict[str, Any]) -> DayEndTools:
    return DayEndTools(core=ctx["core"], vault=ctx["vault"], media=ctx["media"], lease_ttl=ctx["settings"].eod_lease_ttl_seconds,
                       policy=policy_from(ctx["settings"]))


async def start_day_end(ctx: dict[str, Any]) -> str:
    """Cron: close every business date up to today (business time zone): enqueue the first remaining stage."""
    today = clock.local_today(ctx["settings"].business_tz)
    reports = await close_business_day(tools=_tools(ctx), today=today, catch_up=True, queue=ctx["queue"])
    started = ", ".join(f"{r.stage}:{r.business_on.isoformat()} {r.status}" for r in reports) or "nothing to close"
    logger.info("job %s: day end through %s: %s", ctx.get("job_id"), today, started)
    return started


async def day_end_stage(ctx: dict[str, Any], stage: str, business_on: str, through: str) -> str:
    """One stage of one date's close; when it has committed, the next remaining stage is enqueued."""
    report = await run_stage(stage, date.fromisoformat(business_on), _tools(ctx))
    logger.info("job %s try %s: day end %s %s: %s %s", ctx.get("job_id"), ctx.get("job_try"), stage, business_on, report.status, report.detail)
    if report.status in (DONE, ALREADY_DONE):
        await enqueue_next(ctx["queue"], through=date.fromisoformat(through))
    return report.status  # running: the lease holder goes on with the chain
