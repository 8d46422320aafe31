"""arq WorkerSettings. arq reads the class __dict__, so these classes do not inherit."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from zoneinfo import ZoneInfo

from arq import cron, func

from app import clock
from app.config import get_settings
from app.crypto import Vault
from app.integrations.core_banking_factory import build_core_banking
from app.db import init_db
from app.logging import configure_logging
from app.services import documents
from app.services.documents import MediaStore
from app.services.jobs import DEFAULT_QUEUE, ArqJobQueue, redis_settings
from workers.day_end import day_end_stage, start_day_end
from workers.documents import render_contract
from workers.outbox import send_outbox
from workers.core_jobs import resolve_core

logger = logging.getLogger(__name__)


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    configure_logging(json_lines=settings.env == "prod")
    ctx["settings"] = settings
    ctx["tortoise"] = await init_db(settings)
    ctx["media"] = MediaStore(settings.media_dir)
    ctx["core"] = build_core_banking(settings)
    ctx["vault"] = Vault(settings.secret())
    ctx["queue"] = ArqJobQueue(redis_settings(settings))  # the day's close enqueues its next stage
    logger.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    # Close the context Tortoise.init returned (docs/stack.md#tortoise-workers); close_connections() closes nothing here.
    if ctx.get("queue") is not None:
        await ctx["queue"].close()
    tortoise = ctx.get("tortoise")
    if tortoise is not None:
        await tortoise.close_connections()
    logger.info("worker stopped")


async def verify_document(ctx: dict[str, Any], document_id: str) -> str:
    """Re-hash a stored document; idempotent, so a redelivered job is harmless."""
    doc = await documents.verify_document(media=ctx["media"], document_id=UUID(document_id), now=clock.now_utc())
    logger.info("job %s try %s: document %s %s", ctx.get("job_id"), ctx.get("job_try"), document_id, doc.verify_status)
    return doc.verify_status.value


async def reconcile_jobs(ctx: dict[str, Any]) -> int:
    """Cron (and at start): contract renders the queue lost or that ran too long end with a reason."""
    from app.services.contracts.reconcile import reconcile_contract_renders

    return await reconcile_contract_renders(queue=ctx["queue"], now=clock.now_utc())


class DefaultWorker:
    functions = [
        verify_document, render_contract, send_outbox, resolve_core,
        # one job per stage and date (`<stage>:<date>`); no result kept, so a resumed chain can enqueue the id again
        func(day_end_stage, name="day_end_stage", timeout=3600, keep_result=0, max_tries=3),
    ]
    cron_jobs = [
        # the day's close (app/services/day_end.py): lending, then warnings/collections, then tags, one stage after another
        cron(start_day_end, hour={get_settings().eod_hour}, minute={0}, unique=True, timeout=60),
        cron(send_outbox, unique=True, timeout=50),  # every minute: provincial sync with retries
        cron(reconcile_jobs, unique=True, timeout=50, run_at_startup=True),  # lost contract renders (app/services/contracts/reconcile.py)
        # core-banking instructions still 处理中 and suspense refunds (app/services/lending/core_outcomes.py)
        cron(resolve_core, minute=set(range(0, 60, 5)), unique=True, timeout=240),
    ]
    timezone = ZoneInfo(get_settings().business_tz)  # cron hours are the bank's local hours
    on_startup = startup
    on_shutdown = shutdown
    queue_name = DEFAULT_QUEUE
    job_timeout = 60
    max_tries = 3
    health_check_interval = 30
    handle_signals = True
