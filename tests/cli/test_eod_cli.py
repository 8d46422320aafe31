"""`cunxin eod` as separate processes: two at once for one date, and a run killed with kill -9."""

import asyncio
import os
import signal
import subprocess
import sys
import time

import pytest

from app.config import ROOT
from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, DebitAttempt, EodRun, LedgerTransaction
from app.services import business_date
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_eod_lease import _due_today

LENDING_DONE = f"{TODAY.isoformat()} 日终完成：reprice、accrue、auto_debit、overdue、penalty、classify、nonaccrual、positions、provision、extension_applications、advance"


def _start(*args: str, delay: float, **env: str) -> subprocess.Popen:
    """The real command, its sandbox core answering each debit after `delay` seconds (tests/support/slow_cli.py)."""
    environ = {**os.environ, "CUNXIN_TEST_CORE_DELAY": str(delay), **env}
    return subprocess.Popen([sys.executable, "-m", "tests.support.slow_cli", *args], cwd=ROOT, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


async def _kinds_on(day):
    return sorted(t.kind for t in await LedgerTransaction.filter(business_on=day))


@pytest.mark.postgres
async def test_two_eod_commands_for_one_date_one_works_the_other_changes_nothing(demo, vault):
    await _due_today(vault, count=3)  # three loans, one eve's accrual (calling it per loan would accrue the eve again)
    # when two operators (or the cron and an operator) start end-of-day for one date together
    procs = [_start("eod", "--date", TODAY.isoformat(), delay=2) for _ in range(2)]
    outs = [p.communicate(timeout=300) for p in procs]
    # then both exit 0: one did every step, the other said it is running and did nothing
    assert [p.returncode for p in procs] == [0, 0], [err for _, err in outs]
    worked = [out for out, _ in outs if LENDING_DONE in out]
    refused = [out for out, _ in outs if "日终正在运行" in out]
    assert len(worked) == 1 and len(refused) == 1, outs
    assert "日终完成" not in refused[0]
    # and the ledger holds what one run posts: each kind once, one debit per loan
    assert await _kinds_on(TODAY) == ["accrual", "auto_debit", "interest_due", "penalty"]
    assert await DebitAttempt.filter(business_on=TODAY).count() == 3
    assert await AuditEvent.filter(action="card_number.reveal", entity_id=TODAY.isoformat()).count() == 1
    assert await business_date.current() == TODAY.replace(day=28)
    assert await ledger_check(today=TODAY) == []


async def _wait_for_steps(day, steps, timeout=120.0):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        run = await EodRun.get_or_none(business_on=day)
        if run is not None and run.steps_done == steps and run.owner:
            return run
        await asyncio.sleep(0.2)
    raise AssertionError(f"end-of-day never reached {steps}")


async def test_a_run_killed_mid_debit_is_taken_over_after_the_ttl_and_resumes(demo, vault):
    await _due_today(vault)
    ttl = "5"
    # given an end-of-day killed (kill -9) while its core debit is in flight, after reprice and accrue
    victim = _start("eod", "--date", TODAY.isoformat(), delay=600, CUNXIN_EOD_LEASE_TTL_SECONDS=ttl)
    try:
        await _wait_for_steps(TODAY, ["reprice", "accrue"])
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    # while its lease is live, another caller changes nothing
    assert (await run_eod(on=TODAY, core=SandboxCoreBanking(), vault=vault, lease_ttl=600)).running
    # when the lease has expired, the next `cunxin eod` takes it over and resumes after accrue
    await asyncio.sleep(int(ttl) + 0.5)
    taker = _start("eod", "--date", TODAY.isoformat(), delay=0, CUNXIN_EOD_LEASE_TTL_SECONDS=ttl)
    out, err = taker.communicate(timeout=300)
    assert taker.returncode == 0, err
    assert f"{TODAY.isoformat()} 日终完成：auto_debit、overdue、penalty、classify、nonaccrual、positions、provision、extension_applications、advance" in out
    assert await _kinds_on(TODAY) == ["accrual", "auto_debit", "interest_due", "penalty"]  # accrual once
    assert await DebitAttempt.filter(business_on=TODAY).count() == 1
    assert await AuditEvent.filter(action="eod.lease_takeover").count() == 1
    run = await EodRun.get(business_on=TODAY)
    assert run.finished_at is not None and run.owner is None
    assert await ledger_check(today=TODAY) == []


def _cunxin(*args: str, **env: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env={**os.environ, **env}, capture_output=True, text=True,
                          timeout=300, stdin=subprocess.DEVNULL)


async def test_eod_twice_without_a_date_closes_at_most_today(demo, vault, settings):
    from datetime import timedelta

    from app import clock

    today = clock.local_today(settings.business_tz)
    await business_date.set_current(today)
    # when an operator runs `cunxin eod` twice in a row
    first, second = _cunxin("eod"), _cunxin("eod")
    # then the first closed today (and ran the later stages), the second refused to close tomorrow
    assert first.returncode == 0, first.stderr
    assert f"{today.isoformat()} 日终完成：reprice、accrue、" in first.stdout
    assert f"{today.isoformat()} 预警与催收完成" in first.stdout and f"{today.isoformat()} 客户标签完成" in first.stdout
    tomorrow = today + timedelta(days=1)
    assert second.returncode == 0, second.stderr
    assert f"不能提前日终：会计日期 {tomorrow.isoformat()} 晚于今天（{today.isoformat()}）" in second.stdout
    assert await business_date.current() == tomorrow
    assert not await EodRun.filter(business_on=tomorrow).exists()
    assert await LedgerTransaction.filter(business_on=tomorrow).count() == 0


async def test_simulating_days_is_refused_in_production(demo):
    await business_date.set_current(TODAY)
    ran = _cunxin("eod", "--days", "3", CUNXIN_ENV="prod")
    assert ran.returncode == 1 and "--days 用于开发和测试" in ran.stderr
    assert await business_date.current() == TODAY and await EodRun.all().count() == 0
