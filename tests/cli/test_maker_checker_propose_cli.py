"""`cunxin maker-checker propose ... --as USERNAME`: the command line makes rule-set and black/grey list change requests
through the same proposing services as the PAD and GraphQL (`propose_ruleset_upload`, `propose_ruleset_activate`,
`propose_use_platform_default`, `propose_list_add`, `propose_list_remove`), as the named officer under the permission
policy; a second officer decides them with `maker-checker approve|reject`. Bad input is refused in Chinese and
changes nothing.

Database-backed commands run as a process (their own event loop and connections), as in test_maker_checker_cli.py.
"""

import os
import subprocess
import sys

from typer.testing import CliRunner

from app.cli import cli
from app.config import ROOT
from app.domain.maker_checker import CommandStatus
from app.models import AuditEvent, ListEntry, PendingCommand, RuleSetVersion
from tests.factories.risk import actor, id_number
from tests.services.risk.test_rulesets import LENIENT

runner = CliRunner()


class _Ran:
    def __init__(self, done: subprocess.CompletedProcess):
        self.exit_code, self.stdout, self.stderr, self.output = done.returncode, done.stdout, done.stderr, done.stdout + done.stderr


async def _cunxin(*args: str) -> _Ran:
    return _Ran(subprocess.run([sys.executable, "-m", "app.cli", "maker-checker", *args], cwd=ROOT, env=dict(os.environ), capture_output=True,
                               text=True, timeout=300, stdin=subprocess.DEVNULL))


def _command_id(ran: _Ran) -> str:
    line = next(x for x in ran.stdout.splitlines() if x.startswith("申请编号："))
    return line.split("：", 1)[1].strip()


def test_the_propose_commands_need_an_officer():
    helped = runner.invoke(cli, ["maker-checker", "propose", "--help"])
    assert helped.exit_code == 0
    for command in ("ruleset-upload", "ruleset-activate", "ruleset-default", "list-add", "list-remove"):
        assert command in helped.output
        one = runner.invoke(cli, ["maker-checker", "propose", command, "--help"])
        assert one.exit_code == 0 and "--as" in one.output, command
    no_officer = runner.invoke(cli, ["maker-checker", "propose", "ruleset-upload", "rules.yaml"])
    assert no_officer.exit_code == 2 and "--as" in no_officer.output
    no_reason = runner.invoke(cli, ["maker-checker", "propose", "list-remove", "00000000-0000-0000-0000-000000000000", "--as", "manager"])
    assert no_reason.exit_code == 2 and "--reason" in no_reason.output


