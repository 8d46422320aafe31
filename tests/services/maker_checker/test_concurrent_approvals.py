"""Concurrent approvals on PostgreSQL: one checker wins, the operation runs exactly once."""

import asyncio

import pytest

from app.domain.errors import DomainError
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.models import PendingCommand
from app.services.maker_checker.commands import approve, propose
from tests.services.maker_checker.conftest import NOW, TODAY, actor, executions

pytestmark = pytest.mark.postgres


async def test_eight_concurrent_approvals_run_it_once(test_kind, book):
    maker = await actor("officer1")
    command = await propose(actor=maker, kind="write_off", params={"amount_fen": 30_000}, reason="测试", today=TODAY, now=NOW,
                            policy=MakerCheckerPolicy())
    checkers = [await actor("approver"), await actor("manager")]

    async def attempt(i):
        try:
            return await approve(actor=checkers[i % 2], command_id=command.id, today=TODAY, now=NOW)
        except DomainError as exc:
            return exc

    results = await asyncio.gather(*[attempt(i) for i in range(8)])
    won = [r for r in results if isinstance(r, PendingCommand)]
    lost = [r for r in results if isinstance(r, DomainError)]
    assert len(won) == 1 and len(lost) == 7
    assert {e.code for e in lost} == {"COMMAND_DECIDED"}
    assert await executions() == 1 and book.balance_fen == 70_000
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.APPROVED
