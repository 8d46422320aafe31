"""Rule-set uploads and black/grey list changes go through maker-checker (双人复核).

Before: an admin's upload was the active rule set at once and a branch manager's list change counted at once, with
nobody else looking. Now the doors' service stores a pending command with its effect; a second officer checks it; it
runs once; the maker cannot check their own; a rejected one is kept; a kind the settings leave out runs at once.
"""

import asyncio

import pytest

from app.domain.errors import Conflict, DomainError, Forbidden
from app.domain.maker_checker import CommandKind, CommandStatus, MakerCheckerPolicy
from app.models import AuditEvent, ListEntry, PendingCommand, RuleSetVersion
from app.models.risk import ListKind
from app.services import risk
from app.services.maker_checker.commands import approve, command_view, reject
from app.services.risk.lists import entries_in_force, propose_list_add, propose_list_remove
from app.services.risk.rulesets import propose_ruleset_upload
from tests.factories.risk import NOW, TODAY, actor, id_number
from tests.services.risk.test_rulesets import LENIENT

POLICY = MakerCheckerPolicy()
DIRECT = MakerCheckerPolicy(kinds=frozenset(CommandKind) - {CommandKind.RULESET_UPLOAD, CommandKind.LIST_CHANGE})


async def _upload(by="admin", policy=POLICY, text=LENIENT):
    return await propose_ruleset_upload(actor=await actor(by), yaml_text=text, today=TODAY, now=NOW, policy=policy)


async def _active_versions(bank_id):
    return await RuleSetVersion.filter(bank_id=bank_id, is_active=True).values_list("version", flat=True)


# --- rule sets ------------------------------------------------------------------------------


async def test_an_admin_upload_waits_for_a_second_officer(demo):
    admin = await actor("admin")
    await risk.active_ruleset(actor=admin, bank_id=admin.bank_id)  # the shipped platform default is stored
    command = await _upload()
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.PENDING and command.kind == CommandKind.RULESET_UPLOAD
    assert await _active_versions(admin.bank_id) == []  # nothing took effect
    view = await command_view(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    figures = {f.label: (f.before, f.after) for f in view.seen.figures}
    assert figures["生效版本"] == ("reject-2026.1（平台默认）", "reject-2027.1（本行）")
    assert figures["启用的规则"][1] == "1" and view.may_check and not view.changed
    assert any("CURRENT_OVERDUE（停用）" in n for n in view.seen.notes)

    done = await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    assert done.status == CommandStatus.APPROVED
    row = await RuleSetVersion.get(bank_id=admin.bank_id, version="reject-2027.1")
    assert row.is_active and row.uploaded_by_id == admin.id and done.result == {"version_id": str(row.id), "version": "reject-2027.1"}
    assert await AuditEvent.filter(action="ruleset.upload", entity_id=str(row.id)).count() == 1


async def test_the_admin_cannot_check_their_own_upload(demo):
    command = await _upload()
    admin = await actor("admin")
    view = await command_view(actor=admin, command_id=command.id, today=TODAY, now=NOW)
    assert not view.may_check and "本人" in view.why_not
    with pytest.raises(Forbidden) as err:
        await approve(actor=admin, command_id=command.id, today=TODAY, now=NOW)
    assert err.value.code == "OWN_REQUEST"
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.PENDING
    assert await _active_versions(admin.bank_id) == []


async def test_a_branch_approver_does_not_check_rule_sets(demo):
    command = await _upload()
    with pytest.raises(DomainError):  # the head office's (a branch approver has the role, not the place)
        await approve(actor=await actor("approver"), command_id=command.id, today=TODAY, now=NOW)
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0


async def test_a_rejected_upload_is_kept_and_changes_nothing(demo):
    command = await _upload()
    rejected = await reject(actor=await actor("hq_approver"), command_id=command.id, note="未经风险委员会讨论", today=TODAY, now=NOW)
    assert rejected.status == CommandStatus.REJECTED and rejected.check_note == "未经风险委员会讨论"
    assert await PendingCommand.filter(id=command.id).exists()
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0
    with pytest.raises(Conflict):
        await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)


async def test_a_second_approval_does_not_run_it_again(demo):
    command = await _upload()
    await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    with pytest.raises(Conflict) as err:
        await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    assert err.value.code == "COMMAND_DECIDED"
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 1
    assert await AuditEvent.filter(action="ruleset.upload").count() == 1


async def test_a_bad_upload_is_refused_to_the_maker_and_nothing_is_stored(demo):
    with pytest.raises(DomainError) as err:
        await _upload(text="version: [unclosed")
    assert err.value.code == "BAD_RULESET"
    assert await PendingCommand.all().count() == 0


async def test_a_version_uploaded_meanwhile_fails_the_check_and_changes_nothing(demo):
    command = await _upload()
    await risk.upload_ruleset(actor=await actor("admin"), yaml_text=LENIENT)  # the same version name arrived meanwhile
    with pytest.raises(Conflict) as err:
        await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    assert err.value.code == "EXECUTION_FAILED"
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.FAILED
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 1


async def test_upload_runs_at_once_when_the_settings_leave_it_out(demo):
    admin = await actor("admin")
    command = await _upload(policy=DIRECT)
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.APPROVED and command.checker_id is None
    assert await _active_versions(admin.bank_id) == ["reject-2027.1"]


