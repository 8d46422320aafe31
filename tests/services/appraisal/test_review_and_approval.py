from datetime import timedelta

import pytest

from app.domain.errors import Conflict, Forbidden, ValidationError
from app.domain.money import Money
from app.models import Appraisal, AppraisalOutcome, Approval, Objection, ReviewDecision
from app.services.appraisal.approval import approval_rows, approve, close_appraisal, publish, record_objection, resolve_objection, send_back
from app.services.appraisal.coverage import household_pre_credit, village_coverage
from app.services.appraisal.review import accept_aggregates, close_round, review_household, submit_for_approval
from tests.factories.villages import NOW, TODAY, actor, households, open_appraisal, vote

FACTS = {"rural_house": "good", "town_house": "no", "vehicle": "yes", "work": "business", "income": "1to5"}  # 30+0+10+10+10 = 60,000


async def _voted():
    """初评 on 西街村's 3 households: H1 liked by all, H2 one severe reason, H3 nobody knows."""
    appraisal, members = await open_appraisal(villagers=2)
    h1, h2, h3 = await households()
    for m, grade, amount in zip(members, ("excellent", "good", "good"), ("150000", "80000", "60000"), strict=True):
        await vote(m, h1, grade=grade, amount=amount)
    await vote(members[0], h2, grade="good", amount="50000", reasons=["gambling"])
    await vote(members[1], h2, grade="good", amount="50000")
    for m in members:
        await vote(m, h3, knows=False)
    return appraisal, members, (h1, h2, h3)


async def test_closing_the_round_keeps_each_households_aggregate(demo):
    appraisal, _, (h1, h2, h3) = await _voted()
    closed = await close_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    assert closed.status == "review" and closed.round_closed_at == NOW
    outcomes = {o.household_id: o for o in await AppraisalOutcome.filter(appraisal_id=appraisal.id)}
    o1, o2, o3 = outcomes[h1.id], outcomes[h2.id], outcomes[h3.id]
    assert (o1.knowing, o1.grade, o1.panel_amount_fen, o1.excluded, o1.proposed_amount_fen) == (3, "good", 8_000_000, False, 8_000_000)
    assert (o2.excluded, o2.exclusion_basis, o2.reason_counts, o2.proposed_amount_fen) == (True, "severe", {"gambling": 1}, 0)
    assert (o3.votes, o3.knowing, o3.grade, o3.proposed_amount_fen) == (3, 0, None, 0)


async def test_closing_with_no_votes_is_refused(demo):
    appraisal, _ = await open_appraisal()
    with pytest.raises(Conflict) as err:
        await close_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    assert err.value.code == "NO_VOTES"
    assert (await Appraisal.get(id=appraisal.id)).status == "first_round"


async def test_review_with_the_scorecard_and_the_caps(demo):
    appraisal, _, (h1, h2, h3) = await _voted()
    officer = await actor("officer1")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    # the scorecard gives 60,000: with a scorecard amount the panel's median suggestion (80,000) no longer counts
    review = await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, grade="good", amount=None, reasons=[], facts=FACTS, note="", now=NOW)
    assert (review.model_amount_fen, review.amount_fen) == (6_000_000, 6_000_000)
    with pytest.raises(ValidationError) as err:
        await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, grade="fair", amount=Money.from_yuan("60000"), reasons=[], facts={}, note="", now=NOW)
    assert err.value.field == "amount" and "50,000" in err.value.message
    with pytest.raises(ValidationError) as err:
        await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, grade="good", amount=None, reasons=[], facts={"rural_house": "good"}, note="", now=NOW)
    assert err.value.field == "facts.town_house"
    # an excluded household cannot be reviewed into credit
    with pytest.raises(ValidationError) as err:
        await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h2.id, grade="good", amount=Money.from_yuan("10000"), reasons=[], facts={}, note="", now=NOW)
    assert err.value.code == "EXCLUDED"
    assert await ReviewDecision.filter(household_id=h2.id).count() == 0


async def test_a_reason_at_review_after_one_in_the_first_round_excludes(demo):
    appraisal, members = await open_appraisal()
    h1 = (await households())[0]
    await vote(members[0], h1, grade="good", reasons=["family_discord"])
    await vote(members[1], h1, grade="good")
    officer = await actor("officer1")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    outcome = await AppraisalOutcome.get(appraisal_id=appraisal.id, household_id=h1.id)
    assert outcome.flagged and not outcome.excluded
    await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, grade="decline", amount=None, reasons=["high_interest_debt"], facts={}, note="核实有高息借款", now=NOW)
    outcome = await AppraisalOutcome.get(id=outcome.id)
    assert (outcome.excluded, outcome.exclusion_basis, outcome.proposed_amount_fen) == (True, "rounds", 0)


