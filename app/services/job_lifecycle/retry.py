"""重试: the officer runs a failed job again, the same way for every kind.

Only a failure of the service (timeout, lost job, an internal error, a dead outbox message) can be
retried; a failure of the input (an unreadable photo, a face that does not match) needs a new
capture, and a finished job is refused. The row is reopened in place (failed → pending under a
new round's job id, audited, in one compare-and-set) and its job queued once: a second click finds
it open again and queues nothing. The policy action is the one that started the job.
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any
from uuid import UUID

from app.domain.error_codes import CommonCode, IdentityCode
from app.domain.errors import Conflict, NotFound
from app.models import FaceVerification, OutboxMessage
from app.models.identity import FacePurpose, JobStatus
from app.services.actor import Actor
from app.services.contracts import contract_in_scope
from app.services.identity_checks import get_enrolment, get_face_verification, get_id_card_read, get_liveness
from app.services.job_lifecycle.kinds import DONE, FAILED, KINDS, LIVENESS, LOGIN_FACE, OPEN, RETRYABLE, OutboxSync, QueuedRows
from app.services.jobs import JobQueue
from app.services.permissions import require

logger = logging.getLogger(__name__)

NOT_RETRYABLE = "只有因服务中断、超时或内部错误而失败的任务可以重试；照片或资料本身的问题请重新拍摄或提交"
ALREADY_DONE = "该任务已完成，无需重试"


async def retry_job(*, actor: Actor, kind: str, record_id: UUID, queue: JobQueue, now: datetime, session_id: UUID | None = None) -> Any:
    """Reopen a failed job of `kind` and queue it; returns the row (open again, or already open: nothing queued twice)."""
    job_kind = KINDS.get(kind)
    if job_kind is None:
        raise NotFound("任务不存在", field="kind")
    require(actor, job_kind.action)
    row = await _load(job_kind, actor, record_id, session_id)
    place = job_kind.place(row)
    if place == OPEN:
        return row  # retried a moment ago (a double click) or still running
    if place == DONE:
        raise Conflict(ALREADY_DONE, code=CommonCode.ALREADY_DONE)
    if place != FAILED or not job_kind.retryable(row):
        raise Conflict(NOT_RETRYABLE, code=IdentityCode.NOT_RETRYABLE)
    await reopen_and_enqueue(job_kind, row, actor=actor, queue=queue, now=now)
    if job_kind is LIVENESS:  # the login check is one burst: its face match, failed for the same cause, goes again too
        for match in await FaceVerification.filter(liveness_id=row.id, purpose=FacePurpose.OFFICER_LOGIN, status=JobStatus.FAILED,
                                                   error_code__in=list(RETRYABLE)):
            await reopen_and_enqueue(LOGIN_FACE, match, actor=actor, queue=queue, now=now)
    await row.refresh_from_db()
    return row


async def reopen_and_enqueue(kind: QueuedRows | OutboxSync, row: Any, *, actor: Actor, queue: JobQueue, now: datetime) -> str | None:
    """Reopen (compare-and-set, audited), then queue after the commit. A queue that is down leaves the row
    pending under its new job id: the reconciler queues it again within a minute."""
    job_id = await kind.reopen(row, actor=actor, now=now)
    if job_id is None:
        return None
    try:
        await kind.enqueue(job_id, row.id, queue=queue)
    except Exception as exc:  # Redis down: the row is the outbox
        logger.warning("enqueue %s failed (%s): left pending for the reconciler", job_id, type(exc).__name__)
    return job_id


async def _load(kind: QueuedRows | OutboxSync, actor: Actor, record_id: UUID, session_id: UUID | None) -> Any:
    """The row as the actor may see it (the same scope as the page that shows it); NotFound otherwise."""
    if kind.name == "ocr":
        return await get_id_card_read(actor=actor, read_id=record_id)
    if kind.name in ("face", "login_face"):
        row = await get_face_verification(actor=actor, verification_id=record_id)
        login = row.purpose == FacePurpose.OFFICER_LOGIN
        if login != (kind.name == "login_face") or (login and row.officer_id != actor.id):
            raise NotFound("人脸核验记录不存在", field="verification_id")
        return row
    if kind.name == "liveness":
        return await get_liveness(actor=actor, liveness_id=record_id, session_id=session_id)
    if kind.name == "enrolment":
        return await get_enrolment(actor=actor, enrolment_id=record_id)
    if kind.name == "contract":
        return await contract_in_scope(actor, record_id)
    if kind.name == "import":
        from app.services.portfolio_import.runs import run_in_scope

        return await run_in_scope(actor, record_id)
    message = await OutboxMessage.get_or_none(id=record_id)
    if message is None:
        raise NotFound("消息不存在", field="message_id")
    return message
