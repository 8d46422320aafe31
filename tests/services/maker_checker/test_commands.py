"""Maker-checker: a request waits for a second officer, who sees its effect (before and after, both when it
changed), may not be its maker, and runs it exactly once; rejected, expired and failed requests are kept."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.errors import Conflict, Forbidden, ValidationError
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.models import PendingCommand
from app.services.maker_checker.commands import approve, command_view, pending_queue, propose, reject
from tests.factories.banks import second_bank
from tests.services.maker_checker.conftest import NOW, TODAY, actor, executions

POLICY = MakerCheckerPolicy()


async def _propose(amount_fen=30_000, **kw):
    maker = await actor("officer1")
    return await propose(actor=maker, kind="write_off", params={"amount_fen": amount_fen}, reason="测试", today=TODAY, now=NOW,
                         policy=kw.get("policy", POLICY))


async def test_a_request_waits_with_the_effect_the_maker_saw(test_kind, book):
    command = await _propose()
    assert command.status == CommandStatus.PENDING
    assert command.preview["figures"] == [{"label": "余额", "before": 100_000, "after": 70_000, "money": True}]
    assert await executions() == 0 and book.balance_fen == 100_000
    checker = await actor("approver")
    assert [c.id for c in await pending_queue(actor=checker, now=NOW)] == [command.id]


async def test_the_checker_approves_and_it_runs_once(test_kind, book):
    command = await _propose()
    checker = await actor("approver")
    view = await command_view(actor=checker, command_id=command.id, today=TODAY, now=NOW)
    assert view.may_check and not view.changed
    done = await approve(actor=checker, command_id=command.id, today=TODAY, now=NOW, seen=view.now.to_json())
    assert done.status == CommandStatus.APPROVED and done.checker_id == checker.id and done.result == {"balance_fen": 70_000}
    with pytest.raises(Conflict) as again:
        await approve(actor=checker, command_id=command.id, today=TODAY, now=NOW)
    assert again.value.code == "COMMAND_DECIDED"
    assert await executions() == 1 and book.balance_fen == 70_000
    assert await pending_queue(actor=checker, now=NOW) == []


async def test_the_maker_cannot_check_their_own_request(test_kind, book):
    command = await _propose()
    maker = await actor("officer1")
    with pytest.raises(Forbidden):  # an officer may not check at all
        await approve(actor=maker, command_id=command.id, today=TODAY, now=NOW)
    # a branch manager may both make and check, but never their own
    manager = await actor("manager")
    own = await propose(actor=manager, kind="write_off", params={"amount_fen": 1}, reason="测试", today=TODAY, now=NOW, policy=POLICY)
    view = await command_view(actor=manager, command_id=own.id, today=TODAY, now=NOW)
    assert not view.may_check and view.why_not == "不能审批本人发起的申请"
    with pytest.raises(Forbidden) as refused:
        await approve(actor=manager, command_id=own.id, today=TODAY, now=NOW)
    assert refused.value.code == "OWN_REQUEST"
    assert await executions() == 0 and (await PendingCommand.get(id=own.id)).status == CommandStatus.PENDING


async def test_a_changed_effect_is_shown_beside_the_one_the_maker_saw(test_kind, book):
    command = await _propose()
    checker = await actor("approver")
    seen = (await command_view(actor=checker, command_id=command.id, today=TODAY, now=NOW)).now.to_json()
    book.balance_fen = 100_500  # an end-of-day ran in between
    view = await command_view(actor=checker, command_id=command.id, today=TODAY, now=NOW)
    assert view.changed
    assert view.seen.figures[0].before == 100_000 and view.now.figures[0].before == 100_500
    with pytest.raises(Conflict) as stale:  # approving what they saw before the change: nothing runs
        await approve(actor=checker, command_id=command.id, today=TODAY, now=NOW, seen=seen)
    assert stale.value.code == "EFFECT_CHANGED" and await executions() == 0
    done = await approve(actor=checker, command_id=command.id, today=TODAY, now=NOW, seen=view.now.to_json())
    assert done.check_preview["figures"][0] == {"label": "余额", "before": 100_500, "after": 70_500, "money": True}
    assert done.preview["figures"][0]["before"] == 100_000  # the maker's view is kept


async def test_rejected_and_expired_requests_are_kept(test_kind, book):
    checker = await actor("approver")
    first = await _propose()
    with pytest.raises(ValidationError):
        await reject(actor=checker, command_id=first.id, note=" ", today=TODAY, now=NOW)
    rejected = await reject(actor=checker, command_id=first.id, note="材料不全", today=TODAY, now=NOW)
    assert rejected.status == CommandStatus.REJECTED and rejected.check_note == "材料不全"
    second = await _propose(policy=MakerCheckerPolicy(expire_hours=1))
    later = NOW + timedelta(hours=2)
    with pytest.raises(Conflict) as expired:
        await approve(actor=checker, command_id=second.id, today=TODAY, now=later)
    assert expired.value.code == "REQUEST_EXPIRED"
    assert {(c.id, c.status) for c in await PendingCommand.all()} == {(first.id, CommandStatus.REJECTED), (second.id, CommandStatus.EXPIRED)}
    assert await executions() == 0


async def test_an_operation_that_cannot_run_any_more_fails_and_changes_nothing(test_kind, book):
    command = await _propose()
    book.refuse = "借据已结清"
    checker = await actor("approver")
    with pytest.raises(Conflict) as failed:
        await approve(actor=checker, command_id=command.id, today=TODAY, now=NOW)
    assert failed.value.code == "EXECUTION_FAILED" and "借据已结清" in failed.value.message
    kept = await PendingCommand.get(id=command.id)
    assert kept.status == CommandStatus.FAILED and kept.error == "借据已结清"
    assert await executions() == 0 and book.balance_fen == 100_000


async def test_a_kind_the_settings_do_not_list_runs_at_once(test_kind, book):
    command = await _propose(policy=MakerCheckerPolicy(kinds=frozenset()))
    assert command.status == CommandStatus.APPROVED and await executions() == 1


async def test_another_bank_neither_sees_nor_checks_it(test_kind, book):
    other = await (await second_bank()).actor("yc_approver")
    command = await _propose()
    assert await pending_queue(actor=other, now=NOW) == []
    with pytest.raises(Exception) as hidden:
        await approve(actor=other, command_id=command.id, today=TODAY, now=NOW)
    assert hidden.value.code == "NOT_FOUND" and await executions() == 0
