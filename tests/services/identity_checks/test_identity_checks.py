"""Identity-check services: uploads, enqueue after commit, idempotent results, confirmation, liveness, face login."""

from __future__ import annotations

import random
from datetime import date, timedelta

import pytest
from cryptography.exceptions import InvalidTag

from app.domain import idcard
from app.domain.errors import Conflict, DomainError, Forbidden, ValidationError
from app.models import AuditEvent, Document, FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck, Officer, OfficerSession
from app.models.identity import FacePurpose, FaceReference, JobStatus, LivenessStatus
from app.services.auth import officers as auth
from app.services import identity_checks as checks
from app.services.actor import SYSTEM
from app.services.documents import MediaStore
from app.services.job_lifecycle import kinds
from app.services.job_lifecycle.reconcile import Reconciled, reconcile_jobs
from app.services.jobs import ML_QUEUE
from tests.factories.risk import NOW, actor, make_customer
from tests.fakes import FakeJobQueue

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
NUMBER = idcard.make_number("141023", date(1980, 5, 17), 101)


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


def _detail(number: str = NUMBER, flagged: tuple[str, ...] = ()) -> dict:
    info = idcard.parse(number) if idcard.is_valid(number) else None
    values = {
        "name": "王建国", "sex": info.sex if info else "男", "ethnicity": "汉",
        "birth_date": info.birth_date.isoformat() if info else "1980-05-17", "address": "山西省襄汾县新城镇西街村", "id_number": number,
    }
    fields = {k: {"value": v, "confidence": 0.99, "flags": ["low_confidence"] if k in flagged else []} for k, v in values.items()}
    warnings = [f"出生日期印刷内容与身份证号码（{number}）不一致，请核对"]  # a warning quoting the number
    return {"side": "front", "fields": fields, "id_number_valid": info is not None, "needs_confirmation": list(flagged), "warnings": warnings}


async def _done_read(media, vault, *, number: str = NUMBER, flagged=(), customer=None, portrait: bytes | None = b"\xff\xd8\xffportrait"):
    queue = FakeJobQueue()
    read = await checks.start_id_card_read(actor=await actor(), media=media, queue=queue, data=JPEG, side="front",
                                           customer_id=customer.id if customer else None)
    await checks.claim_id_card_read(read_id=read.id, now=NOW)
    return await checks.record_id_card_result(read_id=read.id, detail=_detail(number, flagged), id_number=number, portrait_jpeg=portrait,
                                              model_ms=321, media=media, vault=vault, now=NOW)


# --- ID-card reads ----------------------------------------------------------------------------


async def test_a_card_photo_is_stored_and_committed_before_its_job_is_queued(demo, media):
    # given a queue that looks, at the moment it is called, at what a fresh query sees
    async def seen(function, kwargs):
        row = await IdCardRead.get(id=kwargs["read_id"])
        return row.status
    queue = FakeJobQueue(on_enqueue=seen)
    # when
    read = await checks.start_id_card_read(actor=await actor(), media=media, queue=queue, data=JPEG, side="front")
    # then
    assert [(j.function, j.job_id, j.queue, j.kwargs, j.seen) for j in queue.jobs] == [
        ("read_id_card", f"read_id_card:{read.id}", ML_QUEUE, {"read_id": str(read.id)}, JobStatus.PENDING)
    ]
    row = await IdCardRead.get(id=read.id).prefetch_related("image")
    assert row.job_id == f"read_id_card:{read.id}" and row.status == JobStatus.PENDING
    assert row.image.content_type == "image/jpeg" and media.get(row.image.sha256) == JPEG


