"""Concurrent drawdowns on PostgreSQL: the line is never exceeded, a key never runs twice."""

import asyncio
import uuid

import pytest

from app.domain.errors import DomainError
from app.models import CreditLine, LedgerEntry, Loan
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY

pytestmark = pytest.mark.postgres


async def _attempt(line, core, vault, key):
    try:
        return await draw_down(
            actor=SYSTEM, credit_line_id=line.id, amount_fen=300_000, term_months=12, method="equal_installment",
            idempotency_key=key, today=TODAY, core=core, vault=vault,
        )
    except DomainError as exc:
        return exc


async def test_twenty_concurrent_drawdowns_never_pass_the_limit(bank, core, vault):
    _, line = await customer_with_line(vault, limit_yuan=20_000)
    results = await asyncio.gather(*[_attempt(line, core, vault, uuid.uuid4()) for _ in range(20)])
    loans = [r for r in results if isinstance(r, Loan)]
    refused = [r for r in results if isinstance(r, DomainError)]
    assert len(loans) == 6 and len(refused) == 14
    assert {r.code for r in refused} == {"AMOUNT_ABOVE_AVAILABLE"}
    line = await CreditLine.get(id=line.id)
    assert line.used_fen == 6 * 300_000 <= line.limit_fen
    assert sum(e.debit_fen for e in await LedgerEntry.filter(account="loan_principal")) == line.used_fen


async def test_concurrent_retries_with_one_key_make_one_loan(bank, core, vault):
    _, line = await customer_with_line(vault)
    key = uuid.uuid4()
    results = await asyncio.gather(*[_attempt(line, core, vault, key) for _ in range(8)])
    assert all(isinstance(r, Loan) for r in results)
    assert len({r.id for r in results}) == 1
    assert await Loan.all().count() == 1
    assert (await CreditLine.get(id=line.id)).used_fen == 300_000
