"""Collection tasks on a real database: opened for overdue loans, closed when cured, actions validated."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.models import AuditEvent, CollectionAction, CollectionTask, Loan, Officer
from app.models.collection import CloseReason, CollectionStatus
from app.services import business_date
from app.services.risk.collections import open_collection_tasks, record_collection_action, tasks_query
from tests.factories.risk import actor
from tests.factories.worklists import TODAY, cure, drawn_loan, make_overdue

ON = date(2027, 1, 10)
NOW = datetime(2027, 1, 10, 3, 0, tzinfo=UTC)


@pytest.fixture
async def bank(demo):
    await business_date.set_current(TODAY)
    return demo


async def _task(vault, *, days_past_due=13):
    _, _, loan = await drawn_loan(vault)
    await make_overdue(loan, days_past_due=days_past_due)
    await open_collection_tasks(on=ON)
    return loan, await CollectionTask.get(loan_id=loan.id)


async def test_every_overdue_loan_gets_one_open_task(bank, vault):
    _, _, overdue = await drawn_loan(vault)
    _, _, fine = await drawn_loan(vault, sequence=359, card="6217000010004321")
    await make_overdue(overdue, days_past_due=13)
    report = await open_collection_tasks(on=ON)
    assert (report.opened, report.closed) == (1, 0)
    task = await CollectionTask.get(loan_id=overdue.id)
    assert task.status == CollectionStatus.OPEN and task.open_loan_id == overdue.id and task.opened_dpd == 13
    assert task.officer_id == (await Officer.get(username="officer1")).id and task.next_action_on == ON
    assert not await CollectionTask.filter(loan_id=fine.id).exists()
    again = await open_collection_tasks(on=ON)
    assert (again.opened, again.closed) == (0, 0) and await CollectionTask.all().count() == 1
    assert [e.after["opened"] for e in await AuditEvent.filter(action="collection.run").order_by("at")] == [1, 0]


async def test_a_cured_loan_closes_its_task_and_a_new_episode_opens_a_new_one(bank, vault):
    loan, task = await _task(vault)
    await cure(loan)
    report = await open_collection_tasks(on=ON + timedelta(days=3))
    assert (report.opened, report.closed) == (0, 1)
    task = await CollectionTask.get(id=task.id)
    assert (task.status, task.close_reason, task.closed_on, task.open_loan_id) == (CollectionStatus.CLOSED, CloseReason.CURED, ON + timedelta(days=3), None)
    await make_overdue(loan, days_past_due=1, installments=2)
    assert (await open_collection_tasks(on=ON + timedelta(days=40))).opened == 1
    assert await CollectionTask.filter(loan_id=loan.id).count() == 2
    assert await CollectionTask.filter(loan_id=loan.id, status="open").count() == 1


async def test_a_settled_loan_closes_as_settled(bank, vault):
    loan, task = await _task(vault)
    await Loan.filter(id=loan.id).update(status="settled")
    opened_at = (await CollectionTask.get(id=task.id)).updated_at
    await open_collection_tasks(on=ON + timedelta(days=1))
    closed = await CollectionTask.get(id=task.id)
    assert closed.close_reason == CloseReason.SETTLED
    assert opened_at is not None and closed.updated_at > opened_at  # closing is a change the reporting table syncs


async def test_a_promise_to_pay_is_recorded_with_its_follow_up(bank, vault):
    _, task = await _task(vault)
    officer = await actor("officer1")
    action = await record_collection_action(
        actor=officer, task_id=task.id, kind="promise_to_pay", outcome="客户承诺月底前还清", promised_amount_fen=100_000,
        promised_on=ON + timedelta(days=5), today=ON, now=NOW,
    )
    assert (action.promised_amount_fen, action.promised_on, action.officer_id) == (100_000, ON + timedelta(days=5), officer.id)
    assert (await CollectionTask.get(id=task.id)).next_action_on == ON + timedelta(days=6)
    event = await AuditEvent.get(action="collection.action", entity_id=str(task.id))
    assert event.after["kind"] == "promise_to_pay" and event.after["promisedAmountFen"] == 100_000
    call = await record_collection_action(actor=officer, task_id=task.id, kind="call", outcome="电话无人接听", next_action_on=ON + timedelta(days=1), today=ON, now=NOW)
    assert call.promised_amount_fen is None and (await CollectionTask.get(id=task.id)).next_action_on == ON + timedelta(days=1)


def _bad(**overrides):
    base = {"kind": "promise_to_pay", "outcome": "客户承诺还款", "promised_amount_fen": 10_000, "promised_on": ON + timedelta(days=3)}
    return {**base, **overrides}


@pytest.mark.parametrize(
    ("username", "inputs", "error", "code", "field"),
    [
        ("officer1", _bad(promised_amount_fen=0), ValidationError, "INVALID_AMOUNT", "promised_amount"),
        ("officer1", _bad(promised_amount_fen=None), ValidationError, "INVALID_AMOUNT", "promised_amount"),
        ("officer1", _bad(promised_amount_fen=99_999_900), ValidationError, "INVALID_AMOUNT", "promised_amount"),  # above what is owed
        ("officer1", _bad(promised_on=ON), ValidationError, "INVALID_DATE", "promised_on"),
        ("officer1", _bad(promised_on=None), ValidationError, "INVALID_DATE", "promised_on"),
        ("officer1", _bad(promised_on=ON + timedelta(days=91)), ValidationError, "INVALID_DATE", "promised_on"),
        ("officer1", _bad(kind="call"), ValidationError, "INVALID", "promised_amount"),
        ("officer1", _bad(kind="sms"), ValidationError, "INVALID", "kind"),
        ("officer1", _bad(outcome="  "), ValidationError, "INVALID", "outcome"),
        ("officer1", {"kind": "call", "outcome": "无人接听", "next_action_on": ON - timedelta(days=1)}, ValidationError, "INVALID_DATE", "next_action_on"),
        ("officer1", {"kind": "legal", "outcome": "移交律师"}, Forbidden, "FORBIDDEN", "kind"),
        ("manager", {"kind": "legal", "outcome": "移交律师"}, ValidationError, "INVALID", "kind"),  # only 13 days past due
        ("officer2", {"kind": "call", "outcome": "无人接听"}, NotFound, "NOT_FOUND", "task_id"),
        ("auditor", {"kind": "call", "outcome": "无人接听"}, Forbidden, "FORBIDDEN", None),
    ],
)
async def test_bad_actions_change_nothing(bank, vault, username, inputs, error, code, field):
    _, task = await _task(vault)
    with pytest.raises(error) as exc:
        await record_collection_action(actor=await actor(username), task_id=task.id, today=ON, now=NOW, **inputs)
    assert (exc.value.code, exc.value.field) == (code, field)
    assert await CollectionAction.all().count() == 0
    assert (await CollectionTask.get(id=task.id)).next_action_on == ON
    assert not await AuditEvent.filter(action="collection.action").exists()


async def test_legal_collection_by_a_manager_on_a_loan_90_days_past_due(bank, vault):
    _, task = await _task(vault, days_past_due=95)
    action = await record_collection_action(actor=await actor("manager"), task_id=task.id, kind="legal", outcome="已委托律师起诉", today=ON, now=NOW)
    assert action.kind == "legal"


async def test_no_action_on_a_closed_task(bank, vault):
    loan, task = await _task(vault)
    await cure(loan)
    await open_collection_tasks(on=ON)
    with pytest.raises(DomainError) as exc:
        await record_collection_action(actor=await actor("officer1"), task_id=task.id, kind="call", outcome="无人接听", today=ON, now=NOW)
    assert isinstance(exc.value, Conflict) and exc.value.code == "TASK_CLOSED"
    assert await CollectionAction.all().count() == 0


async def test_task_worklists_are_scoped(bank, vault):
    _, task = await _task(vault)
    assert [t.id for t in await tasks_query(await actor("officer1"), status="open")] == [task.id]
    assert await tasks_query(await actor("officer2")).count() == 0
    assert await tasks_query(await actor("manager"), status="closed").count() == 0
    assert await tasks_query(await actor("approver")).count() == 1