async def test_a_queue_that_is_down_leaves_a_committed_pending_row_that_the_reconciler_queues(demo, media):
    # when Redis is down at upload time
    read = await checks.start_id_card_read(actor=await actor(), media=media, queue=FakeJobQueue(fail=ConnectionError("down")), data=JPEG, side="back")
    # then the row survived the failed enqueue (it was committed first) and waits without a job id
    row = await IdCardRead.get(id=read.id)
    assert (row.status, row.job_id) == (JobStatus.PENDING, None)
    # and the reconciler picks it up once it is stale, not before
    queue = FakeJobQueue()
    ocr = [kinds.OCR]
    assert await reconcile_jobs(kinds=ocr, queue=queue, now=row.created_at + timedelta(seconds=5)) == Reconciled(0, 0, 0)
    assert await reconcile_jobs(kinds=ocr, queue=queue, now=row.created_at + timedelta(seconds=31)) == Reconciled(1, 0, 0)
    assert queue.ids() == [f"read_id_card:{read.id}"]
    assert (await IdCardRead.get(id=read.id)).job_id == f"read_id_card:{read.id}"


@pytest.mark.parametrize(("data", "code", "message"), [
    (b"", "EMPTY_IMAGE", "身份证照片为空，请重新拍摄或上传"),
    (b"\xff\xd8\xff" + b"\x00" * (10 * 1024 * 1024), "IMAGE_TOO_LARGE", "身份证照片超过 10 MB，请压缩后重新上传"),
])
async def test_empty_and_oversize_photos_are_refused_before_anything_is_stored(demo, media, data, code, message):
    queue = FakeJobQueue()
    with pytest.raises(ValidationError) as caught:
        await checks.start_id_card_read(actor=await actor(), media=media, queue=queue, data=data, side="front")
    assert (caught.value.code, caught.value.field, caught.value.message) == (code, "image", message)
    assert not await Document.exists() and not await IdCardRead.exists() and queue.jobs == []
    assert not media.root.exists()


async def test_the_result_is_written_once_and_a_redelivered_job_changes_nothing(demo, media, vault):
    # given a read finished by the worker
    read = await _done_read(media, vault)
    first_portrait = read.portrait_id
    # when the job is delivered again and produces another answer
    assert await checks.claim_id_card_read(read_id=read.id, now=NOW) is None
    again = await checks.record_id_card_result(read_id=read.id, detail=_detail(flagged=("name",)), id_number=NUMBER,
                                               portrait_jpeg=b"\xff\xd8\xffother", model_ms=999, media=media, vault=vault, now=NOW)
    failed = await checks.fail_id_card_read(read_id=read.id, code="BAD_IMAGE", message="x", now=NOW)
    # then the first result stands
    for row in (again, failed):
        assert (row.status, row.model_ms, row.portrait_id, row.error) == (JobStatus.DONE, 321, first_portrait, None)
        assert row.result["needs_confirmation"] == []
    assert await Document.filter(kind="portrait").count() == 1
    assert await AuditEvent.filter(action="id_card_read.done", entity_id=str(read.id)).count() == 1
    # and the number is masked in the JSON, encrypted beside it
    assert read.result["fields"]["id_number"]["value"] == idcard.mask(NUMBER)
    assert read.result["warnings"] == [f"出生日期印刷内容与身份证号码（{idcard.mask(NUMBER)}）不一致，请核对"]
    assert NUMBER not in str(read.result)
    assert vault.decrypt(read.ocr_id_number_enc, context=b"id_number") == NUMBER


async def test_a_failure_keeps_its_reason_and_is_not_overwritten(demo, media, vault):
    read = await checks.start_id_card_read(actor=await actor(), media=media, queue=FakeJobQueue(), data=b"not an image", side="front")
    row = await checks.fail_id_card_read(read_id=read.id, code="BAD_IMAGE", message="无法读取图片（文件损坏、不完整或不是图片），请重新拍摄或上传", now=NOW)
    late = await checks.record_id_card_result(read_id=read.id, detail=_detail(), id_number=NUMBER, portrait_jpeg=None, model_ms=1,
                                              media=media, vault=vault, now=NOW)
    assert (row.status, row.error_code) == (JobStatus.FAILED, "BAD_IMAGE")
    assert (late.status, late.error, late.result) == (JobStatus.FAILED, row.error, None)
    assert (await Document.get(id=read.image_id)).content_type == "application/octet-stream"


# --- confirmation -----------------------------------------------------------------------------


