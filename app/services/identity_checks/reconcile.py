"""Every identity-check row ends done or failed: the reconciler for jobs the queue lost or gave up on.

Runs at ML-worker start and every minute. For each open row (pending or running):
- no job id yet (Redis was down at enqueue): queued again after 30 s (`requeue_unqueued`);
- open longer than `DEADLINE` since it was queued: failed with TIMEOUT, whatever the queue says;
- its job waiting or running in the queue: left alone;
- its job unknown to the queue (Redis restarted without persistence, the result expired) or
  finished without writing the row (arq gave up after a crash, a timeout): queued again under a
  new job id, `<job>:<id>:<attempt>`, up to `MAX_ATTEMPTS` attempts, then failed with JOB_LOST.
Results are written once (the jobs claim the row), so a job that finishes while the reconciler
looks at it changes nothing twice.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.models import Model

from app.models import FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck
from app.models.identity import JobStatus, LivenessStatus
from app.services.identity_checks.common import OPEN
from app.services.identity_checks.faces import ENROL_JOB, VERIFY_JOB, fail_enrolment, fail_face_verification
from app.services.identity_checks.idcard import READ_JOB, fail_id_card_read
from app.services.identity_checks.liveness import LIVENESS_JOB, record_liveness_result
from app.services.identity_checks.requeue import requeue_unqueued
from app.services.jobs import FINISHED, ML_QUEUE, UNKNOWN, JobQueue

logger = logging.getLogger(__name__)

MAX_ATTEMPTS = 3
DEADLINE = timedelta(minutes=5)
TIMEOUT = "TIMEOUT"
JOB_LOST = "JOB_LOST"
TIMEOUT_MESSAGE = "识别超时（服务繁忙或中断），请点击“重试”"
JOB_LOST_MESSAGE = f"识别服务中断，已自动重试 {MAX_ATTEMPTS} 次仍未完成，请点击“重试”"


@dataclass(frozen=True, slots=True)
class Reconciled:
    queued: int = 0  # rows without a job id, queued
    requeued: int = 0  # rows whose job was lost, queued under a new id
    failed: int = 0  # rows failed with TIMEOUT or JOB_LOST


@dataclass(frozen=True, slots=True)
class _Kind:
    model: type[Model]
    function: str
    arg: str
    opened: str  # the column the deadline counts from


_KINDS = (
    _Kind(IdCardRead, READ_JOB, "read_id", "created_at"),
    _Kind(FaceVerification, VERIFY_JOB, "verification_id", "created_at"),
    _Kind(FaceEnrolment, ENROL_JOB, "enrolment_id", "created_at"),
    _Kind(LivenessCheck, LIVENESS_JOB, "liveness_id", "submitted_at"),
)


def job_id_for(function: str, record_id: UUID, attempt: int) -> str:
    """`<job>:<id>` for the first attempt (as enqueued by the web), `<job>:<id>:<n>` after."""
    return f"{function}:{record_id}" if attempt <= 1 else f"{function}:{record_id}:{attempt}"


def attempt_of(job_id: str) -> int:
    parts = job_id.split(":")
    return int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else 1


async def reconcile_identity_jobs(*, queue: JobQueue, now: datetime, limit: int = 200) -> Reconciled:
    """One pass over the open rows of every kind (see the module docstring)."""
    queued = await requeue_unqueued(queue=queue, now=now, limit=limit)
    requeued = failed = 0
    for kind in _KINDS:
        for row in await _open_rows(kind, limit):
            outcome = await _reconcile_row(kind, row, queue=queue, now=now)
            requeued += outcome == "requeued"
            failed += outcome == "failed"
    if queued or requeued or failed:
        logger.info("reconciled identity jobs: %s queued, %s requeued, %s failed", queued, requeued, failed)
    return Reconciled(queued, requeued, failed)


async def _open_rows(kind: _Kind, limit: int) -> list[Any]:
    if kind.model is LivenessCheck:
        query = LivenessCheck.filter(status=LivenessStatus.PENDING, frames_id__isnull=False)
    else:
        query = kind.model.filter(status__in=OPEN)
    return await query.filter(job_id__isnull=False).order_by(kind.opened).limit(limit)


async def _reconcile_row(kind: _Kind, row: Any, *, queue: JobQueue, now: datetime) -> str:
    opened = getattr(row, kind.opened)
    if opened is not None and now - opened > DEADLINE:
        await fail_open_job(kind.model, row.id, code=TIMEOUT, message=TIMEOUT_MESSAGE, now=now)
        return "failed"
    state = await queue.job_state(row.job_id, queue=ML_QUEUE)
    if state not in (UNKNOWN, FINISHED):
        return "waiting"
    attempt = attempt_of(row.job_id)
    if attempt >= MAX_ATTEMPTS:
        await fail_open_job(kind.model, row.id, code=JOB_LOST, message=JOB_LOST_MESSAGE, now=now)
        return "failed"
    job_id = job_id_for(kind.function, row.id, attempt + 1)
    await queue.enqueue(kind.function, job_id=job_id, queue=ML_QUEUE, **{kind.arg: str(row.id)})
    await kind.model.filter(id=row.id, job_id=row.job_id).update(job_id=job_id)
    logger.info("job %s %s by the queue: queued again as %s", row.job_id, "unknown" if state == UNKNOWN else "given up", job_id)
    return "requeued"


async def fail_open_job(model: type[Model], record_id: UUID, *, code: str, message: str, now: datetime) -> None:
    """Fail an open row of any kind with the reason the officer sees (a finished row is left as it is)."""
    if model is IdCardRead:
        await fail_id_card_read(read_id=record_id, code=code, message=message, now=now)
    elif model is FaceVerification:
        await fail_face_verification(verification_id=record_id, code=code, message=message, now=now)
    elif model is FaceEnrolment:
        await fail_enrolment(enrolment_id=record_id, code=code, message=message, now=now)
    else:
        await record_liveness_result(liveness_id=record_id, passed=False, code=code, reason=message, details={}, model_ms=None, now=now)
