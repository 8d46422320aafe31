"""Face verifications (officer login, customer match, signing) and officer face enrolment.

Embeddings are biometric data: they are stored only encrypted on the officer
(Officer.face_embeddings_enc, one AES-GCM blob of float32 embeddings bound to the officer's
id) and never logged. The first enrolment is trust-on-first-use: it is offered right after a
password login to an officer who has none, and is audited. An admin can reset it
(`reset_officer_face`), after which the officer enrols again at the next login.
"""

from __future__ import annotations

import itertools
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.error_codes import CommonCode, IdentityCode
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.face import DEFAULT_THRESHOLD, MODEL, PACKED_SIZE, cosine_distance, pack_embedding, unpack_embedding
from app.models import Customer, FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck, Officer
from app.domain.vocabulary import DocumentKind
from app.models.identity import FacePurpose, FaceReference, JobStatus
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.permissions import require
from app.services.documents import MediaStore, store_document
from app.services.identity_checks.common import (
    FRAMES_CONTENT_TYPE,
    MAX_IMAGE_BYTES,
    OPEN,
    check_upload,
    enqueue_after_commit,
    officer_of,
    sniff_content_type,
)
from app.services.identity_checks.idcard import latest_portrait_read
from app.services.jobs import JobQueue

VERIFY_JOB = "verify_face"
ENROL_JOB = "enrol_face"
MIN_CAPTURES = 3
MAX_CAPTURES = 10


def _embeddings_context(officer_id: UUID) -> bytes:
    return b"face_embeddings:" + str(officer_id).encode()


def seal_embeddings(vault: Vault, officer_id: UUID, embeddings: Sequence[Sequence[float]]) -> bytes:
    return vault.encrypt(b"".join(pack_embedding(e) for e in embeddings), context=_embeddings_context(officer_id))


def enrolled_embeddings(vault: Vault, officer_id: UUID, blob: bytes) -> list[tuple[float, ...]]:
    data = vault.decrypt_bytes(blob, context=_embeddings_context(officer_id))
    return [unpack_embedding(data[i : i + PACKED_SIZE]) for i in range(0, len(data), PACKED_SIZE)]


# --- starting a verification ------------------------------------------------------------------


async def start_face_verification(
    *,
    actor: Actor,
    media: MediaStore,
    queue: JobQueue,
    purpose: str,
    probe: bytes,
    threshold: float = DEFAULT_THRESHOLD,
    customer_id: UUID | None = None,
    id_card_read_id: UUID | None = None,
    liveness_id: UUID | None = None,
    max_bytes: int = MAX_IMAGE_BYTES,
) -> FaceVerification:
    """Store the live capture of a customer and queue `verify_face`.

    Customers (customer_match, contract_sign) are compared with the portrait of their ID-card
    read (the one given, else their newest front read with a portrait). An officer's login is
    not started here: its face is taken from the liveness frames (`start_login_face_match`), so
    a still photo can never stand in for it.
    """
    requested_by = officer_of(actor)
    purpose = FacePurpose(purpose)
    if purpose == FacePurpose.OFFICER_LOGIN:
        raise ValidationError("登录人脸比对只使用活体检测画面", code=IdentityCode.LIVE_FRAMES_ONLY, field="probe")
    check_upload(probe, max_bytes=max_bytes, field="probe", what="现场照片")
    customer = await Customer.get_or_none(id=customer_id) if customer_id else None
    if customer is None or not actor.in_branch(customer.branch_id):
        raise NotFound("客户不存在", field="customer_id")
    if id_card_read_id is not None:
        read = await IdCardRead.get_or_none(id=id_card_read_id, customer_id=customer.id)
        if read is None or read.status != JobStatus.DONE or read.portrait_id is None:
            raise ValidationError("该身份证识别记录没有可用的人像", code=IdentityCode.NO_PORTRAIT, field="id_card_read_id")
    else:
        read = await latest_portrait_read(customer_id=customer.id)
        if read is None:
            raise ValidationError("该客户还没有可用的身份证人像，请先拍摄身份证正面", code=IdentityCode.NO_PORTRAIT)
    async with in_transaction():
        doc = await store_document(
            actor=actor, media=media, data=probe, kind=DocumentKind.FACE_CAPTURE, content_type=sniff_content_type(probe),
            title="现场人脸照片", customer_id=customer_id, max_bytes=max_bytes,
        )
        verification = await FaceVerification.create(
            purpose=purpose, customer_id=customer_id, requested_by_id=requested_by, probe=doc, reference=FaceReference.PORTRAIT,
            reference_portrait_id=read.portrait_id, id_card_read_id=read.id, liveness_id=liveness_id, threshold=threshold, model=MODEL,
        )
        await audit.record(actor, "face_verification.start", "face_verification", verification.id, after={"purpose": purpose.value})
    verification.job_id = await enqueue_after_commit(queue, FaceVerification, verification.id, VERIFY_JOB, "verification_id")
    return verification


