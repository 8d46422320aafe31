"""The admin page's imports as worker jobs, so the page can show a progress bar (docs/import.md "The admin page").

The page stages the upload (files.stage_upload) and starts a run: an `ImportRun` row (pending) and the default
worker's job `portfolio_import_run`. The worker calls the kind's import service (the CLI's own function), which
reports (stage, rows read) every PAGE_PROGRESS_EVERY rows; the latest report is noted in the queue's store (Redis)
about once a second while the service works — not in the database, where the confirming transaction may hold SQLite's
only writer — and the page polls the row and that note. When the service returns, the row keeps the result
(counts and the listed errors) and is done; a refusal of the whole file (size, format, header, permission) fails
it with the service's Chinese message. The run is a job row like the others (app/services/job_lifecycle/kinds.py
`IMPORT`): a worker killed mid-way leaves it running, and the reconciler queues it again — safe, because a
confirmation writes all or nothing in one transaction and a re-run skips what is already imported by its key.
"""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime
from pathlib import Path
from uuid import UUID, uuid4

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.portfolio_import import KINDS, RowError
from app.models import Bank, ImportRun, Officer
from app.models.identity import JobStatus
from app.services import audit
from app.services.actor import Actor
from app.services.auth.officers import actor_for
from app.services.jobs import DEFAULT_QUEUE, JobQueue, job_id_for
from app.services.permissions import require
from app.services.guarantees import DEFAULT_POLICY, GroupPolicy
from app.services.portfolio_import import ImportResult, import_kind
from app.services.portfolio_import.files import estimate_rows, staged_path

logger = logging.getLogger(__name__)

RUN_FUNCTION = "portfolio_import_run"
PAGE_PROGRESS_EVERY = 200  # rows between two progress reports of a run (the CLI reports every 10,000)
FLUSH_SECONDS = 1.0  # the queue's store gets the latest report at most this often
GONE = "找不到预览过的文件（可能已导入或已过期），请重新上传"
OPEN = (JobStatus.PENDING, JobStatus.RUNNING)
FAILED = JobStatus.FAILED


def _own_bank(actor: Actor) -> UUID:
    require(actor, Action.PORTFOLIO_IMPORT)
    if actor.bank_id is None:
        raise Forbidden("存量数据导入由法人行管理员为本行办理")
    return actor.bank_id


async def start_run(*, actor: Actor, kind: str, token: str, confirm: bool, staging: Path, queue: JobQueue, now: datetime) -> ImportRun:
    """A preview (`confirm` False) or confirmation of the bank's staged upload `token`, queued for the worker.

    A second confirmation of a file whose confirmation is still open returns that run (a double tap writes once)."""
    bank_id = _own_bank(actor)
    if kind not in KINDS:
        raise ValidationError("请选择导入类型", field="kind")
    path = staged_path(staging, bank_id, token)
    if path is None:
        raise NotFound(GONE, field="token")
    if confirm:
        running = await ImportRun.filter(bank_id=bank_id, token=token, confirm=True, status__in=OPEN).first()
        if running is not None:
            return running
    run_id = uuid4()
    job_id = job_id_for(RUN_FUNCTION, run_id)
    async with in_transaction():
        run = await ImportRun.create(id=run_id, bank_id=bank_id, officer_id=actor.id, kind=kind, token=token, confirm=confirm,
                                     rows_total=estimate_rows(path), job_id=job_id)
        await audit.record(actor, "import_run.start", "import_run", run.id, after={"kind": kind, "confirm": confirm})
    try:
        await queue.enqueue(RUN_FUNCTION, job_id=job_id, queue=DEFAULT_QUEUE, run_id=str(run.id))
    except Exception as exc:  # Redis down: the row waits, and the reconciler queues it within a minute
        logger.warning("enqueue %s failed (%s): left pending for the reconciler", job_id, type(exc).__name__)
    return run


async def run_in_scope(actor: Actor, run_id: UUID) -> ImportRun:
    """A run of the actor's own bank: another bank's is not found (for anyone of this one), then the permission."""
    run = await ImportRun.get_or_none(id=run_id, bank_id=actor.bank_id) if actor.bank_id is not None else None
    if run is None:
        raise NotFound("导入任务不存在", field="run_id")
    _own_bank(actor)
    return run


