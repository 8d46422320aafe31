"""Core-banking resolver job: settles instructions still 处理中 and refunds or applies suspense (暂收款)."""

from __future__ import annotations

import logging
from typing import Any

logger = logging.getLogger(__name__)


async def resolve_core(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron (every 5 minutes): app/services/lending/core_outcomes.py `settle_core`."""
    from app.services.lending.core_outcomes import settle_core

    done = await settle_core(core=ctx["core"], vault=ctx["vault"])
    if done.settled or done.pending or done.refunded_fen:
        logger.info("job %s: core settled %s, pending %s, refunded %s fen", ctx.get("job_id"), done.settled, done.pending, done.refunded_fen)
    return {"settled": done.settled, "pending": done.pending, "refunded_fen": done.refunded_fen}
