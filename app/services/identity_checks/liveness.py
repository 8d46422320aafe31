"""Liveness checks and the officer's face login (the second factor after the password).

A check is a random challenge (app.domain.liveness) bound to a server nonce and, for a login,
to the officer's session. The page sends a burst of camera frames before the challenge expires.
The worker judges the frames, another job compares several of the SAME frames with the
officer's enrolment (workers/engines/face_login.py), and the session becomes usable once both have passed
(`face_login_state` sets OfficerSession.face_verified_at).

What liveness stops and what it does not: see app.domain.liveness and the README.
"""

from __future__ import annotations

import json
import random
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.error_codes import IdentityCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.liveness import Challenge
from app.models import FaceVerification, LivenessCheck, OfficerSession
from app.domain.vocabulary import DocumentKind
from app.models.identity import FacePurpose, JobStatus, LivenessStatus
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.documents import MediaStore, store_document
from app.services.identity_checks.common import (
    FRAMES_CONTENT_TYPE,
    MAX_FRAME_BYTES,
    MAX_FRAMES,
    check_upload,
    enqueue_after_commit,
    officer_of,
    pack_frames,
)
from app.services.identity_checks.faces import start_login_face_match
from app.services.jobs import JobQueue

LIVENESS_JOB = "check_liveness"
DEFAULT_TTL = timedelta(minutes=2)
EXPIRED_MESSAGE = "活体检测已超时（需在 2 分钟内完成），请重新开始"


def challenge_of(check: LivenessCheck) -> Challenge:
    return Challenge.from_json(json.dumps(check.challenge))


async def start_liveness(
    *,
    actor: Actor,
    now: datetime,
    rng: random.Random,
    ttl: timedelta = DEFAULT_TTL,
    session_id: UUID | None = None,
    customer_id: UUID | None = None,
) -> LivenessCheck:
    """A fresh random challenge bound to a new server nonce (and to the login session, if any).

    Pass `random.SystemRandom()` in production, a seeded Random in tests.
    """
    officer_id = officer_of(actor)
    nonce = secrets.token_urlsafe(24)
    challenge = Challenge.create(rng, nonce)
    async with in_transaction():
        check = await LivenessCheck.create(
            officer_id=officer_id if customer_id is None else None, customer_id=customer_id, session_id=session_id,
            nonce=nonce, challenge=json.loads(challenge.to_json()), expires_at=now + ttl,
        )
        await audit.record(actor, "liveness.start", "liveness_check", check.id, after={"steps": len(challenge.actions)})
    return check


async def get_liveness(*, actor: Actor, liveness_id: UUID, session_id: UUID | None = None) -> LivenessCheck:
    check = await LivenessCheck.get_or_none(id=liveness_id)
    if check is None or (check.officer_id is not None and check.officer_id != actor.id) or (check.session_id is not None and check.session_id != session_id):
        raise NotFound("活体检测记录不存在", field="liveness_id")
    return check


async def submit_liveness_frames(
    *,
    actor: Actor,
    media: MediaStore,
    queue: JobQueue,
    liveness_id: UUID,
    nonce: str,
    frames: Sequence[bytes],
    now: datetime,
    session_id: UUID | None = None,
    max_frames: int = MAX_FRAMES,
    max_frame_bytes: int = MAX_FRAME_BYTES,
) -> LivenessCheck:
    """Store the burst (one file) and queue `check_liveness`. Sizes are checked before storing."""
    check = await get_liveness(actor=actor, liveness_id=liveness_id, session_id=session_id)
    if not challenge_of(check).nonce_matches(nonce):
        raise ValidationError("活体检测随机码不匹配，请重新开始", code=IdentityCode.BAD_NONCE, field="nonce")
    if check.status != LivenessStatus.PENDING or check.frames_id is not None:
        raise Conflict("该次活体检测已提交，请重新开始", code=IdentityCode.ALREADY_SUBMITTED)
    if now > check.expires_at:
        async with in_transaction():
            if await LivenessCheck.filter(id=check.id, status=LivenessStatus.PENDING).update(
                status=LivenessStatus.EXPIRED, reason_code="EXPIRED", reason=EXPIRED_MESSAGE, finished_at=now
            ):
                await audit.record(actor, "liveness.expired", "liveness_check", check.id)
        raise ValidationError(EXPIRED_MESSAGE, code=IdentityCode.EXPIRED)
    if not frames:
        raise ValidationError("没有收到画面，请按提示完成动作后再提交", code=IdentityCode.NO_FRAMES, field="frames")
    if len(frames) > max_frames:
        raise ValidationError(f"画面帧数过多（{len(frames)} 帧，最多 {max_frames} 帧）", code=IdentityCode.TOO_MANY_FRAMES, field="frames")
    for index, frame in enumerate(frames):
        check_upload(frame, max_bytes=max_frame_bytes, field=f"frames.{index}", what=f"第 {index + 1} 帧画面")
    blob = pack_frames(frames)
    async with in_transaction():
        doc = await store_document(
            actor=actor, media=media, data=blob, kind=DocumentKind.FACE_CAPTURE, content_type=FRAMES_CONTENT_TYPE,
            title="活体检测画面", customer_id=check.customer_id, max_bytes=len(blob),
        )
        if not await LivenessCheck.filter(id=check.id, status=LivenessStatus.PENDING, frames_id=None).update(
            frames_id=doc.id, frames_count=len(frames), submitted_at=now
        ):
            raise Conflict("该次活体检测已提交，请重新开始", code=IdentityCode.ALREADY_SUBMITTED)
        await audit.record(actor, "liveness.submit", "liveness_check", check.id, after={"frames": len(frames)})
    await enqueue_after_commit(queue, LivenessCheck, check.id, LIVENESS_JOB, "liveness_id")
    return await LivenessCheck.get(id=check.id)