async def test_a_flagged_field_must_be_ticked_or_corrected(demo, media, vault):
    read = await _done_read(media, vault, flagged=("name",))
    officer = await actor()
    with pytest.raises(checks.ConfirmationError) as caught:
        await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, values={"name": "王建国"}, checked=set(), now=NOW)
    assert caught.value.errors == {"name": "姓名需要核对：请对照证件确认（勾选“已核对”）或更正"}
    assert (await IdCardRead.get(id=read.id)).confirmed_at is None
    row = await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, values={"name": "王建国"}, checked={"name"}, now=NOW)
    assert row.confirmed["name"] == "王建国" and row.changed_fields == [] and row.confirmed_by_id == officer.id


async def test_a_number_failing_the_checksum_must_be_corrected_and_the_correction_is_recorded(demo, media, vault):
    # given OCR read a number whose check character is wrong
    wrong = NUMBER[:-1] + ("0" if NUMBER[-1] != "0" else "1")
    read = await _done_read(media, vault, number=wrong, flagged=("id_number",))
    officer = await actor()
    # when the officer leaves it as read: a clear message, nothing confirmed
    with pytest.raises(checks.ConfirmationError) as caught:
        await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, values={}, checked={"id_number"}, now=NOW)
    assert caught.value.errors == {"id_number": "身份证号码校验位不正确，请核对后重新输入"}
    # when the officer types the number from the card
    row = await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, values={"id_number": NUMBER.lower()}, checked=set(), now=NOW)
    # then the change is recorded masked, the number stored encrypted with its lookup hash
    assert row.changed_fields == [{"field": "id_number", "ocr": idcard.mask(wrong), "confirmed": idcard.mask(NUMBER)}]
    assert row.confirmed["id_number"] == idcard.mask(NUMBER) and row.id_number_masked == idcard.mask(NUMBER)
    assert vault.decrypt(row.id_number_enc, context=b"id_number") == NUMBER and row.id_number_hash == vault.lookup_hash(NUMBER)
    event = await AuditEvent.get(action="id_card_read.confirm", entity_id=str(read.id))
    assert event.after == {"changed": ["id_number"], "flagged": ["id_number"]} and NUMBER not in str(event.after)
    with pytest.raises(Conflict):
        await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, values={}, checked=set(), now=NOW)


async def test_corrections_are_checked_against_each_other_and_the_customer_file(demo, media, vault):
    customer = await make_customer(vault, sequence=101)
    read = await _done_read(media, vault, customer=customer)
    officer = await actor()
    other = idcard.make_number("141023", date(1980, 5, 17), 103)
    with pytest.raises(checks.ConfirmationError) as caught:
        await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, checked=set(), now=NOW,
                                     values={"sex": "女", "birth_date": "1981-05-17", "name": " "})
    assert caught.value.errors == {"sex": "性别与身份证号码不一致", "birth_date": "出生日期与身份证号码不一致"}
    with pytest.raises(checks.ConfirmationError) as caught:
        await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, values={"id_number": other}, checked=set(), now=NOW)
    assert caught.value.errors == {"id_number": "身份证号码与客户档案不一致，请核对证件是否为本人"}
    row = await checks.confirm_id_card(actor=officer, vault=vault, read_id=read.id, values={"address": "山西省襄汾县新城镇南关村"}, checked=set(), now=NOW)
    assert row.changed_fields == [{"field": "address", "ocr": "山西省襄汾县新城镇西街村", "confirmed": "山西省襄汾县新城镇南关村"}]


async def test_another_branch_cannot_see_or_confirm_a_read(demo, media, vault):
    read = await _done_read(media, vault)
    with pytest.raises(DomainError) as caught:
        await checks.confirm_id_card(actor=await actor("officer2"), vault=vault, read_id=read.id, values={}, checked=set(), now=NOW)
    assert caught.value.code == "NOT_FOUND"


# --- liveness ---------------------------------------------------------------------------------


async def _login_session(username="officer1"):
    _, info = await auth.login(username=username, password="cunxin-demo-2026", now=NOW, session_hours=12)
    return info