async def start_login_face_match(*, actor: Actor, queue: JobQueue, liveness: LivenessCheck, threshold: float = DEFAULT_THRESHOLD) -> FaceVerification:
    """The officer's login face match on the liveness burst itself (the same stored frames, the same nonce-bound check)."""
    officer_id = officer_of(actor)
    if liveness.officer_id != officer_id or liveness.session_id is None or liveness.frames_id is None:
        raise Forbidden("只能核验本人的人脸", code=CommonCode.FORBIDDEN)
    officer = await Officer.get(id=officer_id)
    if officer.face_embeddings_enc is None:
        raise ValidationError("尚未录入人脸，请先完成人脸录入", code=IdentityCode.NOT_ENROLLED)
    async with in_transaction():
        verification = await FaceVerification.create(
            purpose=FacePurpose.OFFICER_LOGIN, officer_id=officer_id, requested_by_id=officer_id, probe_id=liveness.frames_id,
            reference=FaceReference.ENROLMENT, liveness_id=liveness.id, threshold=threshold, model=MODEL,
        )
        await audit.record(actor, "face_verification.start", "face_verification", verification.id, after={"purpose": FacePurpose.OFFICER_LOGIN.value})
    verification.job_id = await enqueue_after_commit(queue, FaceVerification, verification.id, VERIFY_JOB, "verification_id")
    return verification


async def get_face_verification(*, actor: Actor, verification_id: UUID) -> FaceVerification:
    verification = await FaceVerification.get_or_none(id=verification_id).prefetch_related("customer")
    visible = verification is not None and (
        verification.requested_by_id == actor.id
        or verification.officer_id == actor.id
        or (verification.customer is not None and actor.in_branch(verification.customer.branch_id))
    )
    if not visible:
        raise NotFound("人脸核验记录不存在", field="verification_id")
    return verification


# --- the worker's side ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class FaceJob:
    verification_id: UUID
    probe_sha256: str
    reference: str
    portrait_sha256: str | None
    officer_id: UUID | None
    embeddings_enc: bytes | None
    threshold: float
    probe_is_burst: bool = False  # officer login: the probe is the liveness frames file


async def claim_face_verification(*, verification_id: UUID) -> FaceJob | None:
    await FaceVerification.filter(id=verification_id, status=JobStatus.PENDING).update(status=JobStatus.RUNNING)
    v = await FaceVerification.get_or_none(id=verification_id).prefetch_related("probe", "reference_portrait", "officer")
    if v is None or v.status not in OPEN:
        return None
    return FaceJob(
        v.id, v.probe.sha256, v.reference.value,
        v.reference_portrait.sha256 if v.reference_portrait is not None else None,
        v.officer_id, v.officer.face_embeddings_enc if v.officer is not None else None, v.threshold,
        v.probe.content_type == FRAMES_CONTENT_TYPE,
    )


async def record_face_result(
    *, verification_id: UUID, distance: float, verified: bool, model: str, model_ms: int, now: datetime,
) -> FaceVerification:
    async with in_transaction():
        if await FaceVerification.filter(id=verification_id, status__in=OPEN).update(
            status=JobStatus.DONE, distance=distance, verified=verified, model=model, model_ms=model_ms, finished_at=now,
        ):
            await audit.record(SYSTEM, "face_verification.done", "face_verification", verification_id, after={"verified": verified, "distance": round(distance, 4)})
    return await FaceVerification.get(id=verification_id)


