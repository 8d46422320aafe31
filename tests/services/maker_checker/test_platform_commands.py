"""Platform commands (双人复核 at the platform): a platform admin's rule-set upload or activation of the platform
default waits for a second platform admin.

Before: a pending command belonged to a member bank, so a platform admin's change of the platform default (which
decides every bank without its own version) ran at once with nobody else looking. Now it is a command with no bank
(platform scope): only platform staff see it, a second platform admin checks it, it runs once; a bank's officers
never see or check it. The system (no officer: the command line's own jobs) still changes at once — it has no
second pair of eyes (docs/architecture.md "Maker-checker").
"""

import pytest

from app.domain.error_codes import CommonCode
from app.domain.errors import Conflict, Forbidden, NotFound
from app.domain.maker_checker import CommandKind, CommandStatus, MakerCheckerPolicy
from app.models import AuditEvent, ListEntry, PendingCommand, RuleSetVersion
from app.models.risk import ListKind
from app.services import risk
from app.services.actor import SYSTEM
from app.services.maker_checker.commands import approve, command_view, my_requests, pending_queue, reject
from app.services.risk.lists import propose_list_add
from app.services.risk.rulesets import propose_ruleset_activate, propose_ruleset_upload
from tests.factories.risk import NOW, TODAY, actor, id_number
from tests.services.risk.test_rulesets import LENIENT

POLICY = MakerCheckerPolicy()
DIRECT = MakerCheckerPolicy(kinds=frozenset(CommandKind) - {CommandKind.RULESET_UPLOAD})


async def _platform_default() -> str | None:
    row = await RuleSetVersion.filter(bank_id=None, kind="reject", is_active=True).first()
    return row.version if row else None


async def _upload(by="platform_admin", policy=POLICY, text=LENIENT):
    return await propose_ruleset_upload(actor=await actor(by), yaml_text=text, today=TODAY, now=NOW, policy=policy)


async def test_a_platform_admin_upload_waits_for_a_second_platform_admin(demo):
    maker = await actor("platform_admin")
    await risk.active_ruleset(actor=maker, bank_id=None)  # the shipped platform default is stored
    command = await _upload()
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.PENDING
    assert command.bank_id is None and command.kind == CommandKind.RULESET_UPLOAD
    assert await _platform_default() == "reject-2026.1"  # nothing took effect
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0

    checker = await actor("platform_admin2")
    assert [c.id for c in await pending_queue(actor=checker, now=NOW)] == [command.id]
    view = await command_view(actor=checker, command_id=command.id, today=TODAY, now=NOW)
    figures = {f.label: (f.before, f.after) for f in view.seen.figures}
    assert figures["生效版本"] == ("reject-2026.1（平台默认）", "reject-2027.1（平台默认）")
    assert view.may_check and any("平台默认" in n for n in view.seen.notes)

    done = await approve(actor=checker, command_id=command.id, today=TODAY, now=NOW, note="同意")
    assert done.status == CommandStatus.APPROVED and done.checker_id == checker.id
    row = await RuleSetVersion.get(bank_id=None, version="reject-2027.1")
    assert row.is_active and row.uploaded_by_id == maker.id
    assert await _platform_default() == "reject-2027.1"
    assert await AuditEvent.filter(action="ruleset.upload", entity_id=str(row.id)).count() == 1

    with pytest.raises(Conflict) as again:  # runs exactly once
        await approve(actor=checker, command_id=command.id, today=TODAY, now=NOW)
    assert again.value.message.startswith("该申请已处理")
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 1


async def test_the_platform_maker_cannot_check_their_own(demo):
    command = await _upload()
    maker = await actor("platform_admin")
    view = await command_view(actor=maker, command_id=command.id, today=TODAY, now=NOW)
    assert not view.may_check and view.why_not == "不能审批本人发起的申请"
    assert [c.id for c in await my_requests(actor=maker)] == [command.id]
    with pytest.raises(Forbidden) as own:
        await approve(actor=maker, command_id=command.id, today=TODAY, now=NOW)
    assert own.value.code == CommonCode.OWN_REQUEST
    with pytest.raises(Forbidden):
        await reject(actor=maker, command_id=command.id, note="撤回", today=TODAY, now=NOW)
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.PENDING
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0


