"""The one job lifecycle: every job row (OCR, face, liveness, enrolment, contract PDF, provincial sync) ends
done or failed with a reason, whatever the queue lost; a failed one is retried once per click (重试)."""

from __future__ import annotations

import random
from datetime import timedelta

import pytest

from app.domain.errors import Conflict, Forbidden, NotFound
from app.models import AuditEvent, FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck, Officer, OutboxMessage
from app.models.identity import JobStatus, LivenessStatus
from app.models.outbox import OutboxKind, OutboxStatus
from app.services.auth import officers as auth
from app.services import identity_checks as checks
from app.services import metrics
from app.services.documents import MediaStore
from app.services.job_lifecycle import kinds
from app.services.job_lifecycle.reconcile import Reconciled, reconcile_jobs
from app.services.job_lifecycle.retry import retry_job
from app.services.jobs import DEFAULT_QUEUE, FINISHED, ML_QUEUE, QUEUED, RUNNING, UNKNOWN
from app.services.outbox import enqueue_outbox, send_due_messages
from tests.factories.risk import NOW, actor
from tests.fakes import FakeJobQueue

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
JOB_LOST_MESSAGE = "识别服务中断，已自动重试 3 次仍未完成，请点击“重试”"


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


async def _reconcile(queue, now, queue_name=ML_QUEUE):
    return await reconcile_jobs(kinds=kinds.kinds_on(queue_name, outbox_max_attempts=3), queue=queue, now=now)


async def _read(media, queue):
    read = await checks.start_id_card_read(actor=await actor(), media=media, queue=queue, data=JPEG, side="front")
    return await IdCardRead.get(id=read.id)


@pytest.mark.parametrize("state", [QUEUED, RUNNING])
async def test_a_job_the_queue_still_holds_is_left_alone(demo, media, state):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    queue.states[row.job_id] = state
    done = await _reconcile(queue, row.created_at + timedelta(minutes=1))
    assert done == Reconciled(0, 0, 0)
    assert queue.ids() == [f"read_id_card:{row.id}"]
    assert (await IdCardRead.get(id=row.id)).status == JobStatus.PENDING


@pytest.mark.parametrize("state", [UNKNOWN, FINISHED], ids=["redis-lost-it", "arq-gave-up"])
async def test_a_lost_job_is_queued_again_under_a_new_id_then_failed_after_three_attempts(demo, media, state):
    # given a read whose job the queue no longer runs (Redis restarted empty, or arq gave up after crashes)
    queue = FakeJobQueue()
    row = await _read(media, queue)
    await IdCardRead.filter(id=row.id).update(status=JobStatus.RUNNING)  # a worker had claimed it
    now = row.created_at + timedelta(seconds=40)
    # when the reconciler runs, the job is queued again, attempt 2 then 3, each under its own id
    for attempt in (2, 3):
        queue.states[(await IdCardRead.get(id=row.id)).job_id] = state
        assert await _reconcile(queue, now) == Reconciled(0, 1, 0)
        assert (await IdCardRead.get(id=row.id)).job_id == f"read_id_card:{row.id}:{attempt}"
    assert [(j.function, j.job_id, j.queue, j.kwargs) for j in queue.jobs[1:]] == [
        ("read_id_card", f"read_id_card:{row.id}:{n}", ML_QUEUE, {"read_id": str(row.id)}) for n in (2, 3)
    ]
    # and when the third attempt is lost too, the row fails with a reason, not queued a fourth time
    queue.states[f"read_id_card:{row.id}:3"] = state
    assert await _reconcile(queue, now) == Reconciled(0, 0, 1)
    failed = await IdCardRead.get(id=row.id)
    assert (failed.status, failed.error_code, failed.error) == (JobStatus.FAILED, "JOB_LOST", JOB_LOST_MESSAGE)
    assert len(queue.jobs) == 3
    assert await AuditEvent.filter(action="id_card_read.failed", entity_id=str(row.id)).count() == 1


async def test_a_row_open_past_its_deadline_fails_even_while_the_queue_says_running(demo, media):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    queue.states[row.job_id] = RUNNING
    counted = metrics.JOB_FAILURES.labels("read_id_card", "TIMEOUT")._value.get()
    assert await _reconcile(queue, row.created_at + timedelta(minutes=4, seconds=59)) == Reconciled(0, 0, 0)
    assert await _reconcile(queue, row.created_at + timedelta(minutes=5, seconds=1)) == Reconciled(0, 0, 1)
    assert metrics.JOB_FAILURES.labels("read_id_card", "TIMEOUT")._value.get() == counted + 1  # in /metrics like a failed job
    failed = await IdCardRead.get(id=row.id)
    assert (failed.status, failed.error_code, failed.error) == (JobStatus.FAILED, "TIMEOUT", "识别超时（服务繁忙或中断），请点击“重试”")


