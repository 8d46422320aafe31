"""Activating an older rule-set version and "use the platform default" go through maker-checker (双人复核).

Before: a bank admin's rollback and setting the bank's own version aside took effect at once, with nobody else
looking. Now they are pending commands of the rule-set kind (`ruleset_upload`), made by one admin and checked by a
second admin or a head-office approver, the effect (the version in force before and after) shown to the checker.
"""

import pytest

from app.domain.errors import Conflict, Forbidden, NotFound
from app.domain.maker_checker import CommandKind, CommandStatus, MakerCheckerPolicy
from app.models import AuditEvent, PendingCommand, RuleSetVersion
from app.models.risk import RuleSetKind
from app.services import risk
from app.services.maker_checker.commands import approve, command_view
from app.services.risk.rulesets import propose_ruleset_activate, propose_use_platform_default
from tests.factories.risk import NOW, TODAY, actor
from tests.services.risk.test_rulesets import LENIENT

POLICY = MakerCheckerPolicy()
DIRECT = MakerCheckerPolicy(kinds=frozenset(CommandKind) - {CommandKind.RULESET_UPLOAD})
NEWER = LENIENT.replace("reject-2027.1", "reject-2027.2")


async def _two_versions():
    """The bank has reject-2027.1 (older, inactive) and reject-2027.2 (active)."""
    admin = await actor("admin")
    await risk.active_ruleset(actor=admin, bank_id=admin.bank_id)  # the shipped platform default is stored
    await risk.upload_ruleset(actor=admin, yaml_text=LENIENT)
    await risk.upload_ruleset(actor=admin, yaml_text=NEWER)
    return admin


async def _applying(bank_id):
    return (await risk.active_ruleset(actor=await actor("admin"), bank_id=bank_id))[0].version


async def test_activating_an_older_version_waits_for_a_second_officer(demo):
    admin = await _two_versions()
    command = await propose_ruleset_activate(actor=admin, version="reject-2027.1", today=TODAY, now=NOW, policy=POLICY)
    assert isinstance(command, PendingCommand) and command.status == CommandStatus.PENDING and command.kind == CommandKind.RULESET_UPLOAD
    assert await _applying(admin.bank_id) == "reject-2027.2"  # nothing took effect
    view = await command_view(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    figures = {f.label: (f.before, f.after) for f in view.seen.figures}
    assert figures["生效版本"] == ("reject-2027.2（本行）", "reject-2027.1（本行）")
    assert view.seen.title == f"启用{RuleSetKind.REJECT.label} reject-2027.1"
    assert view.may_check
    done = await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    assert done.status == CommandStatus.APPROVED and done.result["version"] == "reject-2027.1"
    assert await _applying(admin.bank_id) == "reject-2027.1"
    assert await AuditEvent.filter(action="ruleset.activate").count() == 1


async def test_use_platform_default_waits_for_a_second_officer(demo):
    admin = await _two_versions()
    command = await propose_use_platform_default(actor=admin, kind=RuleSetKind.REJECT, today=TODAY, now=NOW, policy=POLICY)
    assert command.status == CommandStatus.PENDING
    assert await _applying(admin.bank_id) == "reject-2027.2"
    view = await command_view(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    figures = {f.label: (f.before, f.after) for f in view.seen.figures}
    assert figures["生效版本"] == ("reject-2027.2（本行）", "reject-2026.1（平台默认）")
    await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    assert await _applying(admin.bank_id) == "reject-2026.1"
    assert await AuditEvent.filter(action="ruleset.use_default").count() == 1


async def test_the_maker_cannot_check_their_own_rollback(demo):
    admin = await _two_versions()
    command = await propose_ruleset_activate(actor=admin, version="reject-2027.1", today=TODAY, now=NOW, policy=POLICY)
    with pytest.raises(Forbidden) as err:
        await approve(actor=admin, command_id=command.id, today=TODAY, now=NOW)
    assert err.value.code == "OWN_REQUEST"
    assert await _applying(admin.bank_id) == "reject-2027.2"


async def test_a_version_activated_meanwhile_fails_the_check(demo):
    admin = await _two_versions()
    command = await propose_ruleset_activate(actor=admin, version="reject-2027.1", today=TODAY, now=NOW, policy=POLICY)
    await risk.activate_ruleset(actor=admin, version="reject-2027.1")  # the system (or a direct run) did it meanwhile
    with pytest.raises(Conflict) as err:
        await approve(actor=await actor("hq_approver"), command_id=command.id, today=TODAY, now=NOW)
    assert err.value.code == "EXECUTION_FAILED"
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.FAILED


async def test_bad_requests_are_refused_to_the_maker(demo):
    admin = await _two_versions()
    with pytest.raises(NotFound):
        await propose_ruleset_activate(actor=admin, version="reject-1999.9", today=TODAY, now=NOW, policy=POLICY)
    with pytest.raises(Conflict):  # already the active one
        await propose_ruleset_activate(actor=admin, version="reject-2027.2", today=TODAY, now=NOW, policy=POLICY)
    with pytest.raises(Conflict):  # the strategy: the bank has no version of its own to set aside
        await propose_use_platform_default(actor=admin, kind=RuleSetKind.STRATEGY, today=TODAY, now=NOW, policy=POLICY)
    assert await PendingCommand.all().count() == 0


async def test_they_run_at_once_when_the_settings_leave_the_kind_out(demo):
    admin = await _two_versions()
    command = await propose_ruleset_activate(actor=admin, version="reject-2027.1", today=TODAY, now=NOW, policy=DIRECT)
    assert command.status == CommandStatus.APPROVED and command.checker_id is None
    assert await _applying(admin.bank_id) == "reject-2027.1"


async def test_a_platform_admin_activation_of_a_platform_default_is_a_platform_command(demo):
    platform = await actor("platform_admin")
    await risk.active_ruleset(actor=platform, bank_id=None)
    await risk.upload_ruleset(actor=platform, yaml_text=LENIENT)
    command = await propose_ruleset_activate(actor=platform, version="reject-2026.1", today=TODAY, now=NOW, policy=POLICY)
    assert isinstance(command, PendingCommand) and command.bank_id is None and command.status == CommandStatus.PENDING
    assert (await RuleSetVersion.get(bank_id=None, version="reject-2027.1")).is_active  # unchanged until a second platform admin checks
