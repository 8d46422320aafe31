"""The ML worker with the REAL engines, in a burst arq Worker on the ML queue against the test Redis.

Records are created through the services (which store the upload and enqueue after commit with
the real ArqJobQueue); the worker drains arq:ml and writes results. Images: ID cards rendered by
tests/support/idcards.py (the front carrying the astronaut's photo as its portrait) and the
package-shipped faces of tests/workers/face_images.py.
"""

from __future__ import annotations

import random
from datetime import UTC, datetime

import pytest
from arq.worker import Retry, Worker
from PIL import Image
from tortoise.exceptions import OperationalError

from app.domain import idcard
from app.domain.liveness import BLINK
from app.models import Document, FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck, Officer
from app.models.identity import JobStatus, LivenessStatus
from app.services import business_date
from app.services.auth import officers as auth
from app.services import identity_checks as checks
from app.services.documents import MediaStore
from app.services.jobs import ML_QUEUE, ArqJobQueue
from app.wiring import redis_settings
from tests.factories.risk import actor, make_customer
from tests.support.idcards import AS_OF, make_card, render_text_page
from tests.workers import face_images as fi
from workers import ml
from workers.engines import build_engines
from workers.ml import MlWorker

BAD_IMAGE_MESSAGE = "无法读取图片（文件损坏、不完整或不是图片），请重新拍摄或上传"


@pytest.fixture(scope="session")
def engines(settings):
    return build_engines(settings)


@pytest.fixture
async def ctx(engines, settings, vault, tmp_path):
    return {**engines, "settings": settings, "vault": vault, "media": MediaStore(tmp_path / "media")}


@pytest.fixture
async def queue(settings, redis_server):
    q = ArqJobQueue(redis_settings(settings))
    yield q
    await q.close()


async def _drain(settings, ctx) -> None:
    """A burst worker on arq:ml: runs every queued job, then returns."""
    worker = Worker(
        functions=MlWorker.functions, queue_name=ML_QUEUE, redis_settings=redis_settings(settings), burst=True, poll_delay=0.05,
        max_jobs=1, ctx=dict(ctx), handle_signals=False,  # the test process already has the ORM open
    )
    try:
        await worker.main()
    finally:
        await worker.close()


def _astronaut_face() -> Image.Image:
    return Image.fromarray(fi.astronaut()[:, :, ::-1])


