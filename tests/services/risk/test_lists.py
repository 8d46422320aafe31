from datetime import timedelta

import pytest

from app.domain.errors import Conflict, DomainError, Forbidden, ValidationError
from app.models import AuditEvent, CreditQuery, ListEntry
from app.models.risk import ListKind, RiskOutcome, RiskPurpose
from app.services import risk
from tests.factories.risk import NOW, TODAY, CountingBureau, actor, authorise, id_number, make_customer, media_store


async def _add(vault, *, kind=ListKind.BLACK, number=None, expires_on=None, by="manager"):
    return await risk.add_to_list(
        actor=await actor(by), vault=vault, id_number=number or id_number(101), name="王建国", list_kind=kind, reason="骗贷", today=TODAY, expires_on=expires_on
    )


async def _check(customer, vault, tmp_path, bureau):
    return await risk.check_credit(
        actor=await actor(), customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=bureau, media=media_store(tmp_path), vault=vault, now=NOW, today=TODAY, reuse_days=30
    )


async def test_a_black_listed_customer_is_rejected_without_a_bureau_query(demo, vault, tmp_path):
    customer = await make_customer(vault)
    await authorise(customer, by=await actor())
    entry = await _add(vault)
    bureau = CountingBureau()
    decision = await _check(customer, vault, tmp_path, bureau)
    assert decision.decision == RiskOutcome.REJECT and decision.credit_query_id is None
    assert [h["code"] for h in decision.hits] == ["BLACK_LIST"]
    assert decision.hits[0]["evidence"]["listEntry"] == str(entry.id)
    assert "黑名单" in decision.explanation and "骗贷" in decision.explanation
    assert bureau.calls == [] and await CreditQuery.all().count() == 0
    with pytest.raises(DomainError) as gate:
        await risk.credit_gate(customer.id, RiskPurpose.DRAWDOWN)
    assert gate.value.code == "RISK_REJECTED"


async def test_an_expired_entry_is_ignored(demo, vault, tmp_path):
    customer = await make_customer(vault)
    await authorise(customer, by=await actor())
    await _add(vault, expires_on=TODAY + timedelta(days=1))
    later = TODAY + timedelta(days=1)
    manager = await actor("manager")
    assert (await risk.list_status(actor=manager, vault=vault, id_number=id_number(101), today=TODAY)).is_black
    assert not (await risk.list_status(actor=manager, vault=vault, id_number=id_number(101), today=later)).entries
    decision = await risk.check_credit(
        actor=await actor(), customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault, now=NOW + timedelta(days=1), today=later, reuse_days=30
    )
    assert decision.decision == RiskOutcome.PASS
    assert await AuditEvent.filter(action="risk_list.check").count() == 2


async def test_a_grey_listed_customer_goes_to_review_and_passes_the_gate(demo, vault, tmp_path):
    customer = await make_customer(vault)
    await authorise(customer, by=await actor())
    await _add(vault, kind=ListKind.GREY)
    bureau = CountingBureau()
    decision = await _check(customer, vault, tmp_path, bureau)
    assert decision.decision == RiskOutcome.REVIEW
    assert [h["code"] for h in decision.hits] == ["GREY_LIST"]
    assert len(bureau.calls) == 1
    await risk.credit_gate(customer.id, RiskPurpose.SIGNING)


async def test_a_removed_entry_no_longer_counts_and_both_steps_are_audited(demo, vault):
    entry = await _add(vault)
    removed = await risk.remove_from_list(actor=await actor("admin"), entry_id=entry.id, reason="核实为误录", now=NOW)
    assert removed.removed_at == NOW and removed.removed_reason == "核实为误录"
    status = await risk.list_status(actor=await actor(), vault=vault, id_number=id_number(101), today=TODAY)
    assert status.entries == ()
    assert await AuditEvent.filter(action="risk_list.add", entity_id=str(entry.id)).exists()
    event = await AuditEvent.get(action="risk_list.remove", entity_id=str(entry.id))
    assert event.after == {"removedReason": "核实为误录"}
    stored = await ListEntry.get(id=entry.id)
    assert stored.id_number_masked == id_number(101)[:6] + "********" + id_number(101)[-4:]
    assert id_number(101) not in str(await AuditEvent.all().values_list("after", flat=True))


async def test_the_gate_sees_a_black_list_entry_added_after_a_pass(demo, vault, tmp_path):
    customer = await make_customer(vault)
    await authorise(customer, by=await actor())
    assert (await _check(customer, vault, tmp_path, CountingBureau())).decision == RiskOutcome.PASS
    await _add(vault)
    await risk.credit_gate(customer.id, RiskPurpose.SIGNING)  # without a date the gate reads only the decision
    with pytest.raises(DomainError) as gate:
        await risk.credit_gate(customer.id, RiskPurpose.SIGNING, today=TODAY)
    assert gate.value.code == "RISK_REJECTED"


async def test_an_officer_may_not_maintain_the_lists(demo, vault):
    with pytest.raises(Forbidden):
        await _add(vault, by="officer1")
    entry = await _add(vault)
    with pytest.raises(Forbidden):
        await risk.remove_from_list(actor=await actor("officer1"), entry_id=entry.id, reason="x", now=NOW)


async def test_list_input_is_checked(demo, vault):
    with pytest.raises(ValidationError) as err:
        await _add(vault, number="141023198005171019")  # wrong check code
    assert err.value.field == "id_number"
    with pytest.raises(ValidationError) as err:
        await _add(vault, expires_on=TODAY)
    assert err.value.field == "expires_on"
    await _add(vault)
    with pytest.raises(Conflict):
        await _add(vault)
    await _add(vault, kind=ListKind.GREY)  # a grey entry beside a black one is allowed
    assert await ListEntry.all().count() == 2