async def test_a_platform_admin_upload_is_a_platform_command(demo):
    """The platform default waits for a second platform admin too (tests/services/maker_checker/test_platform_commands.py)."""
    command = await _upload(by="platform_admin")
    assert isinstance(command, PendingCommand) and command.bank_id is None and command.status == CommandStatus.PENDING
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 0


# --- black and grey lists -------------------------------------------------------------------


async def _list_add(vault, by="manager", policy=POLICY, number=None, kind=ListKind.BLACK):
    return await propose_list_add(actor=await actor(by), vault=vault, id_number=number or id_number(101), name="王建国", list_kind=kind,
                                  reason="骗贷", today=TODAY, now=NOW, policy=policy)


async def test_a_list_addition_waits_for_a_checker_and_keeps_no_id_number(demo, vault):
    number = id_number(101)
    command = await _list_add(vault, number=number)
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.PENDING
    assert await ListEntry.all().count() == 0  # not listed yet
    assert number not in str(command.params) and number not in command.subject and number not in str(command.preview)
    view = await command_view(actor=await actor("approver"), command_id=command.id, today=TODAY, now=NOW)
    assert {f.label: (f.before, f.after) for f in view.seen.figures}["本行名单"] == ("未列入", "黑名单")

    await approve(actor=await actor("approver"), command_id=command.id, today=TODAY, now=NOW)
    entry = await ListEntry.get()
    manager = await actor("manager")
    assert entry.list_kind == ListKind.BLACK and entry.created_by_id == manager.id and entry.bank_id == manager.bank_id
    assert entry.id_number_hash == vault.lookup_hash(number)
    status = await entries_in_force(vault.lookup_hash(number), today=TODAY, bank_id=manager.bank_id)
    assert status.is_black


async def test_the_manager_cannot_check_their_own_list_change(demo, vault):
    command = await _list_add(vault)
    with pytest.raises(Forbidden) as err:
        await approve(actor=await actor("manager"), command_id=command.id, today=TODAY, now=NOW)
    assert err.value.code == "OWN_REQUEST"
    assert await ListEntry.all().count() == 0


async def test_a_list_removal_waits_for_a_checker_and_a_rejected_one_is_kept(demo, vault):
    entry = await risk.add_to_list(actor=await actor("manager"), vault=vault, id_number=id_number(101), name="王建国", list_kind=ListKind.GREY,
                                   reason="多头借贷", today=TODAY)
    command = await propose_list_remove(actor=await actor("manager"), entry_id=entry.id, reason="已结清", today=TODAY, now=NOW, policy=POLICY)
    assert command.status == CommandStatus.PENDING and (await ListEntry.get(id=entry.id)).removed_at is None
    assert {f.label: (f.before, f.after) for f in Effect_of(command)}["本行名单"] == ("灰名单", "未列入")
    await reject(actor=await actor("admin"), command_id=command.id, note="证据不足", today=TODAY, now=NOW)
    assert (await ListEntry.get(id=entry.id)).removed_at is None
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.REJECTED

    again = await propose_list_remove(actor=await actor("manager"), entry_id=entry.id, reason="已结清", today=TODAY, now=NOW, policy=POLICY)
    await approve(actor=await actor("admin"), command_id=again.id, today=TODAY, now=NOW)
    removed = await ListEntry.get(id=entry.id)
    assert removed.removed_at is not None and removed.removed_reason == "已结清" and removed.removed_by_id == (await actor("manager")).id


def Effect_of(command):  # noqa: N802 (reads like the type it unpacks)
    from app.domain.maker_checker import Effect

    return Effect.from_json(command.preview).figures


async def test_an_addition_already_made_meanwhile_fails_at_check_and_adds_nothing(demo, vault):
    command = await _list_add(vault)
    await risk.add_to_list(actor=await actor("admin"), vault=vault, id_number=id_number(101), name="王建国", list_kind=ListKind.BLACK,
                           reason="骗贷", today=TODAY)
    with pytest.raises(Conflict) as err:
        await approve(actor=await actor("approver"), command_id=command.id, today=TODAY, now=NOW)
    assert err.value.code == "EXECUTION_FAILED"
    assert await ListEntry.all().count() == 1 and (await PendingCommand.get(id=command.id)).status == CommandStatus.FAILED


async def test_a_list_change_runs_at_once_when_the_settings_leave_it_out(demo, vault):
    command = await _list_add(vault, policy=DIRECT)
    assert command.status == CommandStatus.APPROVED
    assert await ListEntry.filter(list_kind=ListKind.BLACK).count() == 1


@pytest.mark.postgres
async def test_concurrent_approvals_of_a_list_change_add_one_entry(demo, vault):
    command = await _list_add(vault)
    checkers = [await actor("approver"), await actor("admin")]

    async def attempt(i):
        try:
            return await approve(actor=checkers[i % 2], command_id=command.id, today=TODAY, now=NOW)
        except DomainError as exc:
            return exc

    results = await asyncio.gather(*[attempt(i) for i in range(6)])
    assert len([r for r in results if isinstance(r, PendingCommand)]) == 1
    assert {r.code for r in results if isinstance(r, DomainError)} == {"COMMAND_DECIDED"}
    assert await ListEntry.all().count() == 1 and await AuditEvent.filter(action="risk_list.add").count() == 1
