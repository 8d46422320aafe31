import asyncio

import pytest

from app.domain.errors import Conflict
from app.models import CreditLine, OutboxMessage, Visit
from app.services.risk import evaluate_strategy
from app.services.visits import decide, decision
from tests.services.visits.helpers import NOW, TODAY, ctx_for, family, pre_credit, walk_to_decision

pytestmark = pytest.mark.postgres


async def test_two_taps_on_grant_at_once_grant_one_line(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    results = await asyncio.gather(
        *(decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW, idempotency_key=key) for key in ("a", "b")),
        return_exceptions=True,
    )
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 1 and isinstance(refused[0], Conflict) and refused[0].code == "STEP_DONE"
    assert await CreditLine.all().count() == 1
    assert await OutboxMessage.filter(kind="line_granted").count() == 1


async def test_a_strategy_run_racing_the_grant_waits_for_it_instead_of_deadlocking(demo, vault, settings, monkeypatch):
    """The grant's transaction and a strategy run for the same visit take their row locks in one order (customer, then visit).

    The strategy's record references the customer and the visit (foreign-key share locks, customer first); the grant locks
    both for update. Taken visit-first, the two wait on each other and PostgreSQL kills one ("deadlock detected").
    """
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await Visit.get(id=c.visit_id)
    holding = asyncio.Event()
    real_grant = decision.grant_credit_line

    async def grant_after_the_racer_queued(**kwargs):
        holding.set()
        await asyncio.sleep(0.5)  # the racer's insert is now waiting on a lock this transaction holds
        return await real_grant(**kwargs)

    monkeypatch.setattr(decision, "grant_credit_line", grant_after_the_racer_queued)

    async def racer():
        await holding.wait()
        return await evaluate_strategy(actor=c.who, customer_id=visit.customer_id, product_code="BIANLI", today=TODAY, now=NOW, visit_id=visit.id)

    granted, evaluated = await asyncio.gather(
        decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW,
               idempotency_key="k"),
        racer(), return_exceptions=True)
    assert not isinstance(granted, Exception), granted
    assert not isinstance(evaluated, Exception), evaluated
    assert await CreditLine.filter(customer_id=visit.customer_id).count() == 1