async def progress_of(run: ImportRun, queue: JobQueue) -> tuple[str, int]:
    """(stage 检查 / 写入, rows read) of a run: its latest note while it runs, the row's figures after."""
    if run.status == JobStatus.RUNNING:
        try:
            note = await queue.progress(run.job_id or str(run.id))
        except Exception:  # Redis away: no numbers for now
            note = None
        if note:
            return str(note.get("stage") or ""), int(note.get("rows") or 0)
    return run.stage, run.rows_done


def result_of(run: ImportRun) -> ImportResult | None:
    """The finished run's result, as the import service returned it (the listed errors, not all of them)."""
    if run.result is None:
        return None
    r = run.result
    return ImportResult(kind=KINDS[run.kind], bank_name=r["bank_name"], rows=r["rows"], new=r["new"], skipped=r["skipped"],
                        errors=[RowError(*e) for e in r["errors"]], error_count=r["error_count"], committed=r["committed"])


def _result_json(result: ImportResult) -> dict:
    return {"bank_name": result.bank_name, "rows": result.rows, "new": result.new, "skipped": result.skipped,
            "errors": [[e.row, e.column, e.message] for e in result.errors], "error_count": result.error_count, "committed": result.committed}


async def _fail(run_id: UUID, *, code: str, message: str, now: datetime) -> None:
    await ImportRun.filter(id=run_id, status__in=OPEN).update(status=JobStatus.FAILED, error_code=code[:32], error=message[:256], finished_at=now)


async def execute_run(*, run_id: UUID, vault: Vault, staging: Path, max_bytes: int, queue: JobQueue, now: datetime,
                      guarantee_policy: GroupPolicy = DEFAULT_POLICY) -> ImportRun:
    """The worker's side: run the import service on the staged file, noting its progress in the queue's store; idempotent.
    A guarantees file is checked against `guarantee_policy` (the worker passes the settings', as the CLI does)."""
    if not await ImportRun.filter(id=run_id, status__in=OPEN).update(status=JobStatus.RUNNING):
        return await ImportRun.get(id=run_id)  # finished already: a redelivered job changes nothing
    run = await ImportRun.get(id=run_id)
    officer = await Officer.get(id=run.officer_id)
    path = staged_path(staging, run.bank_id, run.token)
    refused = ("FORBIDDEN", "发起导入的账号已停用") if not officer.is_active else ("FILE_GONE", GONE) if path is None else None
    if refused is not None:
        await _fail(run.id, code=refused[0], message=refused[1], now=now)
        return await ImportRun.get(id=run_id)
    latest: dict[str, object] = {}

    def progress(stage: str, rows: int) -> None:
        latest.update(stage=stage, rows=rows)

    async def flush() -> None:  # to the queue's store, not the row: the confirming transaction may hold SQLite's one writer
        written: dict[str, object] = {}
        while True:
            await asyncio.sleep(FLUSH_SECONDS)
            if latest and latest != written:
                written = dict(latest)
                try:
                    await queue.note_progress(run.job_id or str(run.id), written)
                except Exception as exc:  # Redis away: the page shows no numbers until the run ends, the import goes on
                    logger.warning("import run %s: progress not noted (%s)", run.id, type(exc).__name__)

    bank = await Bank.get(id=run.bank_id)
    flusher = asyncio.create_task(flush())
    try:
        result = await import_kind(run.kind, guarantee_policy=guarantee_policy, actor=await actor_for(officer), vault=vault, bank_code=bank.code,
                                   path=path, confirm=run.confirm, max_bytes=max_bytes, progress=progress, progress_every=PAGE_PROGRESS_EVERY)
    except (DomainError, Forbidden) as exc:  # the whole file refused: uploading it again will not help
        await _fail(run.id, code=str(getattr(exc, "code", "") or "REFUSED"), message=exc.message, now=now)
        path.unlink(missing_ok=True)
        return await ImportRun.get(id=run_id)
    finally:
        flusher.cancel()
    await ImportRun.filter(id=run.id, status=JobStatus.RUNNING).update(
        status=JobStatus.DONE, stage="写入" if run.confirm and not result.error_count else "检查", rows_done=result.rows,
        result=_result_json(result), finished_at=now)
    if result.error_count or result.committed:
        path.unlink(missing_ok=True)  # nothing to confirm (the corrected file is uploaded again), or written
    return await ImportRun.get(id=run_id)
