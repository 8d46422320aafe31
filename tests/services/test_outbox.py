from datetime import UTC, datetime, timedelta

import pytest
from tortoise.transactions import in_transaction

from app.domain.errors import Conflict, Forbidden
from app.integrations.provincial import SandboxProvincial
from app.models import AuditEvent, OutboxMessage
from app.models.outbox import OutboxKind, OutboxStatus
from app.services.actor import SYSTEM
from app.services.outbox import (
    backoff,
    customer_hash,
    dead_letters,
    enqueue_outbox,
    line_granted_payload,
    send_due_messages,
)
from app.services.job_lifecycle.retry import retry_job
from tests.factories import customer_with_line, officer
from tests.fakes import FakeJobQueue

T0 = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
POLICY = {"base_seconds": 60, "max_seconds": 3600}


def payload(tail: str, n: int = 0) -> dict:
    return {"customerHash": f"{n:02x}" + "a" * 60 + tail}


async def run(at: datetime, max_attempts: int = 4):
    return await send_due_messages(adapter=SandboxProvincial(), now=at, max_attempts=max_attempts, **POLICY)


async def _actor(username: str):
    from app.services.actor import Actor
    from app.services.auth.officers import branch_scope
    from app.domain.vocabulary import ActorType

    o = await officer(username)
    return Actor(type=ActorType.OFFICER, id=o.id, role=o.role, branch_ids=await branch_scope(o.branch_id), bank_id=o.branch.bank_id)


async def test_a_message_exists_only_if_its_transaction_commits(db):
    with pytest.raises(RuntimeError):
        async with in_transaction():
            await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("00"), key="line_granted:x", now=T0)
            raise RuntimeError("the business change failed")
    assert await OutboxMessage.all().count() == 0
    async with in_transaction():
        first = await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("00"), key="line_granted:x", now=T0)
    again = await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("01"), key="line_granted:x", now=T0)
    assert again.id == first.id and await OutboxMessage.all().count() == 1
    assert (first.status, first.attempts, first.next_attempt_at) == (OutboxStatus.PENDING, 0, T0)


async def test_a_plaintext_id_number_never_enters_the_outbox(db):
    with pytest.raises(ValueError):
        await enqueue_outbox(OutboxKind.LINE_GRANTED, {"customer": {"id": "141023196803153574"}}, now=T0)
    assert await OutboxMessage.all().count() == 0


async def test_line_payload_carries_hash_and_mask_only(demo, vault):
    customer, line = await customer_with_line(vault, checked=False)
    data = await line_granted_payload(line)
    assert data["customerHash"] == customer_hash(customer) and len(data["customerHash"]) == 64
    assert data["idNumberMasked"] == customer.id_number_masked and data["limit"] == "100000.00"
    message = await enqueue_outbox(OutboxKind.LINE_GRANTED, data, key=f"line_granted:{line.id}", now=T0)
    assert message.payload == data


async def test_sent_at_once_and_after_retries_with_exponential_backoff(db):
    ok = await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("00"), now=T0)
    flaky = await enqueue_outbox(OutboxKind.CONTRACT_SIGNED, payload("fd", 1), now=T0)
    first = await run(T0)
    assert (first.sent, first.retried, first.dead) == (1, 1, 0)
    ok = await OutboxMessage.get(id=ok.id)
    assert ok.status == OutboxStatus.SENT and ok.remote_ref.startswith("SBX-") and ok.sent_at == T0 and ok.attempts == 1
    flaky = await OutboxMessage.get(id=flaky.id)
    assert (flaky.status, flaky.attempts, flaky.next_attempt_at, flaky.last_error) == (OutboxStatus.PENDING, 1, T0 + timedelta(seconds=60), "省联社系统暂不可用（沙箱）")
    # not due yet: nothing happens
    assert (await run(T0 + timedelta(seconds=59))).retried == 0
    # attempts 2 and 3 fail (back-off 120 s, 240 s), attempt 4 succeeds
    at = T0 + timedelta(seconds=60)
    for delay in (120, 240):
        assert (await run(at)).retried == 1
        at += timedelta(seconds=delay)
        assert (await OutboxMessage.get(id=flaky.id)).next_attempt_at == at
    assert (await run(at)).sent == 1
    flaky = await OutboxMessage.get(id=flaky.id)
    assert (flaky.status, flaky.attempts, flaky.last_error) == (OutboxStatus.SENT, 4, None)


async def test_dead_after_the_last_attempt_or_at_once_when_rejected(db):
    down = await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("fe"), now=T0)
    refused = await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("ff", 1), now=T0)
    report = await run(T0, max_attempts=3)
    assert (report.retried, report.dead) == (1, 1)
    refused = await OutboxMessage.get(id=refused.id)
    assert (refused.status, refused.attempts) == (OutboxStatus.DEAD, 1) and "拒绝" in refused.last_error
    at = T0
    for _ in range(2):
        at = (await OutboxMessage.get(id=down.id)).next_attempt_at
        await run(at, max_attempts=3)
    down = await OutboxMessage.get(id=down.id)
    assert (down.status, down.attempts) == (OutboxStatus.DEAD, 3)
    assert (await run(at + timedelta(days=1), max_attempts=3)).dead == 0  # dead letters are not retried


