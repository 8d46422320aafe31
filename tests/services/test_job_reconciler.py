"""The reconciler: every identity-check row ends done or failed, whatever the queue lost."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.errors import Conflict
from app.models import AuditEvent, IdCardRead
from app.models.identity import JobStatus
from app.services import identity_checks as checks
from app.services.documents import MediaStore
from app.services.jobs import FINISHED, ML_QUEUE, QUEUED, RUNNING, UNKNOWN
from tests.factories.risk import actor
from tests.fakes import FakeJobQueue

JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 64
JOB_LOST_MESSAGE = "识别服务中断，已自动重试 3 次仍未完成，请点击“重试”"


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


async def _read(media, queue):
    read = await checks.start_id_card_read(actor=await actor(), media=media, queue=queue, data=JPEG, side="front")
    return await IdCardRead.get(id=read.id)


@pytest.mark.parametrize("state", [QUEUED, RUNNING])
async def test_a_job_the_queue_still_holds_is_left_alone(demo, media, state):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    queue.states[row.job_id] = state
    done = await checks.reconcile_identity_jobs(queue=queue, now=row.created_at + timedelta(minutes=1))
    assert done == checks.Reconciled(0, 0, 0)
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
        assert await checks.reconcile_identity_jobs(queue=queue, now=now) == checks.Reconciled(0, 1, 0)
        assert (await IdCardRead.get(id=row.id)).job_id == f"read_id_card:{row.id}:{attempt}"
    assert [(j.function, j.job_id, j.queue, j.kwargs) for j in queue.jobs[1:]] == [
        ("read_id_card", f"read_id_card:{row.id}:{n}", ML_QUEUE, {"read_id": str(row.id)}) for n in (2, 3)
    ]
    # and when the third attempt is lost too, the row fails with a reason, not queued a fourth time
    queue.states[f"read_id_card:{row.id}:3"] = state
    assert await checks.reconcile_identity_jobs(queue=queue, now=now) == checks.Reconciled(0, 0, 1)
    failed = await IdCardRead.get(id=row.id)
    assert (failed.status, failed.error_code, failed.error) == (JobStatus.FAILED, "JOB_LOST", JOB_LOST_MESSAGE)
    assert len(queue.jobs) == 3
    assert await AuditEvent.filter(action="id_card_read.failed", entity_id=str(row.id)).count() == 1


async def test_a_row_open_past_its_deadline_fails_even_while_the_queue_says_running(demo, media):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    queue.states[row.job_id] = RUNNING
    assert await checks.reconcile_identity_jobs(queue=queue, now=row.created_at + timedelta(minutes=4, seconds=59)) == checks.Reconciled(0, 0, 0)
    assert await checks.reconcile_identity_jobs(queue=queue, now=row.created_at + timedelta(minutes=5, seconds=1)) == checks.Reconciled(0, 0, 1)
    failed = await IdCardRead.get(id=row.id)
    assert (failed.status, failed.error_code, failed.error) == (JobStatus.FAILED, "TIMEOUT", "识别超时（服务繁忙或中断），请点击“重试”")


async def test_finished_rows_are_never_touched(demo, media):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    await checks.fail_id_card_read(read_id=row.id, code="BAD_IMAGE", message="坏图", now=row.created_at)
    queue.states[row.job_id] = UNKNOWN
    assert await checks.reconcile_identity_jobs(queue=queue, now=row.created_at + timedelta(hours=1)) == checks.Reconciled(0, 0, 0)
    assert (await IdCardRead.get(id=row.id)).error_code == "BAD_IMAGE" and len(queue.jobs) == 1


async def test_retry_reads_the_same_photo_again_as_a_new_row_only_after_a_service_failure(demo, media):
    queue = FakeJobQueue()
    row = await _read(media, queue)
    officer = await actor()
    await checks.fail_id_card_read(read_id=row.id, code="BAD_IMAGE", message="坏图", now=row.created_at)
    with pytest.raises(Conflict) as caught:  # a bad photo is shot again, not retried
        await checks.retry_id_card_read(actor=officer, read_id=row.id, queue=queue)
    assert caught.value.code == "NOT_RETRYABLE" and len(queue.jobs) == 1
    other = await _read(media, queue)
    await checks.fail_id_card_read(read_id=other.id, code="JOB_LOST", message=JOB_LOST_MESSAGE, now=other.created_at)
    retried = await checks.retry_id_card_read(actor=officer, read_id=other.id, queue=queue)
    fresh = await IdCardRead.get(id=retried.id)
    assert fresh.id != other.id and (fresh.status, fresh.image_id, fresh.side, fresh.job_id) == (
        JobStatus.PENDING, other.image_id, other.side, f"read_id_card:{fresh.id}")
    assert queue.ids()[-1] == f"read_id_card:{fresh.id}"
    assert (await IdCardRead.get(id=other.id)).status == JobStatus.FAILED  # the failed record stays as it ended