async def test_a_challenge_is_random_bound_to_a_nonce_and_expires_in_two_minutes(demo):
    info = await _login_session()
    a = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(1), session_id=info.session.id)
    b = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(2), session_id=info.session.id)
    assert a.nonce != b.nonce and len(a.nonce) == 32
    assert checks.challenge_of(a).nonce == a.nonce and checks.challenge_of(a).actions != checks.challenge_of(b).actions
    assert a.expires_at == NOW + timedelta(minutes=2) and a.status == LivenessStatus.PENDING


async def test_frames_are_refused_with_a_wrong_nonce_too_many_too_large_or_too_late(demo, media):
    info = await _login_session()
    check = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(3), session_id=info.session.id)
    queue = FakeJobQueue()
    base = dict(actor=info.actor, media=media, queue=queue, liveness_id=check.id, session_id=info.session.id)
    cases = [
        (dict(nonce="x" * 32, frames=[JPEG] * 5, now=NOW), "BAD_NONCE"),
        (dict(nonce=check.nonce, frames=[JPEG] * 61, now=NOW), "TOO_MANY_FRAMES"),
        (dict(nonce=check.nonce, frames=[JPEG] * 4 + [b"\xff" * (2 * 1024 * 1024 + 1)], now=NOW), "IMAGE_TOO_LARGE"),
        (dict(nonce=check.nonce, frames=[], now=NOW), "NO_FRAMES"),
    ]
    for kwargs, code in cases:
        with pytest.raises(ValidationError) as caught:
            await checks.submit_liveness_frames(**base, **kwargs)
        assert caught.value.code == code
    assert queue.jobs == [] and not await Document.exists()
    other = await _login_session()
    with pytest.raises(DomainError) as caught:  # another session of the same officer cannot answer it
        await checks.submit_liveness_frames(**{**base, "session_id": other.session.id}, nonce=check.nonce, frames=[JPEG] * 5, now=NOW)
    assert caught.value.code == "NOT_FOUND"
    with pytest.raises(ValidationError) as caught:
        await checks.submit_liveness_frames(**base, nonce=check.nonce, frames=[JPEG] * 5, now=NOW + timedelta(seconds=121))
    assert caught.value.message == "活体检测已超时（需在 2 分钟内完成），请重新开始"
    row = await LivenessCheck.get(id=check.id)
    assert (row.status, row.reason_code, row.frames_id) == (LivenessStatus.EXPIRED, "EXPIRED", None)


async def test_frames_are_stored_as_one_file_and_judged_once(demo, media):
    info = await _login_session()
    check = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(4), session_id=info.session.id)
    queue = FakeJobQueue()
    frames = [JPEG + bytes([i]) for i in range(12)]
    row = await checks.submit_liveness_frames(actor=info.actor, media=media, queue=queue, liveness_id=check.id, nonce=check.nonce,
                                              frames=frames, now=NOW, session_id=info.session.id)
    assert queue.ids() == [f"check_liveness:{check.id}"] and row.frames_count == 12
    assert checks.unpack_frames(media.get((await Document.get(id=row.frames_id)).sha256)) == frames
    job = await checks.claim_liveness(liveness_id=check.id)
    assert job.challenge == checks.challenge_of(row)
    assert (await LivenessCheck.get(id=check.id)).status == LivenessStatus.RUNNING  # pending → running → passed | failed
    assert (await checks.claim_liveness(liveness_id=check.id)) == job  # a redelivered job carries on
    with pytest.raises(Conflict):
        await checks.submit_liveness_frames(actor=info.actor, media=media, queue=queue, liveness_id=check.id, nonce=check.nonce,
                                            frames=frames, now=NOW, session_id=info.session.id)
    first = await checks.record_liveness_result(liveness_id=check.id, passed=False, code="NO_MOTION", reason="未检测到眨眼或转头动作", details={"frames": 12}, model_ms=500, now=NOW)
    again = await checks.record_liveness_result(liveness_id=check.id, passed=True, code="OK", reason="活体检测通过", details={}, model_ms=1, now=NOW)
    assert (again.status, again.reason_code, again.details) == (LivenessStatus.FAILED, "NO_MOTION", {"frames": 12}) == (first.status, first.reason_code, first.details)
    assert await checks.claim_liveness(liveness_id=check.id) is None


