"""A test operation kind registered in the maker-checker registry: its effect reads a figure the test changes
(as an end-of-day would), and each execution leaves an audit row, so a test counts how often it ran."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest

from app.domain.errors import ValidationError
from app.domain.maker_checker import CommandKind, Effect, Figure
from app.domain.permissions import Action
from app.models import AuditEvent, Bank, Officer
from app.services import audit
from app.services.auth.officers import actor_for
from app.services.maker_checker import kinds
from app.services.maker_checker.registry import Operation, Subject

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 9, 0, tzinfo=UTC)


class Book:
    """What the test operation changes: a balance the test (or an 'end-of-day') may move."""

    def __init__(self) -> None:
        self.balance_fen = 100_000
        self.refuse = ""


@pytest.fixture
def book():
    return Book()


@pytest.fixture
async def test_kind(demo, book, monkeypatch):
    officer = await Officer.get(username="officer1")
    branch_id = officer.branch_id
    bank = await Bank.get(code="14102301")

    async def subject(actor, params):
        if "amount_fen" not in params:
            raise ValidationError("缺少金额", field="amount_fen")
        return Subject(bank.id, branch_id, "测试业务")

    async def preview(params, today):
        if book.refuse:
            raise ValidationError(book.refuse)
        return Effect("测试业务", (Figure("余额", book.balance_fen, book.balance_fen - params["amount_fen"]),))

    async def execute(actor, params, today):
        book.balance_fen -= params["amount_fen"]
        await audit.record(actor, "test.executed", "book", None, after={"amount_fen": params["amount_fen"]})
        return {"balance_fen": book.balance_fen}

    op = Operation(CommandKind.WRITE_OFF, Action.LINE_GRANT, Action.LINE_APPROVE, subject, preview, execute)
    monkeypatch.setitem(kinds.OPERATIONS, CommandKind.WRITE_OFF, op)
    return op


async def actor(username):
    return await actor_for(await Officer.get(username=username))


async def executions() -> int:
    return await AuditEvent.filter(action="test.executed").count()
