"""The kinds of background job a row waits on, each described once for the reconciler and for 重试.

Every kind moves pending → running → done | failed (with a code and a Chinese reason); a kind is
the row's model, the columns that hold that lifecycle, the job function and queue that move it,
and the policy action that may retry it. `QueuedRows` covers the rows an arq job finishes (ID-card
OCR, customer face match, the login face match, liveness, face enrolment, contract PDFs);
`OutboxSync` the provincial outbox, whose attempts a cron makes (workers/outbox.py): pending
(waiting for its next attempt), running (an attempt in flight), sent (done), dead (failed).
Failing and reopening are compare-and-sets on the open (or failed) state, audited, so a job that
finishes at the same moment, or a second click, changes nothing twice.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.models import Model
from tortoise.transactions import in_transaction

from app.domain.permissions import Action
from app.models import Contract, FaceEnrolment, FaceVerification, IdCardRead, ImportRun, LivenessCheck, OutboxMessage
from app.domain.vocabulary import ContractStatus
from app.models.identity import FacePurpose, JobStatus, LivenessStatus
from app.models.outbox import OutboxStatus
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.jobs import ATTEMPTS_PER_ROUND, DEFAULT_QUEUE, ML_QUEUE, attempt_in_round, attempt_of, job_id_for, next_round

RETRYABLE = ("TIMEOUT", "JOB_LOST", "INTERNAL", "RENDER_FAILED")  # failures of the service, not of the input: 重试 makes sense
NEW, OPEN, DONE, FAILED = "new", "open", "done", "failed"  # a row's place in the lifecycle, whatever its columns call it


@dataclass(frozen=True, slots=True)
class OpenJob:
    """An open row as the reconciler sees it."""

    record_id: UUID
    job_id: str | None  # None: never queued (Redis was down when the row was made)
    since: datetime | None  # queued (or retried) at: the deadline counts from here
    attempt: int  # within the current round of attempts


@dataclass(frozen=True, slots=True)
class JobKind:
    name: str  # ocr, face, login_face, liveness, enrolment, contract, sync (metrics, logs, the retry URL)
    label: str  # what the officer reads: 「{label}失败」
    verb: str  # 「{verb}超时」
    model: type[Model]
    entity: str  # the audit entity type, and the prefix of its actions (`<entity>.failed`, `<entity>.retry`)
    action: Action  # the policy action a 重试 needs (the action that started the job)
    queue: str = ML_QUEUE
    deadline: timedelta | None = timedelta(minutes=5)  # open longer than this since queued: failed with TIMEOUT
    max_attempts: int = ATTEMPTS_PER_ROUND

    def timeout_message(self) -> str:
        return f"{self.verb}超时（服务繁忙或中断），请点击“重试”"

    def lost_message(self, attempts: int) -> str:
        return f"{self.verb}服务中断，已自动重试 {attempts} 次仍未完成，请点击“重试”"


@dataclass(frozen=True, slots=True)
class QueuedRows(JobKind):
    """Rows finished by an arq job `function(<arg>=<id>)`; the column names of their lifecycle."""

    function: str = ""
    arg: str = ""
    status: str = "status"
    pending: Any = JobStatus.PENDING
    open_values: tuple = (JobStatus.PENDING, JobStatus.RUNNING)
    failed: Any = JobStatus.FAILED
    done_values: tuple = (JobStatus.DONE,)
    job: str = "job_id"
    code: str = "error_code"
    message: str = "error"
    since: tuple[str, ...] = ("retried_at", "created_at")  # the first set one; a 重试 sets the first
    finished: str | None = "finished_at"
    reopen_clears: tuple[str, ...] = ()
    filters: dict[str, Any] = field(default_factory=dict)  # which rows of the model are this kind

    def place(self, row: Any) -> str:
        value = getattr(row, self.status)
        if value is None:
            return NEW
        return OPEN if value in self.open_values else DONE if value in self.done_values else FAILED if value == self.failed else OPEN

    async def open_jobs(self, limit: int) -> list[OpenJob]:
        rows = await self.model.filter(**{f"{self.status}__in": list(self.open_values)}, **self.filters).order_by(self.since[-1]).limit(limit)
        return [OpenJob(row.id, getattr(row, self.job), _since(row, self.since),
                        attempt_in_round(attempt_of(getattr(row, self.job) or ""))) for row in rows]

    async def fail(self, job: OpenJob, *, code: str, message: str, now: datetime) -> bool:
        """Fail the row if it is still open (a finished row is left as it is)."""
        update = {self.status: self.failed, self.code: code[:32], self.message: message[:256]}
        if self.finished:
            update[self.finished] = now
        async with in_transaction():
            moved = await self.model.filter(id=job.record_id, **{f"{self.status}__in": list(self.open_values)}).update(**update)
            if moved:
                await audit.record(SYSTEM, f"{self.entity}.failed", self.entity, job.record_id, after={"code": code})
        return bool(moved)

    async def requeue(self, job: OpenJob, *, queue: Any) -> str | None:
        """Queue the row's job again under the next attempt's id; None when another pass got there first."""
        attempt = 1 if job.job_id is None else attempt_of(job.job_id) + 1
        job_id = job_id_for(self.function, job.record_id, attempt)
        await queue.enqueue(self.function, job_id=job_id, queue=self.queue, **{self.arg: str(job.record_id)})
        moved = await self.model.filter(id=job.record_id, **{self.job: job.job_id}).update(**{self.job: job_id})
        return job_id if moved else None

    def retryable(self, row: Any) -> bool:
        return self.place(row) == FAILED and getattr(row, self.code) in RETRYABLE

    def reason(self, row: Any) -> str | None:
        return getattr(row, self.message)

    async def reopen(self, row: Any, *, actor: Actor, now: datetime, any_failure: bool = False) -> str | None:
        """Failed (for a reason of the service) → pending under a new round's job id, audited; None when the
        row was not in that state any more (a double click: the first click reopened it).

        `any_failure`: whatever the failure, or a row never queued (a contract's PDF asked for by the officer).
        """
        old_job, current = getattr(row, self.job), getattr(row, self.status)
        job_id = job_id_for(self.function, row.id, 1 if old_job is None else next_round(attempt_of(old_job)))
        update = {self.status: self.pending, self.job: job_id, self.code: None, self.message: None, self.since[0]: now,
                  **{name: None for name in self.reopen_clears}}
        if self.finished:
            update[self.finished] = None
        state = {self.status: current} if any_failure else {self.status: self.failed, f"{self.code}__in": list(RETRYABLE)}
        async with in_transaction():
            if not await self.model.filter(id=row.id, **self.filters, **state).update(**update):
                return None
            await audit.record(actor, f"{self.entity}.{'queue' if current is None else 'retry'}", self.entity, row.id,
                               before={"code": getattr(row, self.code), "error": getattr(row, self.message), "jobId": old_job},
                               after={"jobId": job_id})
        return job_id

    async def enqueue(self, job_id: str, record_id: UUID, *, queue: Any) -> None:
        await queue.enqueue(self.function, job_id=job_id, queue=self.queue, **{self.arg: str(record_id)})


def _since(row: Any, names: tuple[str, ...]) -> datetime | None:
    return next((getattr(row, n) for n in names if getattr(row, n) is not None), None)


SEND_DEADLINE = timedelta(minutes=2)  # an attempt (one HTTP call, 10 s timeout) still running after this was lost


@dataclass(frozen=True, slots=True)
class OutboxSync(JobKind):
    """Provincial sync: the outbox's messages. An attempt is the cron's; the reconciler frees a lost one."""

    def place(self, row: Any) -> str:
        return {OutboxStatus.SENT: DONE, OutboxStatus.DEAD: FAILED}.get(row.status, OPEN)

    async def open_jobs(self, limit: int) -> list[OpenJob]:
        rows = await OutboxMessage.filter(status=OutboxStatus.RUNNING).order_by("started_at").limit(limit)
        return [OpenJob(m.id, f"send_outbox:{m.id}:{m.attempts}", m.started_at, m.attempts) for m in rows]

    async def fail(self, job: OpenJob, *, code: str, message: str, now: datetime) -> bool:
        async with in_transaction():
            moved = await OutboxMessage.filter(id=job.record_id, status=OutboxStatus.RUNNING, attempts=job.attempt).update(
                status=OutboxStatus.DEAD, last_error=message[:256])
            if moved:
                await audit.record(SYSTEM, f"{self.entity}.failed", self.entity, job.record_id, after={"code": code})
        return bool(moved)

    async def requeue(self, job: OpenJob, *, queue: Any) -> str | None:
        """Back to pending: the cron sends it at the next attempt time its claim already set."""
        moved = await OutboxMessage.filter(id=job.record_id, status=OutboxStatus.RUNNING, attempts=job.attempt).update(status=OutboxStatus.PENDING)
        return job.job_id if moved else None

    def retryable(self, row: Any) -> bool:
        return row.status == OutboxStatus.DEAD

    def reason(self, row: Any) -> str | None:
        return row.last_error

    async def reopen(self, row: Any, *, actor: Actor, now: datetime, any_failure: bool = False) -> str | None:
        """A dead letter back in the queue with a fresh set of attempts (sent on the next cron run)."""
        async with in_transaction():
            if not await OutboxMessage.filter(id=row.id, status=OutboxStatus.DEAD).update(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now):
                return None
            await audit.record(actor, f"{self.entity}.retry", self.entity, row.id,
                               before={"attempts": row.attempts, "lastError": row.last_error}, after={"status": OutboxStatus.PENDING.value})
        return f"send_outbox:{row.id}:0"

    async def enqueue(self, job_id: str, record_id: UUID, *, queue: Any) -> None:
        """Nothing to queue: the outbox cron picks up pending messages every minute."""


_LIVENESS = dict(status="status", pending=LivenessStatus.PENDING, open_values=(LivenessStatus.PENDING, LivenessStatus.RUNNING), failed=LivenessStatus.FAILED,
                 done_values=(LivenessStatus.PASSED,), code="reason_code", message="reason", since=("retried_at", "submitted_at"))
_CUSTOMER_FACES = [FacePurpose.CUSTOMER_MATCH, FacePurpose.CONTRACT_SIGN]

OCR = QueuedRows("ocr", "身份证识别", "识别", IdCardRead, "id_card_read", Action.VISIT_CONDUCT, function="read_id_card", arg="read_id")
FACE = QueuedRows("face", "人脸比对", "识别", FaceVerification, "face_verification", Action.VISIT_CONDUCT, function="verify_face",
                  arg="verification_id", filters={"purpose__in": _CUSTOMER_FACES})
LOGIN_FACE = QueuedRows("login_face", "人脸比对", "识别", FaceVerification, "face_verification", Action.FACE_LOGIN, function="verify_face",
                        arg="verification_id", filters={"purpose": FacePurpose.OFFICER_LOGIN})
LIVENESS = QueuedRows("liveness", "活体检测", "识别", LivenessCheck, "liveness", Action.FACE_LOGIN, function="check_liveness",
                      arg="liveness_id", filters={"frames_id__isnull": False}, reopen_clears=("details", "model_ms"), **_LIVENESS)
ENROLMENT = QueuedRows("enrolment", "人脸录入", "识别", FaceEnrolment, "face_enrolment", Action.FACE_LOGIN, function="enrol_face",
                       arg="enrolment_id")
CONTRACT = QueuedRows("contract", "合同生成", "合同生成", Contract, "contract_render", Action.VISIT_CONDUCT, queue=DEFAULT_QUEUE,
                      deadline=timedelta(minutes=10), function="render_contract", arg="contract_id", status="render_status",
                      job="render_job_id", code="render_error_code", since=("render_requested_at",), finished=None,
                      reopen_clears=("render_started_at",), filters={"status": ContractStatus.DRAFT})
@dataclass(frozen=True, slots=True)
class ImportRuns(QueuedRows):
    """The admin page's portfolio imports (app/services/portfolio_import/runs.py): the admin uploads again, no 重试."""

    def timeout_message(self) -> str:
        return f"{self.verb}超时（服务繁忙或中断），未写入任何数据，请重新上传"

    def lost_message(self, attempts: int) -> str:
        return f"{self.verb}服务中断，已自动重试 {attempts} 次仍未完成，未写入任何数据，请重新上传"


# a big file may take most of an hour
IMPORT = ImportRuns("import", "存量导入", "导入", ImportRun, "import_run", Action.PORTFOLIO_IMPORT, queue=DEFAULT_QUEUE, deadline=timedelta(minutes=65),
                    function="portfolio_import_run", arg="run_id")
SYNC = OutboxSync("sync", "省联社报送", "报送", OutboxMessage, "outbox_message", Action.OUTBOX_RESEND, queue=DEFAULT_QUEUE, deadline=None)

KINDS: dict[str, QueuedRows | OutboxSync] = {k.name: k for k in (OCR, FACE, LOGIN_FACE, LIVENESS, ENROLMENT, CONTRACT, IMPORT, SYNC)}


def kinds_on(queue: str, *, outbox_max_attempts: int) -> list[QueuedRows | OutboxSync]:
    """The kinds whose workers listen on `queue` (each worker reconciles its own); the outbox's attempts are a setting."""
    return [replace(k, max_attempts=outbox_max_attempts) if k is SYNC else k for k in KINDS.values() if k.queue == queue]
