"""The cheap outbox: rows left pending without a job id (Redis was down at enqueue) are queued again."""

from __future__ import annotations

from datetime import datetime, timedelta

from app.models import FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck
from app.models.identity import JobStatus, LivenessStatus
from app.services.identity_checks.common import enqueue_after_commit
from app.services.identity_checks.faces import ENROL_JOB, VERIFY_JOB
from app.services.identity_checks.idcard import READ_JOB
from app.services.identity_checks.liveness import LIVENESS_JOB
from app.services.jobs import JobQueue

STALE_AFTER = timedelta(seconds=30)


async def requeue_unqueued(*, queue: JobQueue, now: datetime, stale_after: timedelta = STALE_AFTER, limit: int = 100) -> int:
    """Enqueue pending rows that never got a job id; returns how many were queued."""
    before = now - stale_after
    queued = 0
    plans = (
        (IdCardRead, IdCardRead.filter(status=JobStatus.PENDING, job_id=None, created_at__lt=before), READ_JOB, "read_id"),
        (FaceVerification, FaceVerification.filter(status=JobStatus.PENDING, job_id=None, created_at__lt=before), VERIFY_JOB, "verification_id"),
        (FaceEnrolment, FaceEnrolment.filter(status=JobStatus.PENDING, job_id=None, created_at__lt=before), ENROL_JOB, "enrolment_id"),
        (LivenessCheck, LivenessCheck.filter(status=LivenessStatus.PENDING, job_id=None, frames_id__isnull=False, submitted_at__lt=before),
         LIVENESS_JOB, "liveness_id"),
    )
    for model, query, function, arg in plans:
        for record_id in await query.limit(limit).values_list("id", flat=True):
            if await enqueue_after_commit(queue, model, record_id, function, arg) is not None:
                queued += 1
    return queued