async def test_bulk_review_leaves_households_without_a_grade(demo):
    appraisal, _, (h1, h2, h3) = await _voted()
    officer = await actor("officer1")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    assert await accept_aggregates(actor=officer, appraisal_id=appraisal.id, now=NOW) == (2, 1)
    reviews = {r.household_id: r for r in await ReviewDecision.filter(appraisal_id=appraisal.id)}
    assert (reviews[h1.id].grade, reviews[h1.id].amount_fen) == ("good", 8_000_000)
    assert (reviews[h2.id].grade, reviews[h2.id].amount_fen) == ("decline", 0)
    with pytest.raises(Conflict) as err:
        await submit_for_approval(actor=officer, appraisal_id=appraisal.id, now=NOW)
    assert err.value.code == "REVIEW_INCOMPLETE" and "1 户" in err.value.message
    await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h3.id, grade="fair", amount=Money.from_yuan("30000"), reasons=[], facts={}, note="客户经理走访了解", now=NOW)
    submitted = await submit_for_approval(actor=officer, appraisal_id=appraisal.id, now=NOW)
    assert submitted.status == "approval" and submitted.reviewed_by_id == officer.id


async def _submitted(by="officer1"):
    appraisal, members, hs = await _voted()
    who = await actor(by)
    await close_round(actor=who, appraisal_id=appraisal.id, now=NOW)
    await review_household(actor=who, appraisal_id=appraisal.id, household_id=hs[0].id, grade="good", amount=None, reasons=[], facts=FACTS, note="", now=NOW)
    await accept_aggregates(actor=who, appraisal_id=appraisal.id, now=NOW)
    await review_household(actor=who, appraisal_id=appraisal.id, household_id=hs[2].id, grade="fair", amount=Money.from_yuan("30000"), reasons=[], facts={}, note="", now=NOW)
    await submit_for_approval(actor=who, appraisal_id=appraisal.id, now=NOW)
    return appraisal, hs


async def test_the_approver_confirms_the_pre_credit_amounts(demo):
    appraisal, (h1, h2, h3) = await _submitted()
    rows = {r.household.id: r for r in await approval_rows(await Appraisal.get(id=appraisal.id))}
    assert (rows[h1.id].proposed_fen, rows[h2.id].proposed_fen, rows[h3.id].proposed_fen) == (6_000_000, 0, 3_000_000)  # max(scorecard, review)
    total = await approve(actor=await actor("approver"), appraisal_id=appraisal.id, amounts={h3.id: Money.from_yuan("20000")}, now=NOW)
    approvals = {a.household_id: a.pre_credit_amount_fen for a in await Approval.filter(appraisal_id=appraisal.id)}
    assert approvals == {h1.id: 6_000_000, h2.id: 0, h3.id: 2_000_000} and total == 8_000_000
    stored = await Appraisal.get(id=appraisal.id)
    assert stored.status == "approval" and stored.approved_at == NOW
    with pytest.raises(Conflict):
        await approve(actor=await actor("approver"), appraisal_id=appraisal.id, amounts={}, now=NOW)


async def test_approval_refusals_save_nothing(demo):
    appraisal, (h1, h2, h3) = await _submitted()
    with pytest.raises(Forbidden):
        await approve(actor=await actor("officer1"), appraisal_id=appraisal.id, amounts={}, now=NOW)
    with pytest.raises(ValidationError) as err:
        await approve(actor=await actor("approver"), appraisal_id=appraisal.id, amounts={h2.id: Money.from_yuan("10000")}, now=NOW)
    assert err.value.field == f"amount.{h2.id}" and "只能为 0" in err.value.message
    with pytest.raises(ValidationError):
        await approve(actor=await actor("approver"), appraisal_id=appraisal.id, amounts={h1.id: Money.from_yuan("300000.01")}, now=NOW)
    assert await Approval.filter(appraisal_id=appraisal.id).count() == 0
    assert (await Appraisal.get(id=appraisal.id)).approved_at is None


async def test_the_reviewer_cannot_approve_their_own_review(demo):
    appraisal, _ = await _submitted(by="manager")
    with pytest.raises(Forbidden) as err:
        await approve(actor=await actor("manager"), appraisal_id=appraisal.id, amounts={}, now=NOW)
    assert err.value.code == "OWN_REQUEST"
    returned = await send_back(actor=await actor("approver"), appraisal_id=appraisal.id, note="请补充走访")
    assert returned.status == "review"


