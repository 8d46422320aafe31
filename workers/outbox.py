"""Cron: send due outbox messages to the provincial credit system (every minute)."""

from __future__ import annotations

import logging
from typing import Any

from app import clock
from app.config import get_settings
from app.integrations.provincial import build_provincial
from app.services.outbox import send_due_messages

logger = logging.getLogger(__name__)


async def send_outbox(ctx: dict[str, Any]) -> dict[str, int]:
    """One pass over the due messages; retries and dead letters follow the settings' back-off."""
    settings = ctx.get("settings") or get_settings()
    if "provincial" not in ctx:
        ctx["provincial"] = build_provincial(settings)
    report = await send_due_messages(
        adapter=ctx["provincial"], now=clock.now_utc(), max_attempts=settings.outbox_max_attempts,
        base_seconds=settings.outbox_retry_base_seconds, max_seconds=settings.outbox_retry_max_seconds,
    )
    if report.sent or report.retried or report.dead:
        logger.info("job %s: outbox sent %s, retry %s, dead %s", ctx.get("job_id"), report.sent, report.retried, report.dead)
    return {"sent": report.sent, "retried": report.retried, "dead": report.dead, "skipped": report.skipped}
