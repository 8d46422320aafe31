"""The customer page's read model: scope, the lists through each area's scope, the next action by priority and role, the audit."""

from __future__ import annotations

import pytest

from app.domain.errors import NotFound
from app.models import AuditEvent, HouseholdMember
from app.services.customers.view import customer_view
from tests.factories.villages import actor
from tests.factories.worklists import drawn_loan
from tests.services.visits.helpers import ctx_for, family, start


async def _kinds(username, customer_id):
    view = await customer_view(actor=await actor(username), customer_id=customer_id)
    return [a.kind for a in view.next_actions]


async def test_an_open_visit_comes_first_and_only_for_its_officer(demo, vault, settings):
    fam = await family(vault, spouse_seq=None)
    visit = await start(await ctx_for(vault, settings, fam))
    _, line, _ = await drawn_loan(vault, sequence=361, card="6217000010003619")
    await HouseholdMember.filter(id=fam.head.id).update(customer_id=line.customer_id)
    view = await customer_view(actor=await actor("officer1"), customer_id=line.customer_id)
    assert [v.id for v in view.visits] == [visit.id]  # found by the member before the ID card names the customer
    assert [(a.kind, a.label) for a in view.next_actions] == [("visit", "继续走访")]
    assert view.trail is not None and view.trail.household_id == fam.household.id
    assert await _kinds("manager", line.customer_id) == ["drawdown"]  # not the officer's visit: the line to draw on
    assert await _kinds("approver", line.customer_id) == []  # approvers neither visit nor disburse
    assert await _kinds("auditor", line.customer_id) == []


async def test_a_line_with_room_offers_a_drawdown_and_each_view_is_audited(demo, vault):
    customer, line, loan = await drawn_loan(vault)
    view = await customer_view(actor=await actor("officer1"), customer_id=customer.id)
    assert [(a.kind, a.target_id) for a in view.next_actions] == [("drawdown", line.id)]
    assert [ln.id for ln in view.lines] == [line.id] and [ln.id for ln in view.loans] == [loan.id]
    assert await AuditEvent.filter(action="customer.view", entity_id=str(customer.id)).count() == 1


async def test_out_of_scope_is_missing_and_not_audited(demo, vault):
    customer, _, _ = await drawn_loan(vault)
    with pytest.raises(NotFound):
        await customer_view(actor=await actor("officer2"), customer_id=customer.id)
    assert not await AuditEvent.filter(action="customer.view").exists()
