"""A contract PDF job the queue lost ends with a reason the officer sees (and may render again)."""

from __future__ import annotations

from datetime import timedelta

from app.models import Contract
from app.models.contract import ContractStatus
from app.services.actor import SYSTEM
from app.services.contracts import create_contract, request_contract_render
from app.services.contracts.reconcile import RENDER_LOST, reconcile_contract_renders
from app.services.jobs import FINISHED, RUNNING, UNKNOWN
from tests.factories import customer_with_line
from tests.fakes import FakeJobQueue
from tests.services.contracts.helpers import NOW, TODAY


async def _requested(vault, queue, n: int):
    _, line = await customer_with_line(vault, checked=False, sequence=300 + n, card=f"621700001000{1000 + n}")
    contract = await create_contract(actor=SYSTEM, credit_line_id=line.id, today=TODAY)
    return await request_contract_render(actor=SYSTEM, contract_id=contract.id, queue=queue, now=NOW)


async def test_a_render_the_queue_lost_or_gave_up_on_ends_with_a_reason(demo, vault):
    queue = FakeJobQueue()
    waiting, lost, crashed, running = [await _requested(vault, queue, n) for n in range(4)]
    queue.states.update({lost.render_job_id: UNKNOWN, crashed.render_job_id: FINISHED, running.render_job_id: RUNNING})
    assert await reconcile_contract_renders(queue=queue, now=NOW + timedelta(minutes=1)) == 2
    rows = {c.id: (c.status, c.error) for c in await Contract.all()}
    assert rows[waiting.id] == rows[running.id] == (ContractStatus.DRAFT, None)
    assert rows[lost.id] == rows[crashed.id] == (ContractStatus.DRAFT, RENDER_LOST)
    # a render running past the deadline ends too, whatever the queue says
    assert await reconcile_contract_renders(queue=queue, now=NOW + timedelta(minutes=11)) == 2
    assert (await Contract.get(id=running.id)).error == RENDER_LOST
    # and the officer can ask again: a new job id
    again = await request_contract_render(actor=SYSTEM, contract_id=lost.id, queue=queue, now=NOW + timedelta(minutes=12))
    assert again.error is None and again.render_job_id != lost.render_job_id
