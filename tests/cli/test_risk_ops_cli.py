import os
import subprocess
import sys

from app.config import ROOT
from app.models import CollectionTask, EarlyWarning
from app.services import business_date
from tests.factories.worklists import TODAY, drawn_loan, make_overdue


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300, stdin=subprocess.DEVNULL)


async def test_warnings_command_for_a_date(demo, vault):
    await business_date.set_current(TODAY)
    _, _, loan = await drawn_loan(vault)
    await make_overdue(loan, days_past_due=60)
    ran = _cunxin("warnings", "--date", "2027-01-26")
    assert ran.returncode == 0, ran.stderr
    assert "2027-01-26 新增预警 1 条（逾期天数上升 1）" in ran.stdout and "催收任务：新开 1 个，结束 0 个" in ran.stdout
    assert (await EarlyWarning.get(loan_id=loan.id)).level == 60
    assert await CollectionTask.filter(loan_id=loan.id).count() == 1
    assert "贷后检查：新增 2 项" in ran.stdout  # the loan's first check, and one raised by the warning
    again = _cunxin("warnings", "--date", "2027-01-26")
    assert again.returncode == 0 and "新增预警 0 条（无）" in again.stdout and "新开 0 个" in again.stdout and "贷后检查：新增 0 项" in again.stdout


async def test_warnings_command_refuses_bad_input(demo):
    bad = _cunxin("warnings", "--date", "26/01/2027")
    assert bad.returncode == 1 and "日期格式不正确" in bad.stderr
    none = _cunxin("warnings")
    assert none.returncode == 1 and "尚未完成任何日终" in none.stderr
    assert await EarlyWarning.all().count() == 0
