"""Auto-debit is a saga: a debit the core confirms is always booked, a manual repayment cannot race it,
and what nothing was due for goes to suspense (暂收款) and back to the card. Runs on SQLite and PostgreSQL."""

import asyncio
import uuid
from datetime import timedelta

import pytest

from app.domain.errors import DomainError
from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, CoreInstruction, Installment, LedgerEntry, Loan, Product
from app.domain.vocabulary import InstallmentStatus
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.core_outcomes import suspense_balances
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import accrue, run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.reconcile import reconcile_day
from app.services.lending.repayment import repay
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


class SlowCore(SandboxCoreBanking):
    """The sandbox, but end-of-day's debits wait until the test lets them through; records what it took."""

    def __init__(self) -> None:
        self.started, self.release = asyncio.Event(), asyncio.Event()
        self.taken: list[int] = []

    async def debit(self, *, reference, card_number, amount_fen):
        if reference.startswith("eod:"):
            self.started.set()
            await self.release.wait()
        result = await super().debit(reference=reference, card_number=card_number, amount_fen=amount_fen)
        if result.ok:
            self.taken.append(amount_fen)
        return result


async def _loan_due_today(core, vault):
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=3, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _arrive_at(first.due_on, core, vault)
    return loan, first


async def _arrive_at(due_on, core, vault):
    """The eve's end-of-day closes the period (its interest becomes receivable); the due date is then the business date."""
    await business_date.set_current(due_on - timedelta(days=1))
    await run_eod(core=core, vault=vault)


async def _clean(core, on):
    assert await ledger_check(today=on) == []
    assert await reconcile_day(on, core=core) == []


async def test_a_manual_repayment_during_auto_debit_is_refused_and_the_customer_pays_once(bank, vault):
    core = SlowCore()
    loan, first = await _loan_due_today(core, vault)
    owed = first.principal_fen + first.interest_fen
    eod = asyncio.create_task(run_eod(core=core, vault=vault))
    await asyncio.wait_for(core.started.wait(), 30)
    with pytest.raises(DomainError) as err:
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=first.due_on, core=core, vault=vault)
    assert err.value.code == "DEBIT_IN_FLIGHT" and "自动扣款处理中" in err.value.message
    core.release.set()
    await asyncio.wait_for(eod, 60)
    assert core.taken == [owed]  # the installment, once
    assert (await Installment.get(id=first.id)).status == InstallmentStatus.PAID
    assert (await Loan.get(id=loan.id)).debit_in_flight is None
    await _clean(core, first.due_on)


async def _debit_finds_installment_paid(core, vault):
    """The confirmed debit meets an installment someone else paid while it was in flight (a channel that ignored the marker)."""
    loan, first = await _loan_due_today(core, vault)
    owed = first.principal_fen + first.interest_fen
    eod = asyncio.create_task(run_eod(core=core, vault=vault))
    await asyncio.wait_for(core.started.wait(), 30)
    await Loan.filter(id=loan.id).update(debit_in_flight=None)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=first.due_on, core=core, vault=vault)
    await Loan.filter(id=loan.id).update(debit_in_flight=f"eod:{loan.id}:{first.due_on.isoformat()}")
    core.release.set()
    await asyncio.wait_for(eod, 60)
    return loan, first, owed


async def test_a_confirmed_debit_for_a_paid_installment_goes_to_suspense_and_back_to_the_card(bank, vault):
    core = SlowCore()
    loan, first, owed = await _debit_finds_installment_paid(core, vault)
    assert core.taken == [owed, owed]
    assert [(int(s["held"])) for s in await suspense_balances()] == [owed]  # booked, not dropped
    assert await AuditEvent.filter(action="loan.suspense_in", entity_id=str(loan.id)).exists()
    await _clean(core, first.due_on)
    await run_eod(core=core, vault=vault)  # next business day: the suspense is refunded first
    refund = await CoreInstruction.get(kind="refund")
    assert (refund.amount_fen, refund.outcome.value, refund.loan_id) == (owed, "done", loan.id)
    assert await suspense_balances() == []
    assert [j.kind for j in await core.journal(refund.business_on)] == ["refund"]
    await _clean(core, refund.business_on)