@pytest.mark.ml
async def test_id_cards_and_bad_uploads_each_end_with_a_result_or_a_clear_reason(demo, settings, ctx, queue):
    # given the business date the cards are read on, and uploads of every kind
    await business_date.set_current(AS_OF)
    officer = await actor()
    front, truth = make_card(3, face=_astronaut_face())
    back, back_truth = make_card(4, side="back")
    bad_checksum, bad_truth = make_card(5, bad_checksum=True)
    uploads = {
        "front": (front, "front"), "back": (back, "back"), "bad_checksum": (bad_checksum, "front"),
        "not_an_image": (b"%PDF-1.7 this is not a picture", "front"), "truncated": (front[: len(front) // 2], "front"),
        "not_a_card": (render_text_page(1), "front"), "wrong_side": (back, "front"),
    }
    reads = {}
    for name, (data, side) in uploads.items():
        reads[name] = await checks.start_id_card_read(actor=officer, media=ctx["media"], queue=queue, data=data, side=side)
        assert reads[name].job_id == f"read_id_card:{reads[name].id}"
    # when one worker drains the queue
    await _drain(settings, ctx)
    rows = {name: await IdCardRead.get(id=read.id) for name, read in reads.items()}
    # then the cards are read, field by field, the number kept encrypted and masked
    row = rows["front"]
    assert row.status == JobStatus.DONE and row.model_ms > 0 and row.result["needs_confirmation"] == []
    values = {k: v["value"] for k, v in row.result["fields"].items()}
    assert values == {**{k: truth[k] for k in ("name", "sex", "ethnicity", "birth_date", "address")}, "id_number": idcard.mask(truth["id_number"])}
    assert ctx["vault"].decrypt(row.ocr_id_number_enc, context=b"id_number") == truth["id_number"]
    portrait = await Document.get(id=row.portrait_id)
    assert portrait.kind == "portrait" and ctx["media"].get(portrait.sha256).startswith(b"\xff\xd8")
    back_row = rows["back"]
    assert back_row.status == JobStatus.DONE and back_row.portrait_id is None
    assert {k: v["value"] for k, v in back_row.result["fields"].items()} == {k: back_truth[k] for k in ("issuing_authority", "valid_from", "valid_until")}
    # a number failing the checksum is read, flagged and explained for the officer (the number only masked)
    flagged = rows["bad_checksum"]
    assert flagged.status == JobStatus.DONE and "id_number" in flagged.result["needs_confirmation"]
    assert "invalid_checksum" in flagged.result["fields"]["id_number"]["flags"]
    assert "公民身份号码校验未通过（身份证号码校验位不正确），请核对号码" in flagged.result["warnings"]
    assert bad_truth["id_number"] not in str(flagged.result)
    # and every bad upload failed with its reason, while the worker went on to the next job
    failures = {name: (rows[name].status, rows[name].error_code, rows[name].error) for name in ("not_an_image", "truncated", "not_a_card", "wrong_side")}
    assert failures == {
        "not_an_image": (JobStatus.FAILED, "BAD_IMAGE", BAD_IMAGE_MESSAGE),
        "truncated": (JobStatus.FAILED, "BAD_IMAGE", BAD_IMAGE_MESSAGE),
        "not_a_card": (JobStatus.FAILED, "NOT_ID_CARD", "未识别到身份证：请拍摄身份证正面或背面，保证四角完整、字迹清晰、没有反光"),
        "wrong_side": (JobStatus.FAILED, "WRONG_SIDE", "这是身份证背面（国徽面），请拍摄身份证正面（人像面）"),
    }
    # a redelivered job leaves the result as it was
    portraits = await Document.filter(kind="portrait").count()
    assert portraits == 2  # the two fronts
    again = await ml.read_id_card({**ctx, "job_id": "redelivered", "job_try": 2}, str(row.id))
    assert again == "already finished"
    assert (await IdCardRead.get(id=row.id)).result == row.result
    assert await Document.filter(kind="portrait").count() == portraits


@pytest.mark.ml
async def test_customer_faces_are_matched_with_their_id_card_portrait(demo, settings, ctx, queue, vault):
    # given a customer whose card front (with the astronaut's photo) has been read
    officer = await actor()
    customer = await make_customer(vault)
    await business_date.set_current(AS_OF)
    card, _ = make_card(3, face=_astronaut_face())
    await checks.start_id_card_read(actor=officer, media=ctx["media"], queue=queue, data=card, side="front", customer_id=customer.id)
    await _drain(settings, ctx)
    probes = {
        "same": fi.encode(fi.flip(fi.astronaut())),
        "other": fi.encode(fi.grace_hopper()),
        "no_face": fi.encode(fi.no_face()),
        "two_faces": fi.encode(fi.side_by_side(fi.grace_hopper(), fi.astronaut())),
    }
    started = {
        name: await checks.start_face_verification(actor=officer, media=ctx["media"], queue=queue, purpose="customer_match",
                                                   probe=data, customer_id=customer.id, threshold=settings.face_threshold)
        for name, data in probes.items()
    }
    # when
    await _drain(settings, ctx)
    rows = {name: await FaceVerification.get(id=v.id) for name, v in started.items()}
    # then every result is stored with distance, threshold, model and time
    same, other = rows["same"], rows["other"]
    assert (same.status, same.verified, same.model, same.threshold) == (JobStatus.DONE, True, "Dlib", 0.07)
    assert same.distance < 0.07 and same.finished_at is not None and same.model_ms > 0
    assert (other.status, other.verified) == (JobStatus.DONE, False) and other.distance > 0.1
    assert (rows["no_face"].status, rows["no_face"].error_code, rows["no_face"].verified) == (JobStatus.FAILED, "NO_FACE", None)
    assert rows["no_face"].error == "现场照片：图片中未检测到人脸，请正对镜头、保持光线充足后重新拍摄"
    assert (rows["two_faces"].status, rows["two_faces"].error_code) == (JobStatus.FAILED, "MULTIPLE_FACES")
    assert rows["two_faces"].error == "现场照片：图片中检测到 2 张人脸，请确保画面中只有本人"
    faces = checks.RecordedFaceChecks(now=lambda: same.finished_at, fresh_minutes=15)
    assert await faces.passed(verification_id=same.id, customer_id=customer.id)
    assert not await faces.passed(verification_id=other.id, customer_id=customer.id)


def _frames(engine, actions) -> list[bytes]:
    """A burst performing `actions` (eyes painted shut, the face warped sideways)."""
    image = fi.astronaut()
    points = engine.landmarks_of(image).points
    looks = {"open": fi.encode(image), BLINK: fi.encode(fi.close_eyes(image, points)),
             "turn_left": fi.encode(fi.turn_head(image, points, 0.6)), "turn_right": fi.encode(fi.turn_head(image, points, -0.6))}
    burst = [looks["open"]] * 3
    for action in actions:
        for _ in range(action.count):
            burst += [looks[action.kind]] * 3 + [looks["open"]] * 2
    return burst


@pytest.mark.ml
async def test_officer_enrols_then_logs_in_with_liveness_and_face(demo, settings, ctx, queue, vault):
    # given an officer after the password who enrols with three captures (one set with a bad capture first)
    _, info = await auth.login(username="officer1", password="cunxin-demo-2026", now=datetime.now(UTC), session_hours=12)
    astronaut = fi.astronaut()
    bad = await checks.enrol_officer_face(actor=info.actor, media=ctx["media"], queue=queue,
                                          captures=[fi.encode(astronaut), fi.encode(fi.no_face()), fi.encode(fi.flip(astronaut))])
    await _drain(settings, ctx)
    bad = await FaceEnrolment.get(id=bad.id)
    assert (bad.status, bad.error_code, bad.error) == (JobStatus.FAILED, "NO_FACE", "第 2 张照片：图片中未检测到人脸，请正对镜头、保持光线充足后重新拍摄")
    good = await checks.enrol_officer_face(actor=info.actor, media=ctx["media"], queue=queue,
                                           captures=[fi.encode(astronaut), fi.encode(fi.crop(astronaut)), fi.encode(fi.flip(astronaut))])
    await _drain(settings, ctx)
    assert (await FaceEnrolment.get(id=good.id)).status == JobStatus.DONE
    officer = await Officer.get(id=info.officer.id)
    assert len(checks.enrolled_embeddings(vault, officer.id, officer.face_embeddings_enc)) == 3
    # when the officer performs a random challenge and a stranger holds up a still photo in another attempt
    now = datetime.now(UTC)
    live = await checks.start_liveness(actor=info.actor, now=now, rng=random.Random(2), session_id=info.session.id)
    frames = _frames(ctx["landmarks"], checks.challenge_of(live).actions)
    await checks.submit_face_login(actor=info.actor, session_id=info.session.id, media=ctx["media"], queue=queue, liveness_id=live.id,
                                   nonce=live.nonce, frames=frames, now=now, threshold=0.07)
    held = await checks.start_liveness(actor=info.actor, now=now, rng=random.Random(3), session_id=info.session.id)
    await checks.submit_face_login(actor=info.actor, session_id=info.session.id, media=ctx["media"], queue=queue, liveness_id=held.id,
                                   nonce=held.nonce, frames=[fi.encode(fi.grace_hopper())] * 12, now=now, threshold=0.07)
    broken = await checks.start_liveness(actor=info.actor, now=now, rng=random.Random(4), session_id=info.session.id)
    await checks.submit_liveness_frames(actor=info.actor, media=ctx["media"], queue=queue, liveness_id=broken.id, nonce=broken.nonce,
                                        frames=frames[:2] + [b"garbage"] + frames[3:], now=now, session_id=info.session.id)
    await _drain(settings, ctx)
    # then the live attempt passes both checks and opens the session
    state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=live.id, now=datetime.now(UTC))
    assert (state.status, state.liveness.status, state.verification.verified) == ("passed", LivenessStatus.PASSED, True)
    assert state.verification.distance < 0.07 and state.liveness.details["completed_steps"] == len(checks.challenge_of(live).actions)
    # the held photo fails liveness (and the stranger's face does not match the enrolment)
    held_state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=held.id, now=datetime.now(UTC))
    assert held_state.status == "failed" and held_state.liveness.reason_code == "NO_MOTION"
    assert held_state.verification.verified is False
    # and a frame that is not an image fails the check with its number
    broken = await LivenessCheck.get(id=broken.id)
    assert (broken.status, broken.reason_code) == (LivenessStatus.FAILED, "BAD_IMAGE")
    assert broken.reason == f"第 3 帧：{BAD_IMAGE_MESSAGE}"


