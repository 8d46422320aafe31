"""Idempotency keys belong to the caller and the operation (issue 12, fault 7)."""

import uuid

import pytest

from app.models import CreditLine, IdempotencyRecord, Loan
from app.domain.vocabulary import Role
from app.services.auth import officers as auth
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.idempotency import caller_key, run_once
from tests.factories import customer_with_line
from tests.factories.risk import actor
from tests.services.lending.conftest import TODAY


async def _another_officer(username="officer9"):
    officer = await auth.create_officer(actor=SYSTEM, username=username, display_name="刘晓明", password="long-enough-pw", role=Role.OFFICER, branch_code="XF010")
    return await auth.actor_for(officer)


async def _draw(who, line, core, vault, key, amount_fen=1_200_000):
    return await draw_down(actor=who, credit_line_id=line.id, amount_fen=amount_fen, term_months=12, method="equal_installment",
                           idempotency_key=key, today=TODAY, core=core, vault=vault)


async def test_another_caller_replaying_a_key_gets_neither_the_first_loan_nor_a_hint(bank, core, vault):
    _, line = await customer_with_line(vault)
    first_officer, other, third = await actor("officer1"), await _another_officer(), await _another_officer("officer8")
    key = uuid.uuid4()
    first = await _draw(first_officer, line, core, vault, key)
    # the same key and request from another caller: their own loan, with their own transfer at the core
    replay = await _draw(other, line, core, vault, key)
    assert replay.id != first.id and replay.disbursement_ref != first.disbursement_ref
    # a different amount under the same key from a third caller: no IDEMPOTENCY_KEY_REUSED, simply a new drawdown
    different = await _draw(third, line, core, vault, key, amount_fen=300_000)
    assert different.id not in (first.id, replay.id)  # exactly what a fresh key would do: nothing tells the key was used
    assert await Loan.all().count() == 3
    assert (await CreditLine.get(id=line.id)).used_fen == 1_200_000 + 1_200_000 + 300_000


async def test_the_same_caller_still_gets_the_first_result_and_a_reuse_is_refused(bank, core, vault):
    _, line = await customer_with_line(vault)
    me = await actor("officer1")
    key = uuid.uuid4()
    first = await _draw(me, line, core, vault, key)
    assert (await _draw(me, line, core, vault, key)).id == first.id
    with pytest.raises(Exception) as err:
        await _draw(me, line, core, vault, key, amount_fen=1_300_000)
    assert getattr(err.value, "code", "") == "IDEMPOTENCY_KEY_REUSED"
    assert await IdempotencyRecord.filter(key=key).count() == 0  # the client's raw key is never stored as such


def test_keys_differ_by_caller_and_operation_and_run_once_refuses_a_raw_key():
    key = uuid.uuid4()
    a = caller_key("loan_drawdown", SYSTEM, key)
    assert a == caller_key("loan_drawdown", SYSTEM, key)
    assert a != caller_key("loan_repay", SYSTEM, key) and a != key


async def test_run_once_refuses_a_raw_client_key(db):
    async def operation():
        return {}

    with pytest.raises(TypeError):
        await run_once(scope="loan_drawdown", key=uuid.uuid4(), actor="system:", request={}, operation=operation)