# --- faces ------------------------------------------------------------------------------------


async def _enrol(vault, username="officer1"):
    officer = await Officer.get(username=username)
    embedding = [0.1] * 127 + [0.2]
    await Officer.filter(id=officer.id).update(face_embeddings_enc=checks.faces.seal_embeddings(vault, officer.id, [embedding]))
    return embedding


async def test_the_login_opens_only_when_liveness_and_the_face_match_have_both_passed(demo, media, vault):
    await _enrol(vault)
    info = await _login_session()
    check = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(5), session_id=info.session.id)
    queue = FakeJobQueue()
    await checks.submit_face_login(actor=info.actor, session_id=info.session.id, media=media, queue=queue, liveness_id=check.id,
                                   nonce=check.nonce, frames=[JPEG] * 8, now=NOW, threshold=0.07)
    assert sorted(j.function for j in queue.jobs) == ["check_liveness", "verify_face"]
    verification = await FaceVerification.get(liveness_id=check.id)
    assert (verification.purpose, verification.reference, verification.officer_id, verification.threshold) == (
        FacePurpose.OFFICER_LOGIN, FaceReference.ENROLMENT, info.officer.id, 0.07)
    assert verification.probe_id == (await LivenessCheck.get(id=check.id)).frames_id  # the face is matched on the challenge frames
    job = await checks.claim_face_verification(verification_id=verification.id)
    assert job.probe_is_burst is True and job.embeddings_enc is not None
    await FaceVerification.filter(id=verification.id).update(status="pending")
    state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=check.id, now=NOW)
    assert state.status == "pending"
    await checks.record_liveness_result(liveness_id=check.id, passed=True, code="OK", reason="活体检测通过", details={}, model_ms=400, now=NOW)
    state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=check.id, now=NOW)
    assert state.status == "pending" and (await OfficerSession.get(id=info.session.id)).face_verified_at is None
    await checks.record_face_result(verification_id=verification.id, distance=0.031, verified=True, model="Dlib", model_ms=260, now=NOW)
    state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=check.id, now=NOW + timedelta(seconds=3))
    assert (state.status, state.message) == ("passed", "人脸识别登录成功")
    assert (await OfficerSession.get(id=info.session.id)).face_verified_at == NOW + timedelta(seconds=3)
    await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=check.id, now=NOW + timedelta(seconds=9))
    assert await AuditEvent.filter(action="officer.face_login").count() == 1


async def test_a_still_photo_cannot_stand_in_for_the_login_frames(demo, media, vault):
    # given an enrolled officer whose liveness passed
    await _enrol(vault)
    info = await _login_session()
    check = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(5), session_id=info.session.id)
    await checks.submit_face_login(actor=info.actor, session_id=info.session.id, media=media, queue=FakeJobQueue(), liveness_id=check.id,
                                   nonce=check.nonce, frames=[JPEG] * 8, now=NOW, threshold=0.07)
    await checks.record_liveness_result(liveness_id=check.id, passed=True, code="OK", reason="活体检测通过", details={}, model_ms=1, now=NOW)
    # when a login match is asked for on a still photo
    with pytest.raises(ValidationError) as caught:
        await checks.start_face_verification(actor=info.actor, media=media, queue=FakeJobQueue(), purpose="officer_login", probe=JPEG + b"still",
                                             liveness_id=check.id)
    # then it is refused, and a passed match whose probe is not the check's own frames does not open the session
    assert (caught.value.code, caught.value.field) == ("LIVE_FRAMES_ONLY", "probe")
    own = await FaceVerification.get(liveness_id=check.id)
    still = await Document.create(kind="face_capture", content_type="image/jpeg", sha256="0" * 64, size_bytes=10, title="still")
    await FaceVerification.filter(id=own.id).update(probe_id=still.id, status="done", verified=True, distance=0.01)
    state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=check.id, now=NOW)
    assert state.status == "pending" and state.verification is None
    assert (await OfficerSession.get(id=info.session.id)).face_verified_at is None


