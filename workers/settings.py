"""arq WorkerSettings. arq reads the class __dict__, so these classes do not inherit."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from arq import cron

from app import clock
from app.config import get_settings
from app.crypto import Vault
from app.integrations.core_banking_factory import build_core_banking
from app.db import init_db
from app.logging import configure_logging
from app.services import documents
from app.services.documents import MediaStore
from app.services.jobs import DEFAULT_QUEUE
from workers.risk_jobs import MAX_TRIES as RISK_MAX_TRIES, risk_after_eod
from workers.documents import render_contract
from workers.outbox import send_outbox
from workers.insight_jobs import MAX_TRIES as TAGS_MAX_TRIES, refresh_tags

logger = logging.getLogger(__name__)


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    configure_logging(json_lines=settings.env == "prod")
    ctx["settings"] = settings
    ctx["tortoise"] = await init_db(settings)
    ctx["media"] = MediaStore(settings.media_dir)
    ctx["core"] = build_core_banking(settings)
    ctx["vault"] = Vault(settings.secret())
    logger.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    # RECIPES.md: close the context Tortoise.init returned; close_connections() closes nothing here.
    tortoise = ctx.get("tortoise")
    if tortoise is not None:
        await tortoise.close_connections()
    logger.info("worker stopped")


async def verify_document(ctx: dict[str, Any], document_id: str) -> str:
    """Re-hash a stored document; idempotent, so a redelivered job is harmless."""
    doc = await documents.verify_document(media=ctx["media"], document_id=UUID(document_id), now=clock.now_utc())
    logger.info("job %s try %s: document %s %s", ctx.get("job_id"), ctx.get("job_try"), document_id, doc.verify_status)
    return doc.verify_status.value


async def end_of_day(ctx: dict[str, Any]) -> str:
    """Cron: end-of-day for the current business date (idempotent per date, resumable)."""
    from app.services.lending.eod import run_eod

    report = await run_eod(core=ctx["core"], vault=ctx["vault"], lease_ttl=ctx["settings"].eod_lease_ttl_seconds)
    logger.info("job %s: eod %s %s", ctx.get("job_id"), report.business_on, "already done" if report.already_done else "done")
    return report.business_on.isoformat()


class DefaultWorker:
    functions = [verify_document, end_of_day, risk_after_eod, render_contract, send_outbox, refresh_tags]
    # arq's cron uses the worker's local clock; run the worker with TZ=Asia/Shanghai in production.
    cron_jobs = [
        cron(end_of_day, hour={get_settings().eod_hour}, minute={0}, unique=True, timeout=3600),
        # early warnings and collection tasks for the day end-of-day closed (waits while it still runs)
        cron(risk_after_eod, hour={get_settings().eod_hour}, minute={30}, unique=True, timeout=1800, max_tries=RISK_MAX_TRIES),
        cron(send_outbox, unique=True, timeout=50),  # every minute: provincial sync with retries
        # customer tags for the new business date (app/services/insight/tags.py)
        cron(refresh_tags, hour={get_settings().eod_hour}, minute={45}, unique=True, timeout=1800, max_tries=TAGS_MAX_TRIES),
    ]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = DEFAULT_QUEUE
    job_timeout = 60
    max_tries = 3
    health_check_interval = 30
    handle_signals = True