async def test_a_database_that_is_briefly_down_retries_the_job():
    async def down():
        raise OperationalError("database is locked")

    with pytest.raises(Retry) as caught:
        await ml._db({"job_id": "read_id_card:x", "job_try": 2}, down)
    assert caught.value.defer_score == 20_000


def test_the_worker_settings_are_read_from_the_class_itself():
    assert MlWorker.__dict__["queue_name"] == ML_QUEUE and MlWorker.__dict__["max_jobs"] == 1
    assert sorted(f.name for f in MlWorker.__dict__["functions"]) == ["check_liveness", "enrol_face", "read_id_card", "verify_face"]
    assert all(f.max_tries == 3 for f in MlWorker.__dict__["functions"])
    assert MlWorker.__dict__["on_startup"] is ml.startup and MlWorker.__dict__["on_shutdown"] is ml.shutdown
    # short (a killed worker's job runs again job_timeout + 10 s later) and longer than one model call, which the
    # model process kills at its own timeout (workers/engines/process.py)
    settings = ml.get_settings()
    assert settings.ml_model_timeout_seconds < MlWorker.__dict__["job_timeout"] <= 60
    assert [c.name for c in MlWorker.__dict__["cron_jobs"]] == ["cron:reconcile_jobs"] and MlWorker.__dict__["cron_jobs"][0].run_at_startup