async def test_a_face_that_does_not_match_keeps_the_session_locked(demo, media, vault):
    await _enrol(vault)
    info = await _login_session()
    check = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(6), session_id=info.session.id)
    await checks.submit_face_login(actor=info.actor, session_id=info.session.id, media=media, queue=FakeJobQueue(), liveness_id=check.id,
                                   nonce=check.nonce, frames=[JPEG] * 8, now=NOW, threshold=0.07)
    verification = await FaceVerification.get(liveness_id=check.id)
    await checks.record_liveness_result(liveness_id=check.id, passed=True, code="OK", reason="活体检测通过", details={}, model_ms=1, now=NOW)
    await checks.record_face_result(verification_id=verification.id, distance=0.16, verified=False, model="Dlib", model_ms=1, now=NOW)
    state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=check.id, now=NOW)
    assert (state.status, state.message) == ("failed", "人脸与录入的本人照片不一致，请本人重新检测")
    assert (await OfficerSession.get(id=info.session.id)).face_verified_at is None


async def test_a_customer_match_needs_a_portrait_from_their_id_card(demo, media, vault):
    customer = await make_customer(vault)
    officer = await actor()
    with pytest.raises(ValidationError) as caught:
        await checks.start_face_verification(actor=officer, media=media, queue=FakeJobQueue(), purpose="customer_match", probe=JPEG, customer_id=customer.id)
    assert (caught.value.code, caught.value.message) == ("NO_PORTRAIT", "该客户还没有可用的身份证人像，请先拍摄身份证正面")
    read = await _done_read(media, vault, customer=customer)
    queue = FakeJobQueue()
    v = await checks.start_face_verification(actor=officer, media=media, queue=queue, purpose="customer_match", probe=JPEG, customer_id=customer.id, threshold=0.07)
    assert (v.reference, v.reference_portrait_id, v.id_card_read_id, v.customer_id, v.model) == (FaceReference.PORTRAIT, read.portrait_id, read.id, customer.id, "Dlib")
    assert queue.ids() == [f"verify_face:{v.id}"]
    job = await checks.claim_face_verification(verification_id=v.id)
    assert job.portrait_sha256 == (await Document.get(id=read.portrait_id)).sha256 and job.embeddings_enc is None


async def test_signing_accepts_only_a_recent_passed_match_of_that_customer(demo, media, vault):
    customer = await make_customer(vault)
    await _done_read(media, vault, customer=customer)
    v = await checks.start_face_verification(actor=await actor(), media=media, queue=FakeJobQueue(), purpose="customer_match", probe=JPEG, customer_id=customer.id)
    faces = checks.RecordedFaceChecks(now=lambda: NOW + timedelta(minutes=5), fresh_minutes=15)
    assert not await faces.passed(verification_id=v.id, customer_id=customer.id)  # not judged yet
    await checks.record_face_result(verification_id=v.id, distance=0.02, verified=True, model="Dlib", model_ms=1, now=NOW)
    assert await faces.passed(verification_id=v.id, customer_id=customer.id)
    other = await make_customer(vault, sequence=103, name="李四")
    assert not await faces.passed(verification_id=v.id, customer_id=other.id)
    late = checks.RecordedFaceChecks(now=lambda: NOW + timedelta(minutes=16), fresh_minutes=15)
    assert not await late.passed(verification_id=v.id, customer_id=customer.id)


