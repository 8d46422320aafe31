"""A contract PDF job follows the one lifecycle: pending → running → done | failed, and the reconciler ends lost ones."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.errors import Conflict
from app.models import AuditEvent, Contract
from app.models.contract import ContractStatus
from app.models.identity import JobStatus
from app.services.actor import SYSTEM
from app.services.contracts import create_contract, render_contract, request_contract_render
from app.services.job_lifecycle.kinds import CONTRACT
from app.services.job_lifecycle.reconcile import Reconciled, reconcile_jobs
from app.services.job_lifecycle.retry import retry_job
from app.services.jobs import DEFAULT_QUEUE, FINISHED, RUNNING, UNKNOWN
from tests.factories import customer_with_line
from tests.factories.risk import actor
from tests.fakes import FakeJobQueue
from tests.services.contracts.helpers import NOW, TODAY

LOST = "合同生成服务中断，已自动重试 3 次仍未完成，请点击“重试”"
TIMEOUT = "合同生成超时（服务繁忙或中断），请点击“重试”"


async def _requested(vault, queue, n: int):
    _, line = await customer_with_line(vault, checked=False, sequence=300 + n, card=f"621700001000{1000 + n}")
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    return await request_contract_render(actor=SYSTEM, contract_id=contract.id, queue=queue, now=NOW)


async def _reconcile(queue, at):
    return await reconcile_jobs(kinds=[CONTRACT], queue=queue, now=at)


class _Renderer:
    """A renderer that fails (the worker's WeasyPrint is tested in tests/workers)."""

    async def render(self, html: str):
        raise RuntimeError("boom")


async def test_a_requested_render_is_pending_then_running_then_failed_with_a_reason(demo, vault, tmp_path):
    from app.services.documents import MediaStore

    queue = FakeJobQueue()
    contract = await _requested(vault, queue, 0)
    assert (contract.render_status, contract.render_job_id, contract.render_requested_at) == (JobStatus.PENDING, f"render_contract:{contract.id}", NOW)
    assert [(j.function, j.job_id, j.queue) for j in queue.jobs] == [("render_contract", f"render_contract:{contract.id}", DEFAULT_QUEUE)]
    # asking again while it is pending queues nothing (a double click)
    await request_contract_render(actor=SYSTEM, contract_id=contract.id, queue=queue, now=NOW + timedelta(seconds=1))
    assert len(queue.jobs) == 1
    failed = await render_contract(contract_id=contract.id, media=MediaStore(tmp_path), renderer=_Renderer(), now=NOW, actor=SYSTEM)
    assert (failed.status, failed.render_status, failed.render_error_code, failed.render_started_at) == (
        ContractStatus.DRAFT, JobStatus.FAILED, "RENDER_FAILED", NOW)
    assert failed.error == "合同生成失败（RuntimeError）"


async def test_a_render_the_queue_lost_is_queued_again_then_failed_after_three_attempts(demo, vault):
    queue = FakeJobQueue()
    waiting, lost, crashed, running = [await _requested(vault, queue, n) for n in range(4)]
    queue.states.update({lost.render_job_id: UNKNOWN, crashed.render_job_id: FINISHED, running.render_job_id: RUNNING})
    assert await _reconcile(queue, NOW + timedelta(minutes=1)) == Reconciled(0, 2, 0)
    assert (await Contract.get(id=lost.id)).render_job_id == f"render_contract:{lost.id}:2"
    for attempt in (2, 3):
        queue.states[f"render_contract:{lost.id}:{attempt}"] = UNKNOWN
    await _reconcile(queue, NOW + timedelta(minutes=2))
    assert await _reconcile(queue, NOW + timedelta(minutes=3)) == Reconciled(0, 0, 1)
    row = await Contract.get(id=lost.id)
    assert (row.render_status, row.render_error_code, row.error) == (JobStatus.FAILED, "JOB_LOST", LOST)
    assert (await Contract.get(id=waiting.id)).render_status == JobStatus.PENDING
    assert await AuditEvent.filter(action="contract_render.failed", entity_id=str(lost.id)).count() == 1


async def test_a_render_running_past_its_deadline_fails_then_the_officer_retries_it_once(demo, vault):
    queue = FakeJobQueue()
    running = await _requested(vault, queue, 0)
    queue.states[running.render_job_id] = RUNNING
    assert await _reconcile(queue, NOW + timedelta(minutes=9)) == Reconciled(0, 0, 0)
    assert await _reconcile(queue, NOW + timedelta(minutes=11)) == Reconciled(0, 0, 1)
    row = await Contract.get(id=running.id)
    assert (row.render_status, row.render_error_code, row.error) == (JobStatus.FAILED, "TIMEOUT", TIMEOUT)
    # 重试: a new round's job id, pending again, the deadline counting from the retry; a second click queues nothing
    later = NOW + timedelta(minutes=12)
    officer = await actor()
    for _ in range(2):
        again = await retry_job(actor=officer, kind="contract", record_id=running.id, queue=queue, now=later)
    assert (again.render_status, again.render_job_id, again.error, again.render_requested_at) == (
        JobStatus.PENDING, f"render_contract:{running.id}:4", None, later)
    assert [j.job_id for j in queue.jobs] == [f"render_contract:{running.id}", f"render_contract:{running.id}:4"]
    assert await AuditEvent.filter(action="contract_render.retry", entity_id=str(running.id)).count() == 1
    assert await _reconcile(queue, later + timedelta(minutes=5)) == Reconciled(0, 0, 0)


async def test_a_rendered_contract_cannot_be_retried(demo, vault):
    queue = FakeJobQueue()
    contract = await _requested(vault, queue, 0)
    await Contract.filter(id=contract.id).update(render_status=JobStatus.DONE, status=ContractStatus.RENDERED)
    with pytest.raises(Conflict) as caught:
        await retry_job(actor=await actor(), kind="contract", record_id=contract.id, queue=queue, now=NOW)
    assert caught.value.code == "ALREADY_DONE" and len(queue.jobs) == 1