async def test_finished_rows_are_never_touched(demo, media):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    await checks.fail_id_card_read(read_id=row.id, code="BAD_IMAGE", message="坏图", now=row.created_at)
    queue.states[row.job_id] = UNKNOWN
    assert await _reconcile(queue, row.created_at + timedelta(hours=1)) == Reconciled(0, 0, 0)
    assert (await IdCardRead.get(id=row.id)).error_code == "BAD_IMAGE" and len(queue.jobs) == 1



# --- every kind, one lifecycle -----------------------------------------------------------------


async def _login(vault, username="officer1"):
    officer = await Officer.get(username=username)
    sealed = checks.faces.seal_embeddings(vault, officer.id, [[0.1] * 128])
    await Officer.filter(id=officer.id).update(face_embeddings_enc=sealed)
    _, info = await auth.login(username=username, password="cunxin-demo-2026", now=NOW, session_hours=12)
    return info


async def _face(media, queue, vault):
    read = await _read(media, FakeJobQueue())
    await IdCardRead.filter(id=read.id).update(status=JobStatus.DONE)  # the card was read: its portrait is the reference
    row = await FaceVerification.create(purpose="customer_match", probe_id=read.image_id, reference="portrait", requested_by_id=read.officer_id,
                                        threshold=0.07, model="Dlib")
    return await FaceVerification.get(id=row.id, job_id=await checks.common.enqueue_after_commit(queue, FaceVerification, row.id, "verify_face", "verification_id"))


async def _liveness(media, queue, vault):
    info = await _login(vault)
    check = await checks.start_liveness(actor=info.actor, now=NOW, rng=random.Random(5), session_id=info.session.id)
    await checks.submit_face_login(actor=info.actor, session_id=info.session.id, media=media, queue=queue, liveness_id=check.id,
                                   nonce=check.nonce, frames=[JPEG] * 8, now=NOW, threshold=0.07)
    return await LivenessCheck.get(id=check.id)


async def _login_face(media, queue, vault):
    check = await _liveness(media, queue, vault)
    await LivenessCheck.filter(id=check.id).update(status=LivenessStatus.PASSED)  # only the face match is left
    return await FaceVerification.get(liveness_id=check.id)


async def _enrolment(media, queue, vault):
    enrolment = await checks.enrol_officer_face(actor=await actor(), media=media, queue=queue, captures=[JPEG + b"1", JPEG + b"2", JPEG + b"3"])
    return await FaceEnrolment.get(id=enrolment.id)


async def _ocr(media, queue, vault):
    return await _read(media, queue)


MAKERS = {"ocr": (_ocr, "read_id_card"), "face": (_face, "verify_face"), "login_face": (_login_face, "verify_face"),
          "liveness": (_liveness, "check_liveness"), "enrolment": (_enrolment, "enrol_face")}


def _since(row):
    return getattr(row, "submitted_at", None) or row.created_at


@pytest.mark.parametrize("kind", sorted(MAKERS))
async def test_every_ml_kind_is_queued_again_when_lost_then_failed_with_a_reason(demo, media, vault, kind):
    make, function = MAKERS[kind]
    queue = FakeJobQueue()
    row = await make(media, queue, vault)
    model = type(row)
    now = _since(row) + timedelta(seconds=40)
    for attempt in (2, 3):
        queue.states[(await model.get(id=row.id)).job_id] = UNKNOWN
        await _reconcile(queue, now)
        assert (await model.get(id=row.id)).job_id == f"{function}:{row.id}:{attempt}"
    queue.states[f"{function}:{row.id}:3"] = FINISHED
    await _reconcile(queue, now)
    failed = await model.get(id=row.id)
    assert kinds.KINDS[kind].place(failed) == "failed" and kinds.KINDS[kind].reason(failed) == JOB_LOST_MESSAGE
    assert kinds.KINDS[kind].retryable(failed)


