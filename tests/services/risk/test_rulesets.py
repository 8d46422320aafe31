from datetime import timedelta

import pytest

from app.domain.errors import Conflict, DomainError, Forbidden
from app.models import AuditEvent, RuleSetVersion
from app.models.risk import RiskOutcome, RiskPurpose
from app.services import risk
from app.services.risk.rulesets import shipped_ruleset_text
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
    _, shipped = await risk.active_ruleset(actor=admin)  # stores the shipped one first
    row = await risk.upload_ruleset(actor=admin, yaml_text=LENIENT)
    assert row.is_active and row.version == "reject-2027.1" and row.uploaded_by_id == admin.id
    assert row.yaml_text == LENIENT and row.description == "不查当前逾期"
    active = await RuleSetVersion.filter(is_active=True).values_list("version", flat=True)
    assert active == ["reject-2027.1"]
    current, loaded = await risk.active_ruleset(actor=admin)
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
    await risk.activate_ruleset(actor=admin, version="reject-2026.1")
    assert (await risk.active_ruleset(actor=admin))[0].version == "reject-2026.1"
    assert await AuditEvent.filter(action="ruleset.activate").count() == 1


async def test_the_shipped_rule_set_is_stored_once(demo):
    first, _ = await risk.active_ruleset(actor=await actor())
    second, _ = await risk.active_ruleset(actor=await actor())
    assert first.id == second.id and first.yaml_text == shipped_ruleset_text()
    assert await AuditEvent.filter(action="ruleset.seed").count() == 1
