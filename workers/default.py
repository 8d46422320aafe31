"""The default worker (queue arq:default) and its jobs: the day's close, contracts, documents, outbox, core banking.

    cunxin worker

arq reads the `DefaultWorker` class __dict__, so worker settings classes do not inherit. The jobs are
thin: each calls one service and logs record ids and outcomes. The PDF renderer the contract job uses
lives in `workers/engines/pdf.py` (WeasyPrint), built once per process on first use.
"""

from __future__ import annotations

import logging
from datetime import date
from typing import Any
from uuid import UUID

from zoneinfo import ZoneInfo

from arq import cron, func

from app import clock
from app.config import get_settings
from app.db import init_db
from app.logging import configure_logging
from app.services import documents
from app.services.actor import SYSTEM
from app.models.contract import ContractStatus
from app.services.contracts import render_contract as render_contract_service
from app.services.day_end import DONE, ALREADY_DONE, DayEndTools, close_business_day, enqueue_next, run_stage
from app.services.documents import MediaStore
from app.services.job_lifecycle import reconcile
from app.services.job_lifecycle.kinds import kinds_on
from app.services.jobs import DEFAULT_QUEUE
from app.services.lending.online_credit import complete_online_contract
from app.services.outbox import send_due_messages
from app.services.portfolio_import import runs as import_runs
from app.wiring import Adapters, allowance_policy, classification_policy, guarantee_policy, postloan_schedule, warning_thresholds
from workers.engines.pdf import WeasyRenderer

logger = logging.getLogger(__name__)


async def startup(ctx: dict[str, Any]) -> None:
    settings = get_settings()
    configure_logging(json_lines=settings.env == "prod")
    ctx["settings"] = settings
    ctx["tortoise"] = await init_db(settings)
    ctx.update(Adapters.from_settings(settings).by_name())  # core, vault, media, provincial; the queue: the day's close enqueues its next stage
    logger.info("worker started")


async def shutdown(ctx: dict[str, Any]) -> None:
    # Close the context Tortoise.init returned (docs/stack.md#tortoise-workers); close_connections() closes nothing here.
    if ctx.get("queue") is not None:
        await ctx["queue"].close()
    tortoise = ctx.get("tortoise")
    if tortoise is not None:
        await tortoise.close_connections()
    logger.info("worker stopped")


# --- documents and contracts ------------------------------------------------------------------


async def verify_document(ctx: dict[str, Any], document_id: str) -> str:
    """Re-hash a stored document; idempotent, so a redelivered job is harmless."""
    doc = await documents.verify_document(media=ctx["media"], document_id=UUID(document_id), now=clock.now_utc())
    logger.info("job %s try %s: document %s %s", ctx.get("job_id"), ctx.get("job_try"), document_id, doc.verify_status)
    return doc.verify_status.value


def _renderer(ctx: dict[str, Any]) -> WeasyRenderer:
    if "pdf_renderer" not in ctx:
        ctx["pdf_renderer"] = WeasyRenderer()
    return ctx["pdf_renderer"]


async def render_contract(ctx: dict[str, Any], contract_id: str) -> str:
    """Render a contract's unsigned PDF (idempotent: a rendered contract is left alone). An online line's contract (the
    borrower accepted in the app) is then signed and sealed (`complete_online_contract`); a visit's waits for the visit."""
    media: MediaStore = ctx["media"]
    contract = await render_contract_service(
        contract_id=UUID(contract_id), media=media, renderer=_renderer(ctx), now=clock.now_utc(), actor=SYSTEM
    )
    logger.info("job %s try %s: contract %s %s", ctx.get("job_id"), ctx.get("job_try"), contract_id, contract.status.value)
    if contract.status == ContractStatus.RENDERED:  # an online line's contract: the borrower confirmed in the app, sign and seal now
        online = await complete_online_contract(contract_id=contract.id, now=clock.now_utc(), kit=ctx["signing_kit"]())
        if online is not None:
            logger.info("job %s: online credit application %s %s", ctx.get("job_id"), online.id, online.status.value)
            return f"online credit application {online.status.value}"
    return contract.status.value