# --- the worker's side ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class LivenessJob:
    liveness_id: UUID
    challenge: Challenge
    frames_sha256: str


async def claim_liveness(*, liveness_id: UUID) -> LivenessJob | None:
    await LivenessCheck.filter(id=liveness_id, status=LivenessStatus.PENDING, frames_id__isnull=False).update(status=LivenessStatus.RUNNING)
    check = await LivenessCheck.get_or_none(id=liveness_id).prefetch_related("frames")
    if check is None or check.status not in (LivenessStatus.PENDING, LivenessStatus.RUNNING) or check.frames is None:
        return None
    return LivenessJob(check.id, challenge_of(check), check.frames.sha256)


async def record_liveness_result(
    *, liveness_id: UUID, passed: bool, code: str, reason: str, details: dict, model_ms: int | None, now: datetime,
) -> LivenessCheck:
    """The verdict, once (a redelivered job leaves the first verdict)."""
    status = LivenessStatus.PASSED if passed else LivenessStatus.FAILED
    async with in_transaction():
        if await LivenessCheck.filter(id=liveness_id, status__in=(LivenessStatus.PENDING, LivenessStatus.RUNNING)).update(
            status=status, reason_code=code[:32], reason=reason[:256], details=details, model_ms=model_ms, finished_at=now,
        ):
            await audit.record(SYSTEM, f"liveness.{status.value}", "liveness_check", liveness_id, after={"code": code})
    return await LivenessCheck.get(id=liveness_id)


# --- officer face login -----------------------------------------------------------------------


async def submit_face_login(
    *,
    actor: Actor,
    session_id: UUID,
    media: MediaStore,
    queue: JobQueue,
    liveness_id: UUID,
    nonce: str,
    frames: Sequence[bytes],
    now: datetime,
    threshold: float,
    max_frames: int = MAX_FRAMES,
    max_frame_bytes: int = MAX_FRAME_BYTES,
) -> LivenessCheck:
    """The login burst, stored once: liveness is judged on it and the face matched with the enrolment
    is taken from the same frames (no separate still: a photo of the officer cannot stand in)."""
    check = await submit_liveness_frames(
        actor=actor, media=media, queue=queue, liveness_id=liveness_id, nonce=nonce, frames=frames, now=now,
        session_id=session_id, max_frames=max_frames, max_frame_bytes=max_frame_bytes,
    )
    await start_login_face_match(actor=actor, queue=queue, liveness=check, threshold=threshold)
    return check


@dataclass(frozen=True, slots=True)
class FaceLoginState:
    status: str  # "capture" (frames not sent), "pending", "passed", "failed"
    message: str
    liveness: LivenessCheck
    verification: FaceVerification | None


async def face_login_state(*, actor: Actor, session_id: UUID, liveness_id: UUID, now: datetime) -> FaceLoginState:
    """Where the login check stands. When liveness and the face match have both passed, the
    session is unlocked (face_verified_at set, audited, once)."""
    check = await get_liveness(actor=actor, liveness_id=liveness_id, session_id=session_id)
    verification = await FaceVerification.filter(  # only a match on this check's own frames counts
        liveness_id=check.id, purpose=FacePurpose.OFFICER_LOGIN, probe_id=check.frames_id
    ).order_by("-created_at").first() if check.frames_id is not None else None
    if check.status == LivenessStatus.PENDING and check.frames_id is None:
        if now > check.expires_at:
            return FaceLoginState("failed", EXPIRED_MESSAGE, check, verification)
        return FaceLoginState("capture", "请按提示完成动作", check, verification)
    if check.status in (LivenessStatus.FAILED, LivenessStatus.EXPIRED):
        return FaceLoginState("failed", f"活体检测未通过：{check.reason}", check, verification)
    if verification is not None and verification.status == JobStatus.FAILED:
        return FaceLoginState("failed", f"人脸比对失败：{verification.error}", check, verification)
    if verification is not None and verification.status == JobStatus.DONE and not verification.verified:
        return FaceLoginState("failed", "人脸与录入的本人照片不一致，请本人重新检测", check, verification)
    if check.status != LivenessStatus.PASSED or verification is None or verification.status != JobStatus.DONE:
        return FaceLoginState("pending", "正在核验，请稍候…", check, verification)
    async with in_transaction():
        if await OfficerSession.filter(id=session_id, face_verified_at=None, revoked_at=None).update(face_verified_at=now):
            await audit.record(actor, "officer.face_login", "officer_session", session_id,
                               after={"livenessId": str(check.id), "verificationId": str(verification.id), "distance": round(verification.distance or 0.0, 4)})
    return FaceLoginState("passed", "人脸识别登录成功", check, verification)
