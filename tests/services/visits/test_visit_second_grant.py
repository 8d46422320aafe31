"""A member already granted is not granted again: the visit does not start, and a grant that meets a live line is refused."""

import pytest

from app.domain import visit as flow
from app.domain.errors import Conflict
from app.models import CreditLine, OutboxMessage, Visit
from app.services.actor import SYSTEM
from app.services.lending.lines import grant_credit_line
from app.services.visits import abandon_visit, decide, line_refusal, member_lines
from tests.services.visits.helpers import NOW, TODAY, XIJIE_CENTRE, ctx_for, family, pre_credit, start, walk_to_decision


async def _granted(vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert visit.status == flow.VisitStatus.GRANTED
    return c, visit


async def test_a_member_with_a_live_line_on_the_product_cannot_start_a_second_visit(demo, vault, settings):
    # given a member granted at a visit that then ended (the line stays)
    c, first = await _granted(vault, settings)
    await abandon_visit(actor=c.who, visit_id=first.id, reason="客户外出", now=NOW)
    # when the officer starts a visit for the member again
    with pytest.raises(Conflict) as refused:
        await start(c)
    # then the officer is told at once, and no visit is opened
    assert refused.value.code == "LINE_EXISTS" and "已有有效的便利贷授信（额度 ¥80,000.00，有效期至 2029-11-27）" in refused.value.message
    assert await Visit.filter(member_id=c.fam.head.id).count() == 1
    assert await line_refusal(c.fam.head, c.policy, on=TODAY) == refused.value.message
    assert [line.id for line in await member_lines(c.fam.head, on=TODAY)] == [first.credit_line_id]


async def test_a_grant_that_meets_a_line_granted_meanwhile_is_refused(demo, vault, settings):
    # given a visit at its decision, and a line on the same product granted to the borrower meanwhile (another channel)
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await Visit.get(id=c.visit_id)
    await grant_credit_line(actor=SYSTEM, customer_id=visit.customer_id, product_code="BIANLI", limit_fen=3_000_000, valid_from=TODAY,
                            valid_until=TODAY.replace(year=2028))
    # when the officer grants
    with pytest.raises(Conflict) as refused:
        await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    # then nothing is granted and the visit waits at its decision
    assert refused.value.code == "LINE_EXISTS"
    assert await CreditLine.filter(customer_id=visit.customer_id).count() == 1
    assert await OutboxMessage.filter(kind="line_granted").count() == 0
    visit = await Visit.get(id=c.visit_id)
    assert visit.status == flow.VisitStatus.IN_PROGRESS and visit.step == flow.DECISION


async def test_the_exposure_cap_is_the_policys(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam, exposure_cap_fen=10_000_000)
    await walk_to_decision(c)
    visit = await Visit.get(id=c.visit_id)
    await grant_credit_line(actor=SYSTEM, customer_id=visit.customer_id, product_code="GJJ", limit_fen=3_000_000, valid_from=TODAY,
                            valid_until=TODAY.replace(year=2028))
    with pytest.raises(Conflict) as refused:
        await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert refused.value.code == "EXPOSURE_CAP" and "本次最多还可授信 ¥70,000.00" in refused.value.message
    visit = await decide(actor=c.who, visit_id=c.visit_id, requested_fen=7_000_000, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert visit.status == flow.VisitStatus.GRANTED


async def test_a_member_without_a_customer_yet_starts_as_before(demo, vault, settings):
    fam = await family(vault)
    c = await ctx_for(vault, settings, fam)
    assert await line_refusal(fam.head, c.policy, on=TODAY) is None
    visit = await start(c, at=XIJIE_CENTRE)
    assert visit.status == flow.VisitStatus.IN_PROGRESS
