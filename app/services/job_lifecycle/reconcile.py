"""Every job row ends done or failed: one reconciler for every kind (app/services/job_lifecycle/kinds.py).

Each worker runs it for the kinds of its queue, at start and every minute (workers/ml.py: OCR,
face, liveness, enrolment; the default worker: contract PDFs and provincial sync). For each open
row:
- open longer than the kind's deadline since it was queued (or retried): failed with TIMEOUT,
  whatever the queue says;
- never queued (Redis was down when the row was made) and older than `STALE_AFTER`: queued;
- its job waiting or running in the queue: left alone;
- its job unknown to the queue (Redis restarted without persistence, the result expired) or
  finished without finishing the row (arq gave up after crashes, a timeout; for sync: an attempt
  in flight past `SEND_DEADLINE`): queued again as the next attempt, up to the kind's
  `max_attempts` in the round, then failed with JOB_LOST.
Failing is a compare-and-set on the open row, so a job that finishes meanwhile is never overwritten.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from app.services import metrics
from app.services.job_lifecycle.kinds import SEND_DEADLINE, OpenJob, OutboxSync, QueuedRows
from app.services.jobs import FINISHED, RUNNING, UNKNOWN, JobQueue

logger = logging.getLogger(__name__)

TIMEOUT = "TIMEOUT"
JOB_LOST = "JOB_LOST"
STALE_AFTER = timedelta(seconds=30)  # a row younger than this without a job id is probably being queued right now


@dataclass(frozen=True, slots=True)
class Reconciled:
    queued: int = 0  # rows without a job id, queued
    requeued: int = 0  # rows whose job was lost, queued again (sync: freed for the next attempt)
    failed: int = 0  # rows failed with TIMEOUT or JOB_LOST


async def reconcile_jobs(*, kinds: Iterable[QueuedRows | OutboxSync], queue: JobQueue, now: datetime, limit: int = 200) -> Reconciled:
    """One pass over the open rows of the given kinds (see the module docstring)."""
    counts = {"queued": 0, "requeued": 0, "failed": 0, "waiting": 0}
    for kind in kinds:
        for job in await kind.open_jobs(limit):
            counts[await _reconcile(kind, job, queue=queue, now=now)] += 1
    done = Reconciled(counts["queued"], counts["requeued"], counts["failed"])
    if done != Reconciled():
        logger.info("reconciled jobs: %s queued, %s requeued, %s failed", done.queued, done.requeued, done.failed)
    return done


async def _fail(kind: QueuedRows | OutboxSync, job: OpenJob, code: str, message: str, now: datetime) -> None:
    """Fail the row; counted in `cunxin_job_failures_total` under the job's function, like a job that failed itself."""
    if await kind.fail(job, code=code, message=message, now=now):
        metrics.JOB_FAILURES.labels(kind.function if isinstance(kind, QueuedRows) else "send_outbox", code).inc()


async def _state(kind: QueuedRows | OutboxSync, job: OpenJob, queue: JobQueue, now: datetime) -> str:
    if isinstance(kind, OutboxSync):
        return RUNNING if job.since is not None and now - job.since <= SEND_DEADLINE else UNKNOWN
    return await queue.job_state(job.job_id, queue=kind.queue)


async def _reconcile(kind: QueuedRows | OutboxSync, job: OpenJob, *, queue: JobQueue, now: datetime) -> str:
    if kind.deadline is not None and job.since is not None and now - job.since > kind.deadline:
        await _fail(kind, job, TIMEOUT, kind.timeout_message(), now)
        logger.info("%s %s open past its deadline: failed", kind.name, job.record_id)
        return "failed"
    if job.job_id is None:
        if job.since is not None and now - job.since < STALE_AFTER:
            return "waiting"
        return "queued" if await kind.requeue(job, queue=queue) else "waiting"
    state = await _state(kind, job, queue, now)
    if state not in (UNKNOWN, FINISHED):
        return "waiting"
    if job.attempt >= kind.max_attempts:
        await _fail(kind, job, JOB_LOST, kind.lost_message(kind.max_attempts), now)
        logger.info("%s %s: attempt %s lost too, failed", kind.name, job.job_id, job.attempt)
        return "failed"
    again = await kind.requeue(job, queue=queue)
    if again is None:
        return "waiting"
    logger.info("job %s %s by the queue: queued again as %s", job.job_id, "unknown" if state == UNKNOWN else "given up", again)
    return "requeued"
