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

LENDING_DONE = f"{TODAY.isoformat()} 日终完成：accrue、reprice、auto_debit、overdue、penalty、classify、advance"


def _start(*args: str, delay: float, **env: str) -> subprocess.Popen:
    """The real command, its sandbox core answering each debit after `delay` seconds (tests/support/slow_cli.py)."""
    environ = {**os.environ, "CUNXIN_TEST_CORE_DELAY": str(delay), **env}
    return subprocess.Popen([sys.executable, "-m", "tests.support.slow_cli", *args], cwd=ROOT, env=environ,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, stdin=subprocess.DEVNULL, text=True)


async def _kinds_on(day):
    return sorted(t.kind for t in await LedgerTransaction.filter(business_on=day))


@pytest.mark.postgres
async def test_two_eod_commands_for_one_date_one_works_the_other_changes_nothing(demo, vault):
    for n in range(3):
        await _due_today(vault, sequence=357 + 2 * n)
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
    # given an end-of-day killed (kill -9) while its core debit is in flight, after accrue and reprice
    victim = _start("eod", "--date", TODAY.isoformat(), delay=600, CUNXIN_EOD_LEASE_TTL_SECONDS=ttl)
    try:
        await _wait_for_steps(TODAY, ["accrue", "reprice"])
    finally:
        victim.send_signal(signal.SIGKILL)
        victim.communicate(timeout=30)
    # while its lease is live, another caller changes nothing
    assert (await run_eod(on=TODAY, core=SandboxCoreBanking(), vault=vault, lease_ttl=600)).running
    # when the lease has expired, the next `cunxin eod` takes it over and resumes after reprice
    await asyncio.sleep(int(ttl) + 0.5)
    taker = _start("eod", "--date", TODAY.isoformat(), delay=0, CUNXIN_EOD_LEASE_TTL_SECONDS=ttl)
    out, err = taker.communicate(timeout=300)
    assert taker.returncode == 0, err
    assert f"{TODAY.isoformat()} 日终完成：auto_debit、overdue、penalty、classify、advance" in out
    assert await _kinds_on(TODAY) == ["accrual", "auto_debit", "interest_due", "penalty"]  # accrual once
    assert await DebitAttempt.filter(business_on=TODAY).count() == 1
    assert await AuditEvent.filter(action="eod.lease_takeover").count() == 1
    run = await EodRun.get(business_on=TODAY)
    assert run.finished_at is not None and run.owner is None
    assert await ledger_check(today=TODAY) == []
