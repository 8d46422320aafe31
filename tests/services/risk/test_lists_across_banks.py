"""Black and grey lists across member banks (issue 15): a bank's own entry counts in that bank's decisions only and
is seen by its own list keepers only; the platform's list (entries the system adds) counts at every bank."""

from __future__ import annotations

import pytest

from app.domain.errors import NotFound
from app.models import ListEntry
from app.models.risk import ListKind, RiskOutcome
from app.services import risk
from app.services.actor import SYSTEM
from app.services.risk.lists import entries_in_force
from app.services.risk.reads import list_entries
from tests.factories.banks import YC_BRANCH, second_bank
from tests.factories.risk import TODAY, CountingBureau, actor, authorise, id_number, make_customer
from tests.services.risk.test_lists import _check


async def _add(vault, who, *, kind=ListKind.BLACK, reason="骗贷"):
    return await risk.add_to_list(actor=who, vault=vault, id_number=id_number(101), name="王建国", list_kind=kind, reason=reason, today=TODAY)


async def test_a_banks_own_black_list_entry_does_not_reach_another_banks_decision(demo, vault, tmp_path):
    # given one person who is a customer of both banks, and bank B's manager black-lists them
    b = await second_bank()
    at_a, at_b = await make_customer(vault), await make_customer(vault, branch_code=YC_BRANCH)
    entry = await _add(vault, await b.actor("yc_manager"))
    assert entry.bank_id == b.bank.id
    # then bank B's decision counts it and bank A's does not
    assert [e.id for e in (await entries_in_force(at_b.id_number_hash, today=TODAY, bank_id=at_b.bank_id)).black] == [entry.id]
    assert (await entries_in_force(at_a.id_number_hash, today=TODAY, bank_id=at_a.bank_id)).entries == ()
    await authorise(at_a, by=await actor())
    decision = await _check(at_a, vault, tmp_path, CountingBureau())
    assert "BLACK_LIST" not in [h["code"] for h in decision.hits]
    # and bank A's list keepers neither see it nor may remove it; bank A may list the person on its own list
    manager = await actor("manager")
    assert entry.id not in {e.id for e in await list_entries(manager, today=TODAY, limit=50)}
    with pytest.raises(NotFound):
        await risk.remove_from_list(actor=manager, entry_id=entry.id, reason="误列", now=decision.decided_at)
    own = await _add(vault, manager)
    assert own.bank_id == at_a.bank_id
    assert {e.id for e in await list_entries(await b.actor("yc_manager"), today=TODAY, limit=50)} == {entry.id}


async def test_the_platforms_list_applies_at_every_bank(demo, vault, tmp_path):
    # given an entry the system adds (the platform's list)
    b = await second_bank()
    at_a, at_b = await make_customer(vault), await make_customer(vault, branch_code=YC_BRANCH)
    entry = await _add(vault, SYSTEM, reason="公安通报")
    assert entry.bank_id is None
    # then both banks' decisions count it and both banks' list keepers see it
    for customer in (at_a, at_b):
        assert [e.id for e in (await entries_in_force(customer.id_number_hash, today=TODAY, bank_id=customer.bank_id)).black] == [entry.id]
    await authorise(at_a, by=await actor())
    assert (await _check(at_a, vault, tmp_path, CountingBureau())).decision == RiskOutcome.REJECT
    for who in (await actor("manager"), await b.actor("yc_manager")):
        assert entry.id in {e.id for e in await list_entries(who, today=TODAY, limit=50)}
    # and only the system removes it (a bank's manager may not strike the platform's list)
    with pytest.raises(NotFound):
        await risk.remove_from_list(actor=await actor("manager"), entry_id=entry.id, reason="误列", now=entry.created_at)
    await risk.remove_from_list(actor=SYSTEM, entry_id=entry.id, reason="撤销通报", now=entry.created_at)
    assert (await ListEntry.get(id=entry.id)).removed_at is not None
