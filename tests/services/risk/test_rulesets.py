from datetime import timedelta

import pytest

from app.domain.errors import Conflict, DomainError, Forbidden, NotFound
from app.models import AuditEvent, RuleSetVersion
from app.models.risk import RiskOutcome, RiskPurpose, RuleSetKind
from app.services import risk
from app.services.actor import SYSTEM
from app.services.risk.rulesets import shipped_ruleset_text
from tests.factories.banks import YC_BRANCH, second_bank
from tests.factories.risk import NOW, CountingBureau, actor, authorise, make_customer, media_store

LENIENT = """
version: reject-2027.1
description: 不查当前逾期
rules:
  - code: CURRENT_OVERDUE
    kind: reject
    enabled: false
    message: "账户{account}当前逾期{periods}期"
  - code: BAD_ACCOUNT_STATUS
    kind: reject
    message: "账户{account}状态为「{statusName}」"
"""


async def test_an_admin_upload_becomes_the_active_version(demo):
    admin = await actor("admin")
    _, shipped = await risk.active_ruleset(actor=admin, bank_id=admin.bank_id)  # stores the shipped one first (the platform default)
    row = await risk.upload_ruleset(actor=admin, yaml_text=LENIENT)
    assert row.is_active and row.version == "reject-2027.1" and row.uploaded_by_id == admin.id
    assert row.yaml_text == LENIENT and row.description == "不查当前逾期"
    active = await RuleSetVersion.filter(is_active=True).order_by("version").values_list("version", "bank_id")
    assert active == [("reject-2026.1", None), ("reject-2027.1", admin.bank_id)]  # the bank's own beside the platform default
    current, loaded = await risk.active_ruleset(actor=admin, bank_id=admin.bank_id)
    assert current.id == row.id and [r.code for r in loaded.rules] == ["CURRENT_OVERDUE", "BAD_ACCOUNT_STATUS"]
    event = await AuditEvent.get(action="ruleset.upload", entity_id=str(row.id))
    assert event.before == {"version": shipped.version} and event.after["version"] == "reject-2027.1"


@pytest.mark.parametrize("username", ["officer1", "manager", "approver", "auditor"])
async def test_only_an_admin_may_upload(demo, username):
    with pytest.raises(Forbidden):
        await risk.upload_ruleset(actor=await actor(username), yaml_text=LENIENT)
    assert await RuleSetVersion.all().count() == 0
    assert not await AuditEvent.filter(action="ruleset.upload").exists()


@pytest.mark.parametrize(
    "text",
    [
        "version: [unclosed",
        "version: x\nrules: []\n",
        LENIENT.replace("CURRENT_OVERDUE", "NO_SUCH_RULE"),
        LENIENT.replace("{periods}", "{secret}"),
    ],
)
async def test_a_bad_rule_set_is_refused_and_nothing_stored(demo, text):
    with pytest.raises(DomainError) as err:
        await risk.upload_ruleset(actor=await actor("admin"), yaml_text=text)
    assert err.value.code == "BAD_RULESET"
    assert await RuleSetVersion.all().count() == 0
    assert not await AuditEvent.filter(action="ruleset.upload").exists()


async def test_a_version_cannot_be_uploaded_twice(demo):
    admin = await actor("admin")
    await risk.upload_ruleset(actor=admin, yaml_text=LENIENT)
    with pytest.raises(Conflict) as err:
        await risk.upload_ruleset(actor=admin, yaml_text=LENIENT)
    assert err.value.code == "DUPLICATE_VERSION"
    assert await RuleSetVersion.all().count() == 1


async def test_decisions_follow_the_active_version_and_record_it(demo, vault, tmp_path):
    officer, admin = await actor(), await actor("admin")
    customer = await make_customer(vault, sequence=911)  # sandbox: current overdue
    await authorise(customer, by=officer)
    media, bureau = media_store(tmp_path), CountingBureau()
    strict = await risk.check_credit(actor=officer, customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=bureau, media=media, vault=vault, now=NOW, today=NOW.date(), reuse_days=30)
    assert strict.decision == RiskOutcome.REJECT and strict.ruleset_version == "reject-2026.1"
    await risk.upload_ruleset(actor=admin, yaml_text=LENIENT)
    later = NOW + timedelta(hours=1)
    lenient = await risk.check_credit(actor=officer, customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=bureau, media=media, vault=vault, now=later, today=later.date(), reuse_days=30)
    assert lenient.decision == RiskOutcome.PASS and lenient.ruleset_version == "reject-2027.1"
    assert len(bureau.calls) == 1  # the same report, read by the new rules
    await risk.credit_gate(customer.id, RiskPurpose.SIGNING)  # the latest decision counts
    # the bank sets its own version aside: the platform default applies again; then it takes its own back
    await risk.use_platform_default(actor=admin, kind=RuleSetKind.REJECT)
    assert (await risk.active_ruleset(actor=admin, bank_id=customer.bank_id))[0].version == "reject-2026.1"
    await risk.activate_ruleset(actor=admin, version="reject-2027.1")
    assert (await risk.active_ruleset(actor=admin, bank_id=customer.bank_id))[0].version == "reject-2027.1"
    assert await AuditEvent.filter(action="ruleset.activate").count() == 1 and await AuditEvent.filter(action="ruleset.use_default").count() == 1


