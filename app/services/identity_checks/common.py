"""Shared pieces of the identity checks: limits, upload checks, the frames container, enqueueing."""

from __future__ import annotations

import logging
import struct
from collections.abc import Sequence
from uuid import UUID

from tortoise.models import Model

from app.domain import image_format
from app.domain.error_codes import CommonCode, IdentityCode
from app.domain.errors import DomainError, ValidationError
from app.models.identity import JobStatus
from app.services.actor import Actor
from app.services.jobs import ML_QUEUE, JobQueue

logger = logging.getLogger(__name__)

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_FRAME_BYTES = 2 * 1024 * 1024
MAX_FRAMES = 60
FRAMES_CONTENT_TYPE = "application/x-cunxin-frames"
TERMINAL = (JobStatus.DONE, JobStatus.FAILED)
OPEN = (JobStatus.PENDING, JobStatus.RUNNING)

_FRAMES_MAGIC = b"CXFR1\n"


class IdentityCheckError(DomainError):
    code = CommonCode.INVALID


def sniff_content_type(data: bytes) -> str:
    """The image type from the first bytes (never from the client's word); octet-stream when unknown."""
    name = image_format.sniff(data)
    return "application/octet-stream" if name is None else f"image/{name}"


def check_upload(data: bytes, *, max_bytes: int, field: str, what: str = "图片") -> None:
    """Refuse an empty or oversize upload, or a known non-photo image format (HDR, TIFF, BMP...), before anything is stored."""
    if not data:
        raise ValidationError(f"{what}为空，请重新拍摄或上传", code=IdentityCode.EMPTY_IMAGE, field=field)
    if len(data) > max_bytes:
        limit = f"{max_bytes / (1024 * 1024):g} MB"
        raise ValidationError(f"{what}超过 {limit}，请压缩后重新上传", code=IdentityCode.IMAGE_TOO_LARGE, field=field)
    refusal = image_format.refusal(data)
    if refusal is not None:
        raise ValidationError(refusal, code=image_format.UNSUPPORTED_IMAGE, field=field)


def pack_frames(frames: Sequence[bytes]) -> bytes:
    """Several camera frames in one stored file: a header line, the count, then length-prefixed frames."""
    out = [_FRAMES_MAGIC, struct.pack("<H", len(frames))]
    for frame in frames:
        out.append(struct.pack("<I", len(frame)))
        out.append(frame)
    return b"".join(out)


def unpack_frames(blob: bytes) -> list[bytes]:
    if not blob.startswith(_FRAMES_MAGIC):
        raise ValueError("not a frames file")
    offset = len(_FRAMES_MAGIC)
    (count,) = struct.unpack_from("<H", blob, offset)
    offset += 2
    frames = []
    for _ in range(count):
        (size,) = struct.unpack_from("<I", blob, offset)
        offset += 4
        frame = blob[offset : offset + size]
        if len(frame) != size:
            raise ValueError("truncated frames file")
        frames.append(frame)
        offset += size
    if offset != len(blob):
        raise ValueError("trailing bytes in frames file")
    return frames


def officer_of(actor: Actor) -> UUID:
    if not actor.is_officer or actor.id is None:
        raise IdentityCheckError("只有客户经理可以发起身份核验", code=CommonCode.FORBIDDEN)
    return actor.id


async def enqueue_after_commit(queue: JobQueue, model: type[Model], record_id: UUID, function: str, arg: str) -> str | None:
    """Enqueue the record's job (the record is committed). Returns the job id, or None when Redis failed.

    arq answers False for a job id it already holds (queued, running or its result kept): the
    job exists, so the record keeps that id. When Redis is unreachable the record stays pending
    without a job id and the reconciler (app/services/job_lifecycle/reconcile.py) queues it later.
    """
    job_id = f"{function}:{record_id}"
    try:
        fresh = await queue.enqueue(function, job_id=job_id, queue=ML_QUEUE, **{arg: str(record_id)})
    except Exception as exc:  # Redis down: the row is the outbox, a cron retries
        logger.warning("enqueue %s failed (%s): left pending for the requeue cron", job_id, type(exc).__name__)
        return None
    if not fresh:
        logger.info("enqueue %s: arq already holds this job id", job_id)
    await model.filter(id=record_id).update(job_id=job_id)
    return job_id