async def fail_face_verification(*, verification_id: UUID, code: str, message: str, now: datetime, model_ms: int | None = None) -> FaceVerification:
    async with in_transaction():
        if await FaceVerification.filter(id=verification_id, status__in=OPEN).update(
            status=JobStatus.FAILED, verified=None, error_code=code[:32], error=message[:256], finished_at=now, model_ms=model_ms,
        ):
            await audit.record(SYSTEM, "face_verification.failed", "face_verification", verification_id, after={"code": code})
    return await FaceVerification.get(id=verification_id)


# --- enrolment --------------------------------------------------------------------------------


async def enrol_officer_face(
    *, actor: Actor, media: MediaStore, queue: JobQueue, captures: Sequence[bytes], min_captures: int = MIN_CAPTURES,
    max_bytes: int = MAX_IMAGE_BYTES,
) -> FaceEnrolment:
    """Store several captures of the acting officer's face and queue `enrol_face` (trust on first use)."""
    officer_id = officer_of(actor)
    if not min_captures <= len(captures) <= MAX_CAPTURES:
        raise ValidationError(f"请拍摄 {min_captures} 至 {MAX_CAPTURES} 张人脸照片（当前 {len(captures)} 张）", code=IdentityCode.CAPTURE_COUNT, field="captures")
    for index, data in enumerate(captures):
        check_upload(data, max_bytes=max_bytes, field=f"captures.{index}", what=f"第 {index + 1} 张照片")
    async with in_transaction():
        officer = await Officer.select_for_update().get(id=officer_id)
        if officer.face_embeddings_enc is not None:
            raise Conflict("已录入人脸；如需重新录入，请联系系统管理员重置", code=IdentityCode.ALREADY_ENROLLED)
        if await FaceEnrolment.filter(officer_id=officer_id, status__in=OPEN, reset_at=None).exists():
            raise Conflict("人脸录入正在处理中，请稍候", code=IdentityCode.ENROLMENT_RUNNING)
        docs = []
        for index, data in enumerate(captures):
            doc = await store_document(actor=actor, media=media, data=data, kind=DocumentKind.FACE_CAPTURE,
                                       content_type=sniff_content_type(data), title=f"人脸录入 {index + 1}", max_bytes=max_bytes)
            docs.append(str(doc.id))
        enrolment = await FaceEnrolment.create(officer_id=officer_id, captures=docs)
        await audit.record(actor, "officer.face_enrol_start", "face_enrolment", enrolment.id, after={"captures": len(docs)})
    enrolment.job_id = await enqueue_after_commit(queue, FaceEnrolment, enrolment.id, ENROL_JOB, "enrolment_id")
    return enrolment


@dataclass(frozen=True, slots=True)
class EnrolmentJob:
    enrolment_id: UUID
    officer_id: UUID
    capture_sha256s: list[str]


async def claim_enrolment(*, enrolment_id: UUID) -> EnrolmentJob | None:
    from app.models import Document

    await FaceEnrolment.filter(id=enrolment_id, status=JobStatus.PENDING).update(status=JobStatus.RUNNING)
    enrolment = await FaceEnrolment.get_or_none(id=enrolment_id)
    if enrolment is None or enrolment.status not in OPEN:
        return None
    ids = [UUID(i) for i in enrolment.captures]
    by_id = {d.id: d.sha256 for d in await Document.filter(id__in=ids)}
    return EnrolmentJob(enrolment.id, enrolment.officer_id, [by_id[i] for i in ids])


async def fail_enrolment(*, enrolment_id: UUID, code: str, message: str, now: datetime, model_ms: int | None = None) -> FaceEnrolment:
    async with in_transaction():
        if await FaceEnrolment.filter(id=enrolment_id, status__in=OPEN).update(
            status=JobStatus.FAILED, error_code=code[:32], error=message[:256], finished_at=now, model_ms=model_ms,
        ):
            await audit.record(SYSTEM, "officer.face_enrol_failed", "face_enrolment", enrolment_id, after={"code": code})
    return await FaceEnrolment.get(id=enrolment_id)