async def portfolio_import_run(ctx: dict[str, Any], run_id: str) -> str:
    """A preview or confirmation the 存量导入 page started (app/services/portfolio_import/runs.py); idempotent."""
    settings = ctx["settings"]
    run = await import_runs.execute_run(run_id=UUID(run_id), vault=ctx["vault"], staging=settings.var_dir / "imports",
                                        max_bytes=settings.import_max_bytes, queue=ctx["queue"], now=clock.now_utc(),
                                        guarantee_policy=guarantee_policy(settings))
    logger.info("job %s try %s: import run %s %s", ctx.get("job_id"), ctx.get("job_try"), run_id, run.status.value)
    return run.status.value


async def reconcile_jobs(ctx: dict[str, Any]) -> str:
    """Cron (and at start): contract renders and provincial sync attempts the queue lost or that ran too long
    are queued again or failed with a reason (app/services/job_lifecycle/reconcile.py)."""
    kinds = kinds_on(DEFAULT_QUEUE, outbox_max_attempts=ctx["settings"].outbox_max_attempts)
    done = await reconcile.reconcile_jobs(kinds=kinds, queue=ctx["queue"], now=clock.now_utc())
    return f"queued {done.queued}, requeued {done.requeued}, failed {done.failed}"


# --- outbox and core banking ------------------------------------------------------------------


async def send_outbox(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron (every minute): send the due outbox messages to the provincial credit system; retries and
    dead letters follow the settings' back-off. The adapter is the worker's (built at start-up, app/wiring.py)."""
    settings = ctx["settings"]
    report = await send_due_messages(
        adapter=ctx["provincial"], now=clock.now_utc(), max_attempts=settings.outbox_max_attempts,
        base_seconds=settings.outbox_retry_base_seconds, max_seconds=settings.outbox_retry_max_seconds,
    )
    if report.sent or report.retried or report.dead:
        logger.info("job %s: outbox sent %s, retry %s, dead %s", ctx.get("job_id"), report.sent, report.retried, report.dead)
    return {"sent": report.sent, "retried": report.retried, "dead": report.dead, "skipped": report.skipped}


async def resolve_core(ctx: dict[str, Any]) -> dict[str, int]:
    """Cron (every 5 minutes): settle core-banking instructions still 处理中 and refund or apply suspense (暂收款)
    (app/services/lending/core_outcomes.py `settle_core`)."""
    from app.services.lending.core_outcomes import settle_core

    done = await settle_core(core=ctx["core"], vault=ctx["vault"])
    if done.settled or done.pending or done.refunded_fen:
        logger.info("job %s: core settled %s, pending %s, refunded %s fen", ctx.get("job_id"), done.settled, done.pending, done.refunded_fen)
    return {"settled": done.settled, "pending": done.pending, "refunded_fen": done.refunded_fen}


# --- the day's close: the cron at `eod_hour` starts it, each stage is one job (app/services/day_end.py) ---


def _tools(ctx: dict[str, Any]) -> DayEndTools:
    return DayEndTools(core=ctx["core"], vault=ctx["vault"], media=ctx["media"], lease_ttl=ctx["settings"].eod_lease_ttl_seconds,
                       policy=classification_policy(ctx["settings"]), postloan=postloan_schedule(ctx["settings"]),
                       positions_retention_days=ctx["settings"].positions_retention_days, allowance=allowance_policy(ctx["settings"]),
                       warnings=warning_thresholds(ctx["settings"]))


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


class DefaultWorker:
    functions = [
        verify_document, render_contract, send_outbox, resolve_core,
        func(portfolio_import_run, name="portfolio_import_run", timeout=3600),
        # one job per stage and date (`<stage>:<date>`); no result kept, so a resumed chain can enqueue the id again
        func(day_end_stage, name="day_end_stage", timeout=3600, keep_result=0, max_tries=3),
    ]
    cron_jobs = [
        # the day's close (app/services/day_end.py): lending, then warnings/collections, then tags, one stage after another
        cron(start_day_end, hour={get_settings().eod_hour}, minute={0}, unique=True, timeout=60),
        cron(send_outbox, unique=True, timeout=50),  # every minute: provincial sync with retries
        cron(reconcile_jobs, unique=True, timeout=50, run_at_startup=True),  # lost contract renders and sync attempts
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
