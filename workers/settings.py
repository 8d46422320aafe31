"""arq WorkerSettings. arq reads the class __dict__, so these classes do not inherit."""

from __future__ import annotations

import logging
from typing import Any
from uuid import UUID

from app import clock
from app.config import get_settings
from app.db import init_db
from app.logging import configure_logging
from app.services import documents
from app.services.documents import MediaStore
from app.services.jobs import DEFAULT_QUEUE

logger = logging.getLogger(__name__)


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    configure_logging(json_lines=settings.env == "prod")
    ctx["settings"] = settings
    ctx["tortoise"] = await init_db(settings)
    ctx["media"] = MediaStore(settings.media_dir)
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


class DefaultWorker:
    functions = [verify_document]
    on_startup = startup
    on_shutdown = shutdown
    queue_name = DEFAULT_QUEUE
    job_timeout = 60
    max_tries = 3
    health_check_interval = 30
    handle_signals = True