async def test_two_workers_never_send_the_same_attempt(db):
    import asyncio

    await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("00"), now=T0)
    calls = []

    class Slow(SandboxProvincial):
        async def send(self, **kw):
            calls.append(kw["attempt"])
            await asyncio.sleep(0.05)
            return await super().send(**kw)

    reports = await asyncio.gather(*(send_due_messages(adapter=Slow(), now=T0, max_attempts=3, **POLICY) for _ in range(2)))
    assert calls == [1] and sorted(r.sent for r in reports) == [0, 1]


def test_backoff_doubles_up_to_the_cap():
    assert [backoff(n, base_seconds=60, max_seconds=600).total_seconds() for n in (1, 2, 3, 4, 5)] == [60, 120, 240, 480, 600]


async def test_admin_lists_and_retries_dead_letters(demo):
    message = await enqueue_outbox(OutboxKind.LINE_GRANTED, payload("fc"), now=T0)
    await run(T0, max_attempts=1)
    admin, clerk = await _actor("admin"), await _actor("officer1")
    assert [m.id for m in await dead_letters(actor=admin)] == [message.id]
    with pytest.raises(Forbidden):
        await dead_letters(actor=clerk)
    queue = FakeJobQueue()
    retry = dict(kind="sync", record_id=message.id, queue=queue)
    with pytest.raises(Forbidden):
        await retry_job(actor=clerk, now=T0, **retry)
    later = T0 + timedelta(hours=1)
    resent = await retry_job(actor=admin, now=later, **retry)
    assert (resent.status, resent.attempts, resent.next_attempt_at) == (OutboxStatus.PENDING, 0, later)
    assert await AuditEvent.filter(action="outbox_message.retry", entity_id=str(message.id)).count() == 1
    # a second click changes nothing (the cron sends pending messages: nothing is queued in arq)
    again = await retry_job(actor=admin, now=later + timedelta(seconds=1), **retry)
    assert (again.status, again.next_attempt_at) == (OutboxStatus.PENDING, later) and queue.jobs == []
    assert await AuditEvent.filter(action="outbox_message.retry", entity_id=str(message.id)).count() == 1
    # the sandbox's "fc" fails the first attempt again, then the message goes through
    await run(later, max_attempts=2)
    await run(later + timedelta(seconds=60), max_attempts=2)
    assert (await OutboxMessage.get(id=message.id)).status == OutboxStatus.SENT
    assert await dead_letters(actor=SYSTEM) == []
    with pytest.raises(Conflict) as exc:  # a sent message is not sent again
        await retry_job(actor=admin, now=later, **retry)
    assert exc.value.code == "ALREADY_DONE"


async def test_a_line_and_its_message_commit_or_roll_back_together(demo, vault):
    from datetime import date

    from app.models import CreditLine, Customer
    from app.services.lending.lines import grant_credit_line
    from app.services.outbox import enqueue_line_granted

    customer, _ = await customer_with_line(vault, checked=False)
    grant = dict(actor=SYSTEM, customer_id=customer.id, product_code="GJJ", limit_fen=5_000_000, valid_from=date(2026, 1, 1), valid_until=date(2027, 12, 31))
    with pytest.raises(RuntimeError):
        async with in_transaction():
            line = await grant_credit_line(**grant)
            await enqueue_line_granted(line, now=T0)
            raise RuntimeError("the visit step failed after granting")
    assert await CreditLine.filter(product__code="GJJ").count() == 0 and await OutboxMessage.all().count() == 0
    async with in_transaction():
        line = await grant_credit_line(**grant)
        message = await enqueue_line_granted(line, now=T0)
    assert message.key == f"line_granted:{line.id}" and message.payload["customerHash"] == customer_hash(await Customer.get(id=customer.id))


async def test_provincial_messages_carry_the_granting_banks_institution_code_and_legal_name(demo, vault):
    from types import SimpleNamespace

    from app.services.outbox import contract_signed_payload
    from tests.factories.banks import SECOND_BANK_CODE, YC_BRANCH, second_bank

    # given a line of bank #1 and a line of the second bank
    await second_bank()
    _, ours = await customer_with_line(vault, checked=False)
    _, theirs = await customer_with_line(vault, checked=False, branch_code=YC_BRANCH, sequence=358)
    # when their messages are made
    first, second = await line_granted_payload(ours), await line_granted_payload(theirs)
    contract = SimpleNamespace(id=theirs.id, number="YC-1", credit_line_id=theirs.id, customer_id=theirs.customer_id, co_borrower_id=None,
                               annual_rate_ppm=43500, contract_on=T0.date(), sealed_at=T0)
    signed = await contract_signed_payload(contract, sha256="0" * 64)
    # then each names its own bank by institution code and legal name
    assert (first["institutionCode"], first["institutionName"]) == ("14102301", "山西襄汾农村商业银行股份有限公司")
    assert (second["institutionCode"], second["institutionName"]) == (SECOND_BANK_CODE, "山西翼城农村商业银行股份有限公司")
    assert (signed["institutionCode"], signed["institutionName"]) == (SECOND_BANK_CODE, "山西翼城农村商业银行股份有限公司")
    message = await enqueue_outbox(OutboxKind.LINE_GRANTED, second, key=f"line_granted:{theirs.id}", now=T0)
    assert message.payload["institutionCode"] == SECOND_BANK_CODE