async def test_where_the_product_says_so_suspense_pays_the_next_amount_due(bank, vault):
    core = SlowCore()
    await Product.all().update(excess_debit="apply_next")
    loan, first, owed = await _debit_finds_installment_paid(core, vault)
    second = await Installment.get(loan_id=loan.id, number=2)
    await _arrive_at(second.due_on, core, vault)
    core.started.clear()
    await run_eod(core=core, vault=vault)
    second = await Installment.get(id=second.id)
    assert second.status == InstallmentStatus.PAID
    due2 = second.principal_fen + second.interest_fen
    assert due2 == owed  # equal instalments
    assert core.taken == [owed, owed]  # the second row was paid out of suspense: no third debit
    assert not await CoreInstruction.filter(kind="refund").exists() and await suspense_balances() == []
    applied = await LedgerEntry.filter(loan_id=loan.id, account="suspense").order_by("credit_fen").values_list("debit_fen", "credit_fen")
    assert applied == [(owed, 0), (0, owed)]  # in, then applied
    assert await ledger_check(today=second.due_on) == []


async def _due_today_on_card(core, vault, card, *, eve=True):
    _, line = await customer_with_line(vault, card=card)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=3, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    if eve:
        await accrue(first.due_on - timedelta(days=1))  # the eve's accrual ends the period: its interest is receivable
    await business_date.set_current(first.due_on)
    return loan, first


async def test_an_auto_debit_that_times_out_after_the_core_took_the_money_ends_booked(bank, core, vault):
    loan, first = await _due_today_on_card(core, vault, "6217000010000005")  # sandbox: booked, then the answer is lost
    assert (await Loan.get(id=loan.id)).status == "active"  # the disbursement too: 查询交易状态 said done
    await run_eod(core=core, vault=vault)
    assert (await Installment.get(id=first.id)).status == InstallmentStatus.PAID
    instruction = await CoreInstruction.get(purpose="auto_debit")
    assert (instruction.outcome.value, instruction.amount_fen) == ("done", first.principal_fen + first.interest_fen)
    await _clean(core, first.due_on)


async def test_an_auto_debit_still_unknown_keeps_its_marker_until_the_resolver_books_it(bank, core, vault):
    from app.models import DebitAttempt
    from app.services.lending.core_outcomes import resolve_pending

    loan, first = await _due_today_on_card(core, vault, "6217000010000007", eve=False)  # answer and first status query lost
    await resolve_pending(core)  # the disbursement (处理中 until now)
    await accrue(first.due_on - timedelta(days=1))  # the eve's accrual, once the loan is active
    await run_eod(core=core, vault=vault)
    loan = await Loan.get(id=loan.id)
    assert loan.debit_in_flight == f"eod:{loan.id}:{first.due_on.isoformat()}"
    assert not await DebitAttempt.filter(loan_id=loan.id).exists()  # not a failed debit: 处理中
    assert [b.what for b in await reconcile_day(first.due_on, core=core)] == ["核心已记账（debit），账务无分录", "处理中，结果未确认"]
    with pytest.raises(DomainError) as err:
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=100, idempotency_key=uuid.uuid4(), today=first.due_on + timedelta(days=1), core=core, vault=vault)
    assert err.value.code == "DEBIT_IN_FLIGHT"
    assert await resolve_pending(core) == (1, 0)
    assert (await Installment.get(id=first.id)).status == InstallmentStatus.PAID
    assert (await Loan.get(id=loan.id)).debit_in_flight is None
    assert (await DebitAttempt.get(loan_id=loan.id)).ok
    await _clean(core, first.due_on)


class ConcurrencyCore(SandboxCoreBanking):
    """The sandbox, with each end-of-day debit taking a moment; counts the calls in flight at once."""

    def __init__(self) -> None:
        self.in_flight = self.most = 0

    async def debit(self, *, reference, card_number, amount_fen):
        if not reference.startswith("eod:"):
            return await super().debit(reference=reference, card_number=card_number, amount_fen=amount_fen)
        self.in_flight += 1
        self.most = max(self.most, self.in_flight)
        try:
            await asyncio.sleep(0.02)
            return await super().debit(reference=reference, card_number=card_number, amount_fen=amount_fen)
        finally:
            self.in_flight -= 1


async def test_auto_debit_calls_the_core_several_at_a_time_within_the_limit_and_books_each_loan_once(bank, vault):
    from app.services.lending.eod import CORE_CONCURRENCY

    core = ConcurrencyCore()
    loans = []
    for n in range(CORE_CONCURRENCY + 4):
        _, line = await customer_with_line(vault, sequence=300 + n, card=f"62170000100{n:03d}01")
        loans.append(await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=120_000, term_months=3, method="equal_installment",
                                     idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault))
    due_on = (await Installment.get(loan_id=loans[0].id, number=1)).due_on
    await _arrive_at(due_on, core, vault)
    await run_eod(core=core, vault=vault)
    assert 1 < core.most <= CORE_CONCURRENCY
    for loan in loans:
        assert (await Installment.get(loan_id=loan.id, number=1)).status == InstallmentStatus.PAID
        assert await CoreInstruction.filter(loan_id=loan.id, purpose="auto_debit").count() == 1
    await _clean(core, due_on)