async def test_enrolment_seals_the_embeddings_encrypted_once_and_only_an_admin_resets_it(demo, media, vault):
    officer = await actor()
    queue = FakeJobQueue()
    with pytest.raises(ValidationError) as caught:
        await checks.enrol_officer_face(actor=officer, media=media, queue=queue, captures=[JPEG] * 2)
    assert caught.value.code == "CAPTURE_COUNT"
    enrolment = await checks.enrol_officer_face(actor=officer, media=media, queue=queue, captures=[JPEG + b"1", JPEG + b"2", JPEG + b"3"])
    assert queue.ids() == [f"enrol_face:{enrolment.id}"]
    with pytest.raises(Conflict) as caught:
        await checks.enrol_officer_face(actor=officer, media=media, queue=queue, captures=[JPEG] * 3)
    assert caught.value.code == "ENROLMENT_RUNNING"
    job = await checks.claim_enrolment(enrolment_id=enrolment.id)
    assert len(job.capture_sha256s) == 3
    embeddings = [[0.1] * 127 + [0.2], [0.1] * 127 + [0.21], [0.1] * 127 + [0.19]]
    row = await checks.record_enrolment(enrolment_id=enrolment.id, embeddings=embeddings, vault=vault, threshold=0.07, model_ms=700, now=NOW)
    assert row.status == JobStatus.DONE
    blob = (await Officer.get(id=officer.id)).face_embeddings_enc
    assert b"\xcd\xcc\xcc=" not in blob  # 0.1 as float32 never appears in the clear
    stored = checks.enrolled_embeddings(vault, officer.id, blob)
    assert [round(e[-1], 3) for e in stored] == [0.2, 0.21, 0.19]
    with pytest.raises(InvalidTag):  # bound to this officer: another officer's id cannot open it
        checks.enrolled_embeddings(vault, (await Officer.get(username="officer2")).id, blob)
    with pytest.raises(Conflict) as caught:
        await checks.enrol_officer_face(actor=officer, media=media, queue=queue, captures=[JPEG] * 3)
    assert caught.value.code == "ALREADY_ENROLLED"
    with pytest.raises(Forbidden):
        await checks.reset_officer_face(actor=officer, officer_id=officer.id, now=NOW)
    await checks.reset_officer_face(actor=await actor("admin"), officer_id=officer.id, now=NOW)
    assert (await Officer.get(id=officer.id)).face_embeddings_enc is None
    assert (await FaceEnrolment.get(id=enrolment.id)).reset_at == NOW
    assert await AuditEvent.filter(action="officer.face_reset", entity_id=str(officer.id)).exists()


async def test_captures_of_two_people_fail_the_enrolment(demo, media, vault):
    officer = await actor()
    enrolment = await checks.enrol_officer_face(actor=officer, media=media, queue=FakeJobQueue(), captures=[JPEG] * 3)
    far = [[0.1] * 128, [0.1] * 64 + [-0.1] * 64, [0.1] * 128]
    row = await checks.record_enrolment(enrolment_id=enrolment.id, embeddings=far, vault=vault, threshold=0.07, model_ms=1, now=NOW)
    assert (row.status, row.error_code, row.error) == (JobStatus.FAILED, "NOT_SAME_PERSON", "录入的几张照片不像同一个人，请本人正对镜头重新录入")
    assert (await Officer.get(id=officer.id)).face_embeddings_enc is None


async def test_system_actor_cannot_start_checks(demo, media):
    with pytest.raises(DomainError) as caught:
        await checks.start_id_card_read(actor=SYSTEM, media=media, queue=FakeJobQueue(), data=JPEG, side="front")
    assert caught.value.code == "FORBIDDEN"


async def test_an_hdr_tiff_or_bmp_upload_is_refused_by_its_bytes_before_anything_is_stored(demo, media):
    queue = FakeJobQueue()
    for data, shown in [(b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 12000 +X 12000\n", "HDR"), (b"II*\x00" + b"\x00" * 64, "TIFF"),
                        (b"BM" + b"\x00" * 64, "BMP")]:
        with pytest.raises(ValidationError) as caught:
            await checks.start_id_card_read(actor=await actor(), media=media, queue=queue, data=data, side="front")
        assert (caught.value.code, caught.value.field) == ("UNSUPPORTED_IMAGE", "image")
        assert caught.value.message == f"只支持 JPEG、PNG 或 WebP 格式的照片（不支持 {shown}），请用相机重新拍摄或另存为 JPEG 后上传"
    assert not await Document.exists() and not await IdCardRead.exists() and queue.jobs == []
