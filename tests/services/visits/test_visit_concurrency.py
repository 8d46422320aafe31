import asyncio

import pytest

from app.domain.errors import Conflict
from app.models import CreditLine, OutboxMessage
from app.services.visits import decide
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
