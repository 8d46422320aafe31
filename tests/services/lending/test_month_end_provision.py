"""The month-end close provides the loan-loss allowance (issue 17): on a month's last business date each member bank's
allowance is brought to Σ class balance × rate (rates from the settings), exactly once — a resumed close, a second
close command or an earlier CLI run in the month posts nothing more — and ledger-check stays clean."""

from datetime import date, timedelta

import pytest

from app.domain.allowance import AllowancePolicy
from app.domain.classification import LoanClass
from app.models import AllowanceProvision, Bank, Loan
from app.models import LedgerTransaction
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.day_end import DayEndTools, close_business_day
from app.services.documents import MediaStore
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.write_off import allowance_of, provide_allowance
from tests.services.lending.test_classification_state import PAYS, _loan

MONTH_END = date(2026, 11, 30)
RATES = AllowancePolicy.from_settings({"normal": 15_000})  # 1.5 % on 正常 instead of 1 %


def _required(balance_fen: int) -> int:
    """1.5 % of the balance, half-up to the fen (the test's own arithmetic, not the service's)."""
    return (balance_fen * 15_000 + 500_000) // 1_000_000


async def _bank_id():
    return (await Bank.get(code="14102301")).id


async def test_closes_across_a_month_end_post_one_provision_per_bank(bank, core, vault, tmp_path):
    loan = await _loan(core, vault, card=PAYS, amount_fen=1_234_567)
    tools = DayEndTools(core=core, vault=vault, media=MediaStore(tmp_path / "media"), allowance=RATES)
    # Nov 27 .. Dec 1 closed, each with its later stages
    reports = await close_business_day(tools=tools, today=MONTH_END + timedelta(days=1), catch_up=True)
    assert [r.business_on for r in reports if r.stage == "lending"] == [date(2026, 11, d) for d in (27, 28, 29, 30)] + [date(2026, 12, 1)]
    bank_id = await _bank_id()
    record = await AllowanceProvision.get(bank_id=bank_id)
    balance = (await Loan.get(id=loan.id)).outstanding_principal_fen
    assert (record.month, record.business_on, LoanClass((await Loan.get(id=loan.id)).classification)) == ("2026-11", MONTH_END, LoanClass.NORMAL)
    assert (record.required_fen, record.booked_before_fen, record.posted_fen) == (_required(balance), 0, _required(balance))
    assert record.rates_ppm["normal"] == 15_000 and record.balances["normal"] == balance
    assert await allowance_of(bank_id) == _required(balance) == 18_519
    provisions = await LedgerTransaction.filter(kind="provision")
    assert [(t.business_on, t.bank_id) for t in provisions] == [(MONTH_END, bank_id)]  # banks without loans post nothing
    assert await AllowanceProvision.filter(month="2026-11").count() == await Bank.all().count()  # one record per member bank
    assert not await AllowanceProvision.filter(month="2026-12").exists()
    assert await ledger_check(today=MONTH_END + timedelta(days=1)) == []
    # a second close command changes nothing
    assert [r.status for r in await close_business_day(tools=tools, today=MONTH_END + timedelta(days=1), catch_up=True)] == []
    assert await LedgerTransaction.filter(kind="provision").count() == 1


async def test_a_close_that_crashed_after_the_provision_resumes_without_posting_again(bank, core, vault, monkeypatch):
    await _loan(core, vault, card=PAYS)
    for _ in range((MONTH_END - await business_date.current()).days):
        await run_eod(core=core, vault=vault, allowance=RATES)
    real = business_date.set_current

    async def crash(_on):
        raise RuntimeError("killed before the business date moved")

    monkeypatch.setattr(business_date, "set_current", crash)
    with pytest.raises(RuntimeError):
        await run_eod(core=core, vault=vault, allowance=RATES)
    assert await LedgerTransaction.filter(kind="provision").count() == 1  # the provision step had committed
    monkeypatch.setattr(business_date, "set_current", real)
    resumed = await run_eod(core=core, vault=vault, allowance=RATES)
    assert resumed.steps_run == ("advance",)
    assert await LedgerTransaction.filter(kind="provision").count() == 1
    assert await business_date.current() == MONTH_END + timedelta(days=1)
    assert await ledger_check(today=MONTH_END) == []


async def test_a_provision_already_run_in_the_month_is_not_posted_again_by_the_close(bank, core, vault):
    await _loan(core, vault, card=PAYS)
    bank_id = await _bank_id()
    for _ in range((MONTH_END - await business_date.current()).days):
        await run_eod(core=core, vault=vault)
    first = await provide_allowance(actor=SYSTEM, bank_id=bank_id, today=MONTH_END, policy=RATES)  # `cunxin provision` earlier that day
    await run_eod(core=core, vault=vault, allowance=AllowancePolicy.from_settings({"normal": 30_000}))
    assert await allowance_of(bank_id) == first.required_fen
    assert await LedgerTransaction.filter(kind="provision").count() == 1
    assert (await AllowanceProvision.get(bank_id=bank_id)).rates_ppm["normal"] == 15_000


@pytest.mark.postgres
async def test_concurrent_provisions_of_one_bank_and_month_post_once(bank, core, vault):
    """The CLI and the close at the same moment: the bank's row is locked, the second finds the first's record."""
    import asyncio

    await _loan(core, vault, card=PAYS)
    bank_id = await _bank_id()
    results = await asyncio.gather(*(provide_allowance(actor=SYSTEM, bank_id=bank_id, today=MONTH_END, policy=RATES) for _ in range(4)))
    assert len({(r.required_fen, r.booked_before_fen, r.posted_fen) for r in results}) == 1
    assert await LedgerTransaction.filter(kind="provision").count() == 1
    assert await allowance_of(bank_id) == results[0].required_fen
