import time

import pytest
from arq.worker import Worker

from app.models import Contract, OutboxMessage
from app.models.contract import ContractStatus
from app.models.outbox import OutboxKind, OutboxStatus
from app.services.actor import SYSTEM
from app.services.contracts import create_contract, request_contract_render
from app.services.documents import MediaStore
from app.services.jobs import DEFAULT_QUEUE, ArqJobQueue
from app.services.outbox import enqueue_outbox
from app.wiring import Adapters, redis_settings
from tests.factories import customer_with_line
from tests.services.contracts.helpers import NOW, TODAY
from workers.default import DefaultWorker


async def _burst(settings, ctx):
    worker = Worker(
        functions=DefaultWorker.functions, queue_name=DEFAULT_QUEUE, redis_settings=redis_settings(settings),
        burst=True, poll_delay=0.05, ctx=ctx, handle_signals=False,
    )
    try:
        await worker.main()
    finally:
        await worker.close()


@pytest.mark.pdf
async def test_the_web_side_queues_the_render_and_a_worker_renders_it(demo, vault, settings, redis_server):
    # given a draft contract and the real queue
    _, line = await customer_with_line(vault, checked=False)
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    queue = ArqJobQueue(redis_settings(settings))
    try:
        queued = await request_contract_render(actor=SYSTEM, contract_id=contract.id, queue=queue, now=NOW)
        assert (queued.status, queued.render_status, queued.render_job_id) == (ContractStatus.DRAFT, "pending", f"render_contract:{contract.id}")
        # when a worker drains the queue
        await _burst(settings, {"media": MediaStore(settings.media_dir), "settings": settings})
    finally:
        await queue.close()
    # then the contract is rendered with its unsigned PDF on record
    done = await Contract.get(id=contract.id)
    assert done.status == ContractStatus.RENDERED and done.unsigned_document_id is not None and done.error is None
    assert (done.render_status, done.render_started_at is not None) == ("done", True)


async def test_the_outbox_job_sends_through_the_sandbox(db, settings, redis_server):
    from datetime import UTC, datetime

    sent = await enqueue_outbox(OutboxKind.LINE_GRANTED, {"customerHash": "1" * 64}, now=datetime(2026, 1, 1, tzinfo=UTC))
    refused = await enqueue_outbox(OutboxKind.LINE_GRANTED, {"customerHash": "1" * 62 + "ff"}, now=datetime(2026, 1, 1, tzinfo=UTC))
    queue = ArqJobQueue(redis_settings(settings))
    try:
        assert await queue.enqueue("send_outbox", job_id=f"send_outbox:test-{time.time_ns()}")
        await _burst(settings, {"settings": settings, "provincial": Adapters.from_settings(settings).provincial})  # as the start-up wires it
    finally:
        await queue.close()
    assert (await OutboxMessage.get(id=sent.id)).status == OutboxStatus.SENT
    assert (await OutboxMessage.get(id=refused.id)).status == OutboxStatus.DEAD


def test_the_outbox_cron_runs_every_minute():
    (job,) = [c for c in DefaultWorker.cron_jobs if c.name == "cron:send_outbox"]
    assert job.minute is None and job.second == 0 and job.unique