async def record_enrolment(
    *, enrolment_id: UUID, embeddings: Sequence[Sequence[float]], vault: Vault, threshold: float, model_ms: int, now: datetime,
) -> FaceEnrolment:
    """Seal the embeddings on the officer, once. Captures that are not one person fail the enrolment."""
    enrolment = await FaceEnrolment.get(id=enrolment_id)
    worst = max((cosine_distance(a, b) for a, b in itertools.combinations(embeddings, 2)), default=0.0)
    if worst > threshold:
        return await fail_enrolment(enrolment_id=enrolment_id, code="NOT_SAME_PERSON", now=now, model_ms=model_ms,
                                    message="录入的几张照片不像同一个人，请本人正对镜头重新录入")
    async with in_transaction():
        if not await FaceEnrolment.filter(id=enrolment_id, status__in=OPEN).update(status=JobStatus.DONE, finished_at=now, model_ms=model_ms):
            return await FaceEnrolment.get(id=enrolment_id)
        sealed = await Officer.filter(id=enrolment.officer_id, face_embeddings_enc__isnull=True).update(
            face_embeddings_enc=seal_embeddings(vault, enrolment.officer_id, embeddings)
        )
        if not sealed:  # another enrolment finished first: keep that one
            await FaceEnrolment.filter(id=enrolment_id).update(status=JobStatus.FAILED, error_code="ALREADY_ENROLLED",
                                                               error="已录入人脸；如需重新录入，请联系系统管理员重置")
        else:
            await audit.record(SYSTEM, "officer.face_enrol", "officer", enrolment.officer_id,
                               after={"enrolmentId": str(enrolment_id), "captures": len(embeddings)})
    return await FaceEnrolment.get(id=enrolment_id)


async def own_officer(actor: Actor) -> Officer:
    """The signed-in officer's own row read afresh (the face pages ask whether an enrolment is on file now)."""
    officer = await Officer.get_or_none(id=actor.id) if actor.is_officer else None
    if officer is None:
        raise NotFound("员工不存在")
    return officer


async def get_enrolment(*, actor: Actor, enrolment_id: UUID) -> FaceEnrolment:
    enrolment = await FaceEnrolment.get_or_none(id=enrolment_id)
    if enrolment is None or enrolment.officer_id != actor.id:
        raise NotFound("人脸录入记录不存在", field="enrolment_id")
    return enrolment


async def reset_officer_face(*, actor: Actor, officer_id: UUID, now: datetime) -> None:
    """Admins only: forget an officer's face so that they enrol again at their next login."""
    require(actor, Action.FACE_RESET)
    async with in_transaction():
        officer = await Officer.get_or_none(id=officer_id)
        if officer is None:
            raise NotFound("工作人员不存在", field="officer_id")
        await Officer.filter(id=officer_id).update(face_embeddings_enc=None)
        await FaceEnrolment.filter(officer_id=officer_id, reset_at=None).update(reset_at=now, reset_by_id=actor.id if actor.is_officer else None)
        await audit.record(actor, "officer.face_reset", "officer", officer_id, after={"hadEnrolment": officer.face_embeddings_enc is not None})


# --- signing sees verifications through this --------------------------------------------------


class RecordedFaceChecks:
    """The `FaceChecks` that contract signing asks: a passed, recent live match of that customer."""

    def __init__(self, *, now: Callable[[], datetime], fresh_minutes: int = 15) -> None:
        self._now = now
        self._fresh = timedelta(minutes=fresh_minutes)

    async def passed(self, *, verification_id: UUID, customer_id: UUID) -> bool:
        v = await FaceVerification.get_or_none(id=verification_id)
        return (
            v is not None
            and v.customer_id == customer_id
            and v.purpose in (FacePurpose.CUSTOMER_MATCH, FacePurpose.CONTRACT_SIGN)
            and v.status == JobStatus.DONE
            and v.verified is True
            and v.finished_at is not None
            and self._now() - v.finished_at <= self._fresh
        )

