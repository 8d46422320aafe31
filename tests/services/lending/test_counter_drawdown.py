"""Counter drawdown above the threshold goes through maker-checker (双人复核).

Before: an officer's counter drawdown of any amount was paid at once. Now an amount above
`CUNXIN_MAKER_CHECKER_COUNTER_DRAWDOWN_ABOVE_YUAN` waits for an approver or branch manager of the line's branch;
up to it, it is paid at once as before; when the settings leave `counter_drawdown` out it is paid at once too.
"""

import asyncio
import uuid

import pytest

from app.domain.errors import Conflict, DomainError, Forbidden
from app.domain.maker_checker import CommandKind, CommandStatus, MakerCheckerPolicy
from app.models import CreditLine, LedgerEntry, Loan, PendingCommand
from app.services.auth.officers import actor_for
from app.models import Officer
from app.services.lending.counter_drawdown import counter_draw_down
from app.services.lending.ledger import ledger_check
from app.services.maker_checker.commands import approve, command_view, reject
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY
from datetime import UTC, datetime

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
POLICY = MakerCheckerPolicy(counter_drawdown_above_fen=1_000_000)  # above ¥10,000 needs a checker


async def _actor(username):
    return await actor_for(await Officer.get(username=username))


async def _draw(line, core, vault, *, amount_fen=1_200_000, key=None, policy=POLICY, by="officer1"):
    return await counter_draw_down(actor=await _actor(by), credit_line_id=line.id, amount_fen=amount_fen, term_months=12,
                                   method="equal_installment", idempotency_key=key or uuid.uuid4(), today=TODAY, now=NOW, policy=policy,
                                   core=core, vault=vault)


def _ports(core, vault):
    return {"core": core, "vault": vault}


async def test_a_drawdown_above_the_threshold_waits_and_is_paid_once_checked(bank, core, vault):
    _, line = await customer_with_line(vault)
    command = await _draw(line, core, vault)
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.PENDING and command.kind == CommandKind.COUNTER_DRAWDOWN
    assert await Loan.all().count() == 0 and (await CreditLine.get(id=line.id)).used_fen == 0  # nothing paid, no line used
    view = await command_view(actor=await _actor("approver"), command_id=command.id, today=TODAY, now=NOW)
    figures = {f.label: (f.before, f.after) for f in view.seen.figures}
    assert figures["额度已用"] == (0, 1_200_000) and figures["可用额度"] == (10_000_000, 8_800_000)
    assert figures["执行年利率"] == ("—", "4.50%") and figures["本笔借款本金"] == (0, 1_200_000)

    done = await approve(actor=await _actor("approver"), command_id=command.id, today=TODAY, now=NOW, ports=_ports(core, vault))
    assert done.status == CommandStatus.APPROVED
    loan = await Loan.get()
    assert done.result["loan_id"] == str(loan.id) and loan.principal_fen == 1_200_000
    assert (await CreditLine.get(id=line.id)).used_fen == 1_200_000
    assert await LedgerEntry.filter(loan_id=loan.id).count() == 2 and await ledger_check(today=TODAY) == []
    with pytest.raises(Conflict):  # approving again pays nothing more
        await approve(actor=await _actor("manager"), command_id=command.id, today=TODAY, now=NOW, ports=_ports(core, vault))
    assert await Loan.all().count() == 1


async def test_up_to_the_threshold_it_is_paid_at_once(bank, core, vault):
    _, line = await customer_with_line(vault)
    loan = await _draw(line, core, vault, amount_fen=1_000_000)
    assert isinstance(loan, Loan) and loan.principal_fen == 1_000_000
    assert await PendingCommand.all().count() == 0


async def test_the_maker_cannot_check_their_own_drawdown(bank, core, vault):
    _, line = await customer_with_line(vault)
    command = await _draw(line, core, vault, by="manager")
    with pytest.raises(Forbidden) as err:
        await approve(actor=await _actor("manager"), command_id=command.id, today=TODAY, now=NOW, ports=_ports(core, vault))
    assert err.value.code == "OWN_REQUEST"
    assert await Loan.all().count() == 0


async def test_a_rejected_drawdown_is_kept_and_pays_nothing(bank, core, vault):
    _, line = await customer_with_line(vault)
    command = await _draw(line, core, vault)
    await reject(actor=await _actor("approver"), command_id=command.id, note="用途不明", today=TODAY, now=NOW)
    kept = await PendingCommand.get(id=command.id)
    assert kept.status == CommandStatus.REJECTED and kept.check_note == "用途不明"
    assert await Loan.all().count() == 0 and (await CreditLine.get(id=line.id)).used_fen == 0


async def test_the_same_form_sent_twice_is_one_request(bank, core, vault):
    _, line = await customer_with_line(vault)
    key = uuid.uuid4()
    first = await _draw(line, core, vault, key=key)
    again = await _draw(line, core, vault, key=key)
    assert again.id == first.id and await PendingCommand.all().count() == 1


async def test_a_line_used_up_meanwhile_fails_the_check_and_pays_nothing(bank, core, vault):
    _, line = await customer_with_line(vault, limit_yuan=20_000)
    command = await _draw(line, core, vault, amount_fen=1_500_000)
    await _draw(line, core, vault, amount_fen=1_000_000)  # a second drawdown at the threshold, paid at once
    with pytest.raises(Conflict) as err:
        await approve(actor=await _actor("approver"), command_id=command.id, today=TODAY, now=NOW, ports=_ports(core, vault))
    assert err.value.code == "EXECUTION_FAILED"
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.FAILED
    assert await Loan.all().count() == 1 and (await CreditLine.get(id=line.id)).used_fen == 1_000_000


async def test_left_out_by_the_settings_it_is_paid_at_once_through_the_command(bank, core, vault):
    _, line = await customer_with_line(vault)
    policy = MakerCheckerPolicy(kinds=frozenset(CommandKind) - {CommandKind.COUNTER_DRAWDOWN}, counter_drawdown_above_fen=1_000_000)
    command = await _draw(line, core, vault, policy=policy)
    assert command.status == CommandStatus.APPROVED and command.checker_id is None
    assert (await Loan.get()).principal_fen == 1_200_000


@pytest.mark.postgres
async def test_concurrent_approvals_pay_once(bank, core, vault):
    _, line = await customer_with_line(vault)
    command = await _draw(line, core, vault)
    checkers = [await _actor("approver"), await _actor("manager")]

    async def attempt(i):
        try:
            return await approve(actor=checkers[i % 2], command_id=command.id, today=TODAY, now=NOW, ports=_ports(core, vault))
        except DomainError as exc:
            return exc

    results = await asyncio.gather(*[attempt(i) for i in range(6)])
    assert len([r for r in results if isinstance(r, PendingCommand)]) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"COMMAND_DECIDED"}
    assert await Loan.all().count() == 1 and (await CreditLine.get(id=line.id)).used_fen == 1_200_000