async def test_a_bank_admin_proposes_an_upload_and_a_second_officer_approves_it_once(demo, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(LENIENT, encoding="utf-8")
    made = await _cunxin("propose", "ruleset-upload", str(rules), "--kind", "reject", "--as", "admin", "--reason", "放宽逾期规则")
    assert made.exit_code == 0, made.output
    assert "已提交复核" in made.stdout and "reject-2027.1（本行）" in made.stdout
    command_id = _command_id(made)
    command = await PendingCommand.get(id=command_id)
    admin = await actor("admin")
    assert command.status == CommandStatus.PENDING and command.maker_id == admin.id and command.reason == "放宽逾期规则"
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0  # nothing in force before the check
    assert await AuditEvent.filter(action="command.propose", entity_id=command_id, actor_id=str(admin.id)).count() == 1

    own = await _cunxin("approve", command_id, "--as", "admin")
    assert own.exit_code == 1 and "审批失败：不能审批本人发起的申请" in own.stderr
    done = await _cunxin("approve", command_id, "--as", "hq_approver")
    assert done.exit_code == 0, done.output
    again = await _cunxin("approve", command_id, "--as", "hq_approver")
    assert again.exit_code == 1 and "该申请已处理" in again.stderr
    assert await RuleSetVersion.filter(version="reject-2027.1", bank_id=admin.bank_id, is_active=True).count() == 1
    assert await AuditEvent.filter(action="ruleset.upload").count() == 1  # ran exactly once


async def test_a_platform_admins_upload_is_checked_by_a_second_platform_admin_only(demo, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(LENIENT, encoding="utf-8")
    made = await _cunxin("propose", "ruleset-upload", str(rules), "--as", "platform_admin")
    assert made.exit_code == 0, made.output
    assert "reject-2027.1（平台默认）" in made.stdout
    command_id = _command_id(made)
    assert (await PendingCommand.get(id=command_id)).bank_id is None
    bank_queue = await _cunxin("list", "--as", "hq_approver")
    assert bank_queue.exit_code == 0 and command_id not in bank_queue.stdout
    bank = await _cunxin("approve", command_id, "--as", "hq_approver")
    assert bank.exit_code == 1 and "审批失败：复核申请不存在" in bank.stderr
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0
    platform_queue = await _cunxin("list", "--as", "platform_admin2")
    assert command_id in platform_queue.stdout
    done = await _cunxin("approve", command_id, "--as", "platform_admin2")
    assert done.exit_code == 0, done.output
    row = await RuleSetVersion.get(version="reject-2027.1")
    assert row.bank_id is None and row.is_active


async def test_bad_rule_set_requests_are_refused_in_chinese_and_change_nothing(demo, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(LENIENT, encoding="utf-8")
    missing = await _cunxin("propose", "ruleset-upload", str(tmp_path / "none.yaml"), "--as", "admin")
    assert missing.exit_code == 1 and "找不到规则集文件" in missing.stderr
    folder = await _cunxin("propose", "ruleset-upload", str(tmp_path), "--as", "admin")
    assert folder.exit_code == 1 and "是目录，不是规则集文件" in folder.stderr
    binary = tmp_path / "rules.bin"
    binary.write_bytes(b"\xff\xfe\x00bad")
    not_text = await _cunxin("propose", "ruleset-upload", str(binary), "--as", "admin")
    assert not_text.exit_code == 1 and "不是 UTF-8 文本" in not_text.stderr
    broken = tmp_path / "broken.yaml"
    broken.write_text("version: v\nrules: [", encoding="utf-8")
    bad_yaml = await _cunxin("propose", "ruleset-upload", str(broken), "--as", "admin")
    assert bad_yaml.exit_code == 1 and "提交失败：规则集无效" in bad_yaml.stderr
    bad_kind = await _cunxin("propose", "ruleset-upload", str(rules), "--kind", "pricing", "--as", "admin")
    assert bad_kind.exit_code == 1 and "规则集类型不正确：pricing" in bad_kind.stderr
    officer = await _cunxin("propose", "ruleset-upload", str(rules), "--as", "officer1")
    assert officer.exit_code == 1 and "提交失败：您没有“上传规则集”的权限" in officer.stderr
    nobody = await _cunxin("propose", "ruleset-upload", str(rules), "--as", "nobody")
    assert nobody.exit_code == 1 and "工作人员 nobody 不存在或已停用" in nobody.stderr
    unknown = await _cunxin("propose", "ruleset-activate", "reject-1999.1", "--as", "admin")
    assert unknown.exit_code == 1 and "提交失败：规则集版本 reject-1999.1 不存在" in unknown.stderr
    platform_default = await _cunxin("propose", "ruleset-default", "--kind", "reject", "--as", "platform_admin")
    assert platform_default.exit_code == 1 and "平台默认版本不能撤销" in platform_default.stderr
    nothing_own = await _cunxin("propose", "ruleset-default", "--kind", "reject", "--as", "admin")
    assert nothing_own.exit_code == 1 and "提交失败" in nothing_own.stderr
    assert await PendingCommand.all().count() == 0 and await RuleSetVersion.filter(version="reject-2027.1").count() == 0


async def test_a_rollback_request_from_the_cli(demo, tmp_path):
    rules = tmp_path / "rules.yaml"
    rules.write_text(LENIENT, encoding="utf-8")
    made = await _cunxin("propose", "ruleset-upload", str(rules), "--as", "admin")
    assert (await _cunxin("approve", _command_id(made), "--as", "hq_approver")).exit_code == 0
    back = await _cunxin("propose", "ruleset-default", "--kind", "reject", "--as", "admin", "--reason", "回到平台默认")
    assert back.exit_code == 0, back.output
    assert "已提交复核" in back.stdout and "改用平台默认" in back.stdout
    assert (await PendingCommand.get(id=_command_id(back))).params["op"] == "use_default"
    assert await RuleSetVersion.filter(version="reject-2027.1", is_active=True).count() == 1  # still in force until checked


async def test_list_changes_from_the_cli_wait_for_a_checker(demo):
    number = id_number(101)
    made = await _cunxin("propose", "list-add", "--id-number", number, "--name", "王建国", "--list", "black", "--reason", "骗贷", "--as", "manager")
    assert made.exit_code == 0, made.output
    assert "已提交复核" in made.stdout and number not in made.stdout and number[-4:] in made.stdout  # the number masked
    command_id = _command_id(made)
    assert await ListEntry.all().count() == 0
    own = await _cunxin("approve", command_id, "--as", "manager")
    assert own.exit_code == 1 and "不能审批本人发起的申请" in own.stderr
    assert (await _cunxin("approve", command_id, "--as", "approver")).exit_code == 0
    entry = await ListEntry.get()
    assert entry.removed_at is None and entry.bank_id == (await actor("manager")).bank_id

    remove = await _cunxin("propose", "list-remove", str(entry.id), "--reason", "误列", "--as", "manager")
    assert remove.exit_code == 0, remove.output
    removal_id = _command_id(remove)
    await entry.refresh_from_db()
    assert entry.removed_at is None  # still listed until checked
    assert (await _cunxin("approve", removal_id, "--as", "approver")).exit_code == 0
    await entry.refresh_from_db()
    assert entry.removed_at is not None and entry.removed_reason == "误列"

    again = await _cunxin("propose", "list-add", "--id-number", number, "--name", "王建国", "--list", "grey", "--reason", "多头借贷", "--as", "manager")
    assert (await _cunxin("approve", _command_id(again), "--as", "approver")).exit_code == 0
    not_black = await _cunxin("propose", "list-remove", "--id-number", number, "--list", "black", "--reason", "误列", "--as", "manager")
    assert not_black.exit_code == 1 and "提交失败：该客户不在本行黑名单中" in not_black.stderr
    by_number = await _cunxin("propose", "list-remove", "--id-number", number, "--list", "grey", "--reason", "已结清", "--as", "manager")
    assert by_number.exit_code == 0, by_number.output
    grey = await ListEntry.get(list_kind="grey")
    assert (await PendingCommand.get(id=_command_id(by_number))).params["entry_id"] == str(grey.id) and grey.removed_at is None


async def test_bad_list_requests_are_refused_in_chinese_and_change_nothing(demo):
    number = id_number(101)
    base = ["--name", "王建国", "--reason", "骗贷", "--as", "manager"]
    bad_number = await _cunxin("propose", "list-add", "--id-number", "123", "--list", "black", *base)
    assert bad_number.exit_code == 1 and "提交失败：" in bad_number.stderr and "身份证" in bad_number.stderr
    bad_kind = await _cunxin("propose", "list-add", "--id-number", number, "--list", "red", *base)
    assert bad_kind.exit_code == 1 and "名单类型不正确：red" in bad_kind.stderr
    bad_date = await _cunxin("propose", "list-add", "--id-number", number, "--list", "grey", "--expires", "2027-02-30", *base)
    assert bad_date.exit_code == 1 and "日期格式不正确：2027-02-30" in bad_date.stderr
    past = await _cunxin("propose", "list-add", "--id-number", number, "--list", "grey", "--expires", "2020-01-01", *base)
    assert past.exit_code == 1 and "提交失败：到期日应晚于今天" in past.stderr
    officer = await _cunxin("propose", "list-add", "--id-number", number, "--list", "black", "--name", "王建国", "--reason", "骗贷", "--as", "officer1")
    assert officer.exit_code == 1 and "提交失败：您没有“维护黑灰名单”的权限" in officer.stderr
    platform = await _cunxin("propose", "list-add", "--id-number", number, "--list", "black", "--name", "王建国", "--reason", "骗贷",
                             "--as", "platform_admin")
    assert platform.exit_code == 1 and "提交失败：平台人员不能办理法人行业务" in platform.stderr
    bad_entry = await _cunxin("propose", "list-remove", "42", "--reason", "误列", "--as", "manager")
    assert bad_entry.exit_code == 1 and "名单记录编号格式不正确：42" in bad_entry.stderr
    neither = await _cunxin("propose", "list-remove", "--reason", "误列", "--as", "manager")
    assert neither.exit_code == 1 and "请给出名单记录编号" in neither.stderr
    bad_list = await _cunxin("propose", "list-remove", "--id-number", number, "--list", "red", "--reason", "误列", "--as", "manager")
    assert bad_list.exit_code == 1 and "名单类型不正确：red" in bad_list.stderr
    gone = await _cunxin("propose", "list-remove", "00000000-0000-0000-0000-000000000000", "--reason", "误列", "--as", "manager")
    assert gone.exit_code == 1 and "提交失败：名单记录不存在或已移出" in gone.stderr
    assert await PendingCommand.all().count() == 0 and await ListEntry.all().count() == 0
