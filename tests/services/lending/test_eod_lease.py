"""End-of-day is single-flight: the lease on `eod_run`, its renewal, its takeover after a kill."""

import asyncio
from datetime import date, timedelta

import pytest

from app import clock
from app.models import AuditEvent, DebitAttempt, EodRun, Installment, LedgerEntry, LedgerTransaction
from app.domain.vocabulary import InstallmentStatus
from app.services import business_date, eod_lease
from app.services.lending import eod
from app.services.lending.eod import debit_due, run_eod
from app.services.lending.ledger import ledger_check
from tests.factories.worklists import drawn_loan
from tests.services.lending.conftest import TODAY

ALL_STEPS = ("reprice", "accrue", "auto_debit", "overdue", "penalty", "classify", "nonaccrual", "positions", "provision", "extension_applications", "advance")


async def _due_today(vault, *, sequence=357, card="6217000010001234", count=1):
    """`count` 12,000.00 loans drawn a month ago: their first installment falls due on TODAY, the business date."""
    loans = [(await drawn_loan(vault, sequence=sequence + 2 * n, card=card, today=date(2026, 10, 27), valid_from=date(2026, 10, 1)))[2]
             for n in range(count)]
    await eod.accrue(TODAY - timedelta(days=1))  # the eve's accrual ends the period: its interest is receivable on TODAY
    await business_date.set_current(TODAY)
    return loans[0]


async def _kinds_on(day):
    return sorted(t.kind for t in await LedgerTransaction.filter(business_on=day))


async def test_a_caller_that_finds_a_live_lease_changes_nothing(bank, core, vault):
    loan = await _due_today(vault)
    held = await eod_lease.acquire(TODAY, ttl_seconds=600)  # another process is running it
    report = await run_eod(core=core, vault=vault, lease_ttl=600)
    assert (report.running, report.already_done, report.steps_run) == (True, False, ())
    assert await business_date.current() == TODAY
    assert await _kinds_on(TODAY) == [] and await DebitAttempt.all().count() == 0
    run = await EodRun.get(business_on=TODAY)
    assert (run.steps_done, run.owner, run.finished_at) == ([], held.owner, None)
    assert (await Installment.get(loan_id=loan.id, number=1)).status == InstallmentStatus.PENDING


async def test_an_expired_lease_is_taken_over_and_the_run_resumes_after_its_last_step(bank, core, vault):
    await _due_today(vault)
    # a holder killed (kill -9) after reprice and accrue: its heartbeat stopped 11 minutes ago
    await EodRun.create(business_on=TODAY, steps_done=["reprice", "accrue"], owner="host:4242:dead", heartbeat_at=clock.now_utc() - timedelta(minutes=11))
    report = await run_eod(core=core, vault=vault, lease_ttl=600)
    assert report.steps_run == ("auto_debit", "overdue", "penalty", "classify", "nonaccrual", "positions", "provision", "extension_applications", "advance")
    kinds = await _kinds_on(TODAY)
    assert "auto_debit" in kinds and "accrual" not in kinds and "interest_due" not in kinds  # accrue was the dead holder's
    run = await EodRun.get(business_on=TODAY)
    assert run.finished_at is not None and (run.owner, run.heartbeat_at) == (None, None)  # released at the end
    assert await AuditEvent.filter(action="eod.lease_takeover", entity_id=str(run.id)).count() == 1
    assert await business_date.current() == TODAY + timedelta(days=1)


async def test_a_lease_renewed_within_the_ttl_is_not_taken_over(bank, core, vault):
    await EodRun.create(business_on=TODAY, steps_done=["reprice"], owner="host:4242:slow", heartbeat_at=clock.now_utc() - timedelta(minutes=9))
    report = await run_eod(core=core, vault=vault, lease_ttl=600)
    assert report.running and report.steps_run == ()
    assert (await EodRun.get(business_on=TODAY)).owner == "host:4242:slow"
    assert await AuditEvent.filter(action="eod.lease_takeover").count() == 0
    assert await _kinds_on(TODAY) == []


class StealingCore:
    """A core whose debit takes long enough for another process to take the lease over."""

    def __init__(self, inner):
        self.inner = inner

    async def debit(self, **kwargs):
        await EodRun.filter(business_on=TODAY).update(owner="host:7:new-holder", heartbeat_at=clock.now_utc())
        return await self.inner.debit(**kwargs)


async def test_a_holder_that_lost_its_lease_records_nothing_more(bank, core, vault):
    loan = await _due_today(vault)
    with pytest.raises(eod_lease.LeaseLost):
        await run_eod(core=StealingCore(core), vault=vault, lease_ttl=600)
    run = await EodRun.get(business_on=TODAY)
    assert run.steps_done == ["reprice", "accrue"] and run.owner == "host:7:new-holder"  # the new holder's lease stays
    assert "auto_debit" not in await _kinds_on(TODAY)
    assert (await Installment.get(loan_id=loan.id, number=1)).status == InstallmentStatus.PENDING
    assert await business_date.current() == TODAY


async def test_debit_due_renews_the_lease_after_each_batch(bank, core, vault, monkeypatch):
    await _due_today(vault, count=3)
    monkeypatch.setattr(eod, "DEBIT_BATCH", 2)
    beats = []

    async def heartbeat():
        beats.append(await DebitAttempt.all().count())  # what was recorded when the lease was renewed

    assert await debit_due(TODAY, core=core, vault=vault, heartbeat=heartbeat) == 3
    # renewed once the first batch is recorded, before the next one starts (after the last one the step renews anyway)
    assert beats in ([2], [2, 3])
    assert await DebitAttempt.all().count() == 3


@pytest.mark.postgres
async def test_two_end_of_days_for_one_date_at_once_run_every_step_once(bank, core, vault):
    await _due_today(vault, count=3)
    reports = await asyncio.gather(run_eod(on=TODAY, core=core, vault=vault), run_eod(on=TODAY, core=core, vault=vault))
    assert sorted(r.steps_run for r in reports) == [(), ALL_STEPS]
    assert [r.running or r.already_done for r in reports if not r.steps_run] == [True]
    assert await _kinds_on(TODAY) == ["accrual", "auto_debit", "interest_due", "penalty"]  # each once (the demo book has overdue loans)
    assert await DebitAttempt.filter(business_on=TODAY).count() == 3
    first = await Installment.filter(number=1).first()
    debited = sum(e.debit_fen for e in await LedgerEntry.filter(account="clearing", transaction__kind="auto_debit"))
    assert debited == 3 * (first.principal_fen + first.interest_fen)
    assert await business_date.current() == TODAY + timedelta(days=1)
    assert await ledger_check(today=TODAY) == []
