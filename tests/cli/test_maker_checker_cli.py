"""`cunxin maker-checker list|show|approve|reject --as USERNAME`: the pending requests from the command line, through
the same services and permission policy as the PAD (the maker cannot approve their own).

The commands open the database themselves (`run_in_db`, their own event loop and connections), so the tests that
need the demo bank run them as a process, as the other database-backed CLI tests do (tests/cli/test_risk_ops_cli.py);
typer's CliRunner checks the command line itself.
"""

import os
import subprocess
import sys

from typer.testing import CliRunner

from app.cli import cli
from app.config import ROOT
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.models import AuditEvent, PendingCommand, RuleSetVersion
from app.services.risk.rulesets import propose_ruleset_upload
from app.clock import now_utc
from tests.factories.risk import TODAY, actor
from tests.services.risk.test_rulesets import LENIENT

runner = CliRunner()


class _Ran:
    def __init__(self, done: subprocess.CompletedProcess):
        self.exit_code, self.stdout, self.stderr, self.output = done.returncode, done.stdout, done.stderr, done.stdout + done.stderr


async def _cunxin(*args: str) -> _Ran:
    return _Ran(subprocess.run([sys.executable, "-m", "app.cli", "maker-checker", *args], cwd=ROOT, env=dict(os.environ), capture_output=True,
                               text=True, timeout=300, stdin=subprocess.DEVNULL))


def test_the_commands_need_an_officer_and_a_reason():
    assert runner.invoke(cli, ["maker-checker", "--help"]).exit_code == 0
    for command in ("list", "show", "approve", "reject"):
        helped = runner.invoke(cli, ["maker-checker", command, "--help"])
        assert helped.exit_code == 0 and "--as" in helped.output
    no_officer = runner.invoke(cli, ["maker-checker", "list"])
    assert no_officer.exit_code == 2 and "--as" in no_officer.output
    no_reason = runner.invoke(cli, ["maker-checker", "reject", "00000000-0000-0000-0000-000000000000", "--as", "hq_approver"])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output


async def _upload():
    """A bank admin's rule-set upload, made now (the command runs on the wall clock: a request past its hours expires)."""
    return await propose_ruleset_upload(actor=await actor("admin"), yaml_text=LENIENT, today=TODAY, now=now_utc(), policy=MakerCheckerPolicy())


async def test_a_checker_lists_shows_and_approves_a_request(demo):
    command = await _upload()
    listed = await _cunxin("list", "--as", "hq_approver")
    assert listed.exit_code == 0, listed.output
    assert str(command.id) in listed.stdout and "上传规则集" in listed.stdout and "本人发起" not in listed.stdout
    shown = await _cunxin("show", str(command.id), "--as", "hq_approver")
    assert shown.exit_code == 0, shown.output
    assert "生效版本：reject-2026.1（平台默认） → reject-2027.1（本行）" in shown.stdout and "可以审批" in shown.stdout
    done = await _cunxin("approve", str(command.id), "--as", "hq_approver", "--note", "同意")
    assert done.exit_code == 0, done.output
    assert "已审批通过并执行" in done.stdout and "reject-2027.1（本行）" in done.stdout
    row = await PendingCommand.get(id=command.id)
    assert row.status == CommandStatus.APPROVED and row.checker_id == (await actor("hq_approver")).id and row.check_note == "同意"
    assert (await RuleSetVersion.get(version="reject-2027.1", bank_id=(await actor("admin")).bank_id)).is_active
    assert await AuditEvent.filter(action="command.approve", entity_id=str(command.id)).count() == 1
    again = await _cunxin("approve", str(command.id), "--as", "hq_approver")
    assert again.exit_code == 1 and "审批失败：该申请已处理" in again.stderr


async def test_the_maker_cannot_approve_or_reject_their_own_request_from_the_cli(demo):
    command = await _upload()
    listed = await _cunxin("list", "--as", "admin")  # an admin may check rule sets, but not their own
    assert str(command.id) in listed.stdout and "本人发起，不能审批" in listed.stdout
    own = await _cunxin("approve", str(command.id), "--as", "admin")
    assert own.exit_code == 1 and "审批失败：不能审批本人发起的申请" in own.stderr
    own_reject = await _cunxin("reject", str(command.id), "--as", "admin", "--reason", "撤回")
    assert own_reject.exit_code == 1 and "退回失败" in own_reject.stderr
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.PENDING
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0


async def test_a_checker_rejects_with_a_reason_and_others_are_refused(demo):
    command = await _upload()
    branch = await _cunxin("approve", str(command.id), "--as", "approver")  # a branch approver: not the head office's
    assert branch.exit_code == 1 and "审批失败" in branch.stderr
    officer = await _cunxin("list", "--as", "officer1")
    assert officer.exit_code == 0 and "暂无待复核的申请" in officer.stdout
    nobody = await _cunxin("list", "--as", "nobody")
    assert nobody.exit_code == 1 and "工作人员 nobody 不存在或已停用" in nobody.stderr
    bad_id = await _cunxin("approve", "42", "--as", "hq_approver")
    assert bad_id.exit_code == 1 and "申请编号格式不正确" in bad_id.stderr
    no_reason = await _cunxin("reject", str(command.id), "--as", "hq_approver", "--reason", " ")
    assert no_reason.exit_code == 1 and "退回失败：请填写退回理由" in no_reason.stderr
    rejected = await _cunxin("reject", str(command.id), "--as", "hq_approver", "--reason", "未经风险委员会讨论")
    assert rejected.exit_code == 0, rejected.output
    assert "已退回" in rejected.stdout and "未经风险委员会讨论" in rejected.stdout
    row = await PendingCommand.get(id=command.id)
    assert row.status == CommandStatus.REJECTED and row.check_note == "未经风险委员会讨论"
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0