async def test_the_shipped_rule_set_is_stored_once(demo):
    first, _ = await risk.active_ruleset(actor=await actor(), bank_id=None)
    second, _ = await risk.active_ruleset(actor=await actor(), bank_id=(await actor()).bank_id)
    assert first.id == second.id and first.yaml_text == shipped_ruleset_text()
    assert await AuditEvent.filter(action="ruleset.seed").count() == 1


# --- per bank --------------------------------------------------------------------------------------


async def _overdue_customer_at(vault, branch_code: str):
    customer = await make_customer(vault, sequence=911, branch_code=branch_code)  # sandbox: current overdue
    await authorise(customer, by=SYSTEM)
    return customer


async def _check(vault, customer, tmp_path):
    return await risk.check_credit(actor=SYSTEM, customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=CountingBureau(), media=media_store(tmp_path),
                                   vault=vault, now=NOW, today=NOW.date(), reuse_days=30)


async def test_a_banks_upload_does_not_change_another_banks_decisions(demo, vault, tmp_path):
    # given a customer with a current overdue at each bank
    yc = await second_bank()
    ours, theirs = await _overdue_customer_at(vault, "XF010"), await _overdue_customer_at(vault, YC_BRANCH)
    # when 襄汾's admin uploads rules that ignore a current overdue
    row = await risk.upload_ruleset(actor=await actor("admin"), yaml_text=LENIENT)
    # then 襄汾's customer passes by its own version, 翼城's is still rejected by the platform default
    assert row.bank_id == ours.bank_id
    passed, rejected = await _check(vault, ours, tmp_path), await _check(vault, theirs, tmp_path)
    assert (passed.decision, passed.ruleset_version) == (RiskOutcome.PASS, "reject-2027.1")
    assert (rejected.decision, rejected.ruleset_version) == (RiskOutcome.REJECT, "reject-2026.1")
    assert (await risk.active_ruleset(actor=SYSTEM, bank_id=yc.bank.id))[0].bank_id is None


async def test_a_platform_upload_is_the_default_of_banks_without_their_own(demo, vault, tmp_path):
    # given 襄汾 has its own version
    yc = await second_bank()
    await risk.upload_ruleset(actor=await actor("admin"), yaml_text=LENIENT)
    # when the platform admin uploads a new default
    default = await risk.upload_ruleset(actor=await actor("platform_admin"), yaml_text=LENIENT.replace("reject-2027.1", "reject-2027.2"))
    # then it applies to 翼城 (no version of its own) but not to 襄汾
    assert default.bank_id is None
    assert (await risk.active_ruleset(actor=SYSTEM, bank_id=yc.bank.id))[0].version == "reject-2027.2"
    assert (await risk.active_ruleset(actor=SYSTEM, bank_id=(await actor("admin")).bank_id))[0].version == "reject-2027.1"


async def test_version_names_are_unique_within_a_bank_not_across_banks(demo):
    # given 襄汾 has reject-2027.1
    yc = await second_bank()
    await risk.upload_ruleset(actor=await actor("admin"), yaml_text=LENIENT)
    # when 翼城 and the platform upload a version of the same name
    theirs = await risk.upload_ruleset(actor=await yc.actor("yc_admin"), yaml_text=LENIENT)
    platform = await risk.upload_ruleset(actor=await actor("platform_admin"), yaml_text=LENIENT)
    # then each is stored; a second one in the same bank is refused
    assert (theirs.bank_id, platform.bank_id) == (yc.bank.id, None)
    with pytest.raises(Conflict):
        await risk.upload_ruleset(actor=await yc.actor("yc_admin"), yaml_text=LENIENT)
    assert await RuleSetVersion.filter(version="reject-2027.1").count() == 3


async def test_a_bank_admin_activates_only_its_own_versions_and_the_platform_default_cannot_be_set_aside(demo):
    yc = await second_bank()
    await risk.upload_ruleset(actor=await actor("admin"), yaml_text=LENIENT)
    with pytest.raises(NotFound):  # 襄汾's version is not 翼城's to activate
        await risk.activate_ruleset(actor=await yc.actor("yc_admin"), version="reject-2027.1")
    with pytest.raises(Conflict):
        await risk.use_platform_default(actor=await actor("platform_admin"), kind=RuleSetKind.REJECT)
    assert await risk.use_platform_default(actor=await yc.actor("yc_admin"), kind=RuleSetKind.REJECT) is None  # nothing of its own to set aside
