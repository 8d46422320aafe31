import os
import subprocess
import sys
import uuid

from app.config import ROOT
from app.models import LprPublication
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


async def test_eod_and_ledger_check_from_the_command_line(demo, vault):
    from app.integrations.core_banking import SandboxCoreBanking

    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=500_000, term_months=3, method="equal_installment", idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    ran = _cunxin("eod", "--days", "35")
    assert ran.returncode == 0, ran.stderr
    assert "2026-11-27 日终完成：reprice、accrue、auto_debit、overdue、penalty、classify、nonaccrual、positions、provision、extension_applications、advance" in ran.stdout
    assert await business_date.current() == date_after(35)
    again = _cunxin("eod", "--date", "2026-11-27")
    assert again.returncode == 0 and "已完成（无需重跑）" in again.stdout
    checked = _cunxin("ledger-check")
    assert checked.returncode == 0 and "总账核对通过" in checked.stdout


def date_after(days):
    from datetime import timedelta

    return TODAY + timedelta(days=days)


async def test_ledger_check_fails_loudly_on_a_tampered_balance(demo, vault):
    from app.integrations.core_banking import SandboxCoreBanking
    from app.models import Loan

    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=500_000, term_months=3, method="equal_installment", idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    await Loan.filter(id=loan.id).update(outstanding_principal_fen=1)
    checked = _cunxin("ledger-check")
    assert checked.returncode == 1
    assert "principal vs loan" in checked.stderr and "总账核对失败" in checked.stderr


async def test_lpr_add(demo):
    ok = _cunxin("lpr", "add", "2026-11-20", "2.95", "3.45")
    assert ok.returncode == 0, ok.stderr
    assert {(r.tenor.value, r.rate_ppm) for r in await LprPublication.filter(published_on="2026-11-20")} == {("1y", 29500), ("5y", 34500)}
    bad = _cunxin("lpr", "add", "2026-12-22", "abc", "3.45")
    assert bad.returncode == 1 and "利率格式不正确" in bad.stderr
    assert not await LprPublication.filter(published_on="2026-12-22").exists()