@pytest.mark.parametrize("kind", sorted(MAKERS))
async def test_every_ml_kind_is_retried_in_place_once_per_click_and_a_done_job_is_refused(demo, media, vault, kind):
    make, function = MAKERS[kind]
    queue = FakeJobQueue()
    row = await make(media, queue, vault)
    job = kinds.KINDS[kind]
    await job.fail(kinds.OpenJob(row.id, row.job_id, NOW, 1), code="TIMEOUT", message=job.timeout_message(), now=NOW)
    who = await actor()
    session_id = (await LivenessCheck.get(id=row.liveness_id)).session_id if kind == "login_face" else getattr(row, "session_id", None)
    later = NOW + timedelta(minutes=30)
    before = len(queue.jobs)
    for _ in range(2):  # a double click
        again = await retry_job(actor=who, kind=kind, record_id=row.id, queue=queue, now=later, session_id=session_id)
    assert job.place(again) == "open" and again.job_id == f"{function}:{row.id}:4" and job.reason(again) is None
    assert [j.job_id for j in queue.jobs[before:]] == [f"{function}:{row.id}:4"]
    assert await AuditEvent.filter(action=f"{job.entity}.retry", entity_id=str(row.id)).count() == 1
    # the deadline counts from the retry: the reconciler leaves it alone while the queue holds it
    assert await _reconcile(queue, later + timedelta(minutes=4)) == Reconciled(0, 0, 0)
    # a job that ended for a reason of the input is not retried, nor is a finished one
    await job.fail(kinds.OpenJob(row.id, again.job_id, later, 1), code="NO_FACE", message="未检测到人脸", now=later)
    with pytest.raises(Conflict) as caught:
        await retry_job(actor=who, kind=kind, record_id=row.id, queue=queue, now=later, session_id=session_id)
    assert caught.value.code == "NOT_RETRYABLE"
    await job.model.filter(id=row.id).update(**{job.status: job.done_values[0]})
    with pytest.raises(Conflict) as caught:
        await retry_job(actor=who, kind=kind, record_id=row.id, queue=queue, now=later, session_id=session_id)
    assert caught.value.code == "ALREADY_DONE" and len(queue.jobs) == before + 1


async def test_retry_is_checked_like_the_action_that_started_the_job(demo, media, vault):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    await checks.fail_id_card_read(read_id=row.id, code="TIMEOUT", message="超时", now=NOW)
    auditor = await actor("auditor")  # may look, may not conduct a visit
    with pytest.raises(Forbidden):
        await retry_job(actor=auditor, kind="ocr", record_id=row.id, queue=queue, now=NOW)
    with pytest.raises(NotFound):  # a customer match is not a login face match, whatever the URL says
        await retry_job(actor=await actor(), kind="login_face", record_id=row.id, queue=queue, now=NOW)
    assert (await IdCardRead.get(id=row.id)).status == JobStatus.FAILED and len(queue.jobs) == 1


async def test_retrying_the_login_check_runs_its_failed_face_match_again_too(demo, media, vault):
    queue = FakeJobQueue()
    check = await _liveness(media, queue, vault)
    match = await FaceVerification.get(liveness_id=check.id)
    for kind, row in (("liveness", check), ("login_face", match)):
        await kinds.KINDS[kind].fail(kinds.OpenJob(row.id, row.job_id, NOW, 1), code="JOB_LOST", message=JOB_LOST_MESSAGE, now=NOW)
    officer = await actor()
    await retry_job(actor=officer, kind="liveness", record_id=check.id, queue=queue, now=NOW, session_id=check.session_id)
    assert (await LivenessCheck.get(id=check.id)).status == LivenessStatus.PENDING
    assert (await FaceVerification.get(id=match.id)).status == JobStatus.PENDING
    assert queue.ids()[-2:] == [f"check_liveness:{check.id}:4", f"verify_face:{match.id}:4"]


# --- provincial sync: the outbox's attempts under the same reconciler ---------------------------


class _Hangs:
    """A provincial system whose call never returns: the worker dies mid-send."""

    async def send(self, **_):
        raise SystemExit  # stands for the process dying: nothing after the claim runs


async def test_a_sync_attempt_lost_mid_send_is_freed_then_failed_after_the_last_attempt(demo):
    message = await enqueue_outbox(OutboxKind.LINE_GRANTED, {"customerHash": "a" * 64}, now=NOW)
    queue = FakeJobQueue()
    for attempt in (1, 2, 3):
        due = (await OutboxMessage.get(id=message.id)).next_attempt_at
        with pytest.raises(SystemExit):
            await send_due_messages(adapter=_Hangs(), now=due, max_attempts=3, base_seconds=60, max_seconds=3600)
        row = await OutboxMessage.get(id=message.id)
        assert (row.status, row.attempts, row.started_at) == (OutboxStatus.RUNNING, attempt, due)
        # the sender is still within its deadline: left alone
        assert await _reconcile(queue, due + timedelta(minutes=1), DEFAULT_QUEUE) == Reconciled(0, 0, 0)
        done = await _reconcile(queue, due + timedelta(minutes=3), DEFAULT_QUEUE)
        assert done == (Reconciled(0, 1, 0) if attempt < 3 else Reconciled(0, 0, 1))
    dead = await OutboxMessage.get(id=message.id)
    assert (dead.status, dead.last_error) == (OutboxStatus.DEAD, "报送服务中断，已自动重试 3 次仍未完成，请点击“重试”")
    assert queue.jobs == []  # the outbox's cron sends; nothing goes through arq
    assert await AuditEvent.filter(action="outbox_message.failed", entity_id=str(message.id)).count() == 1