async def test_publication_objections_and_closing(demo):
    appraisal, (h1, h2, h3) = await _submitted()
    officer, approver = await actor("officer1"), await actor("approver")
    with pytest.raises(Conflict) as err:
        await publish(actor=officer, appraisal_id=appraisal.id, today=TODAY)
    assert err.value.code == "NOT_APPROVED"
    await approve(actor=approver, appraisal_id=appraisal.id, amounts={}, now=NOW)
    published = await publish(actor=officer, appraisal_id=appraisal.id, today=TODAY)
    assert (published.status, published.published_on, published.objection_until) == ("published", TODAY, TODAY + timedelta(days=7))
    objection = await record_objection(actor=officer, appraisal_id=appraisal.id, household_id=h2.id, raised_by="王建国", content="本户没有赌博，要求重新评议", today=TODAY + timedelta(days=3))
    with pytest.raises(Conflict) as err:
        await close_appraisal(actor=officer, appraisal_id=appraisal.id, today=TODAY + timedelta(days=7), now=NOW)
    assert err.value.code == "WINDOW_OPEN"
    with pytest.raises(Conflict) as err:
        await close_appraisal(actor=officer, appraisal_id=appraisal.id, today=TODAY + timedelta(days=8), now=NOW)
    assert err.value.code == "OPEN_OBJECTIONS"
    with pytest.raises(Conflict) as err:
        await record_objection(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, raised_by="李四", content="额度过高", today=TODAY + timedelta(days=8))
    assert err.value.code == "WINDOW_CLOSED"
    with pytest.raises(ValidationError):  # upheld but still excluded: the amount stays 0
        await resolve_objection(actor=approver, objection_id=objection.id, upheld=True, resolution="维持", amount=Money.from_yuan("10000"), now=NOW)
    resolved = await resolve_objection(actor=approver, objection_id=objection.id, upheld=False, resolution="经核实情况属实，维持不予授信", amount=None, now=NOW)
    assert resolved.status == "dismissed" and resolved.resolved_by_id == approver.id
    closed = await close_appraisal(actor=officer, appraisal_id=appraisal.id, today=TODAY + timedelta(days=8), now=NOW)
    assert closed.status == "closed"
    assert await Objection.filter(appraisal_id=appraisal.id).count() == 1
    credit = await household_pre_credit(h1.id)
    assert (credit.amount_fen, credit.grade, credit.final) == (6_000_000, "good", True)


async def test_an_upheld_objection_changes_the_amount(demo):
    appraisal, (h1, _, _) = await _submitted()
    officer, approver = await actor("officer1"), await actor("approver")
    await approve(actor=approver, appraisal_id=appraisal.id, amounts={}, now=NOW)
    await publish(actor=officer, appraisal_id=appraisal.id, today=TODAY)
    objection = await record_objection(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, raised_by="王建国", content="家中新添货车，申请提高额度", today=TODAY)
    await resolve_objection(actor=approver, objection_id=objection.id, upheld=True, resolution="核实属实，调整额度", amount=Money.from_yuan("90000"), now=NOW)
    assert (await Approval.get(appraisal_id=appraisal.id, household_id=h1.id)).pre_credit_amount_fen == 9_000_000
    with pytest.raises(Conflict):
        await resolve_objection(actor=approver, objection_id=objection.id, upheld=False, resolution="再次处理", amount=None, now=NOW)


async def test_coverage_follows_the_stages(demo):
    officer = await actor("officer1")
    appraisal, members, (h1, h2, h3) = await _voted()
    xijie = h1.village_id
    cov = await village_coverage(actor=officer, village_id=xijie)
    assert (cov.households, cov.appraised, cov.excluded, cov.pre_credited, cov.status) == (3, 2, 0, 0, "first_round")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    cov = await village_coverage(actor=officer, village_id=xijie)
    assert (cov.appraised, cov.excluded, cov.pre_credited) == (2, 1, 0)
    await accept_aggregates(actor=officer, appraisal_id=appraisal.id, now=NOW)
    await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h3.id, grade="fair", amount=Money.from_yuan("30000"), reasons=[], facts={}, note="", now=NOW)
    await submit_for_approval(actor=officer, appraisal_id=appraisal.id, now=NOW)
    await approve(actor=await actor("approver"), appraisal_id=appraisal.id, amounts={}, now=NOW)
    cov = await village_coverage(actor=officer, village_id=xijie)
    assert (cov.appraised, cov.excluded, cov.pre_credited, cov.pre_credit_total_fen, cov.appraised_ratio_ppm) == (3, 1, 2, 11_000_000, 1_000_000)
    assert await village_coverage(actor=await actor("officer2"), village_id=xijie) is None