@pytest.mark.parametrize("username", ["hq_approver", "admin", "approver", "manager"])
async def test_a_banks_officers_never_see_or_check_a_platform_command(demo, username):
    command = await _upload()
    bank_officer = await actor(username)
    assert command.id not in [c.id for c in await pending_queue(actor=bank_officer, now=NOW)]
    with pytest.raises(NotFound):
        await command_view(actor=bank_officer, command_id=command.id, today=TODAY, now=NOW)
    with pytest.raises(NotFound):
        await approve(actor=bank_officer, command_id=command.id, today=TODAY, now=NOW)
    with pytest.raises(NotFound):
        await reject(actor=bank_officer, command_id=command.id, note="不同意", today=TODAY, now=NOW)
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.PENDING
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0


async def test_a_bank_command_stays_out_of_the_platforms_queue(demo):
    bank_command = await _upload(by="admin")
    platform = await actor("platform_admin2")
    assert await pending_queue(actor=platform, now=NOW) == []
    with pytest.raises(NotFound):
        await approve(actor=platform, command_id=bank_command.id, today=TODAY, now=NOW)
    assert (await PendingCommand.get(id=bank_command.id)).status == CommandStatus.PENDING


async def test_the_platform_auditor_cannot_check(demo):
    command = await _upload()
    auditor = await actor("platform_auditor")
    assert await pending_queue(actor=auditor, now=NOW) == []
    with pytest.raises((Forbidden, NotFound)):
        await approve(actor=auditor, command_id=command.id, today=TODAY, now=NOW)
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.PENDING


async def test_a_second_platform_admin_rejects_and_it_is_kept(demo):
    command = await _upload()
    checker = await actor("platform_admin2")
    with pytest.raises(Exception) as no_note:
        await reject(actor=checker, command_id=command.id, note=" ", today=TODAY, now=NOW)
    assert "请填写退回理由" in str(no_note.value.message)
    done = await reject(actor=checker, command_id=command.id, note="未经风险委员会讨论", today=TODAY, now=NOW)
    assert done.status == CommandStatus.REJECTED and done.check_note == "未经风险委员会讨论"
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0
    assert await PendingCommand.filter(id=command.id).exists()


async def test_a_platform_activation_waits_for_a_second_platform_admin(demo):
    platform = await actor("platform_admin")
    await risk.active_ruleset(actor=platform, bank_id=None)
    await risk.upload_ruleset(actor=SYSTEM, yaml_text=LENIENT)  # the system's upload: at once (no second pair of eyes)
    assert await _platform_default() == "reject-2027.1"
    command = await propose_ruleset_activate(actor=platform, version="reject-2026.1", today=TODAY, now=NOW, policy=POLICY)
    assert isinstance(command, PendingCommand) and command.bank_id is None and command.status == CommandStatus.PENDING
    assert command.params["op"] == "activate"
    assert await _platform_default() == "reject-2027.1"
    view = await command_view(actor=await actor("platform_admin2"), command_id=command.id, today=TODAY, now=NOW)
    figures = {f.label: (f.before, f.after) for f in view.seen.figures}
    assert figures["生效版本"] == ("reject-2027.1（平台默认）", "reject-2026.1（平台默认）")
    with pytest.raises(Forbidden):
        await approve(actor=platform, command_id=command.id, today=TODAY, now=NOW)
    await approve(actor=await actor("platform_admin2"), command_id=command.id, today=TODAY, now=NOW)
    assert await _platform_default() == "reject-2026.1"


async def test_a_platform_activation_of_an_unknown_version_is_refused_at_once(demo):
    with pytest.raises(NotFound) as unknown:
        await propose_ruleset_activate(actor=await actor("platform_admin"), version="reject-1999.1", today=TODAY, now=NOW, policy=POLICY)
    assert "不存在" in unknown.value.message
    assert await PendingCommand.all().count() == 0


async def test_a_platform_upload_runs_at_once_through_the_command_when_the_settings_leave_it_out(demo):
    command = await _upload(policy=DIRECT)
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.APPROVED and command.bank_id is None
    assert await _platform_default() == "reject-2027.1"


async def test_the_system_changes_lists_and_rule_sets_at_once(demo, vault):
    """The documented exemption: the system (no officer) has no second pair of eyes, so its changes run at once."""
    entry = await propose_list_add(actor=SYSTEM, vault=vault, id_number=id_number(101), name="王建国", list_kind=ListKind.BLACK, reason="省联社通报",
                                   today=TODAY, now=NOW, policy=POLICY)
    assert isinstance(entry, ListEntry) and entry.bank_id is None
    row = await propose_ruleset_upload(actor=SYSTEM, yaml_text=LENIENT, today=TODAY, now=NOW, policy=POLICY)
    assert isinstance(row, RuleSetVersion) and row.bank_id is None and row.is_active
    assert await PendingCommand.all().count() == 0
