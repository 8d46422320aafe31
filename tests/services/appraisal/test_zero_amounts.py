"""¥0 means a decline and only a decline: amounts default from the grade's band, ¥0 rows need the approver, 公示 prints 不予授信 only for declines."""

import pytest

from app.domain.errors import ValidationError
from app.domain.money import Money
from app.models import Appraisal, AppraisalOutcome, Approval, ReviewDecision
from app.services.appraisal.approval import approval_rows, approve, publish, record_objection, resolve_objection
from app.services.appraisal.common import load_rules
from app.services.appraisal.reads import publication
from app.services.appraisal.review import accept_aggregates, close_round, review_household, submit_for_approval
from app.domain.appraisal import published_grade
from tests.factories.villages import NOW, TODAY, actor, households, open_appraisal, vote


async def _reviewed(rules=None):
    """初评 where nobody gave an amount (it is optional): h1 较好, h2 优秀, h3 一般; 整村复评 takes the aggregates."""
    appraisal, members = await open_appraisal(rules=rules)
    h1, h2, h3 = await households()
    for m in members:
        await vote(m, h1, grade="good", amount="")
        await vote(m, h2, grade="excellent", amount="")
        await vote(m, h3, grade="fair", amount="")
    officer = await actor("officer1")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    assert await accept_aggregates(actor=officer, appraisal_id=appraisal.id, now=NOW) == (3, 0)
    await submit_for_approval(actor=officer, appraisal_id=appraisal.id, now=NOW)
    return appraisal, (h1, h2, h3)


async def test_amounts_nobody_gave_default_from_the_grades_band_and_are_published_as_granted(demo):
    # given an appraisal where the panel graded every household but gave no amount
    appraisal, (h1, h2, h3) = await _reviewed()
    # then the aggregate and the bulk review take each grade's default amount, not ¥0
    outcomes = {o.household_id: o.proposed_amount_fen for o in await AppraisalOutcome.filter(appraisal_id=appraisal.id)}
    reviews = {r.household_id: r.amount_fen for r in await ReviewDecision.filter(appraisal_id=appraisal.id)}
    assert outcomes == reviews == {h1.id: 5_000_000, h2.id: 10_000_000, h3.id: 2_000_000}
    rows = await approval_rows(await Appraisal.get(id=appraisal.id))
    assert not any(r.zero for r in rows)
    # when the approver leaves every amount blank (the proposal) and the results are published
    total = await approve(actor=await actor("approver"), appraisal_id=appraisal.id, amounts={}, now=NOW)
    await publish(actor=await actor("officer1"), appraisal_id=appraisal.id, today=TODAY)
    # then every household is pre-credited, and the 公示 prints their grades, not 不予授信
    assert total == 17_000_000
    view = await publication(await actor("officer1"), appraisal.id)
    assert {a.household_id: published_grade(a.grade, a.pre_credit_amount_fen) for a in view.approvals} == {h1.id: "较好", h2.id: "优秀", h3.id: "一般"}


async def test_zero_for_a_graded_household_is_refused_on_the_ballot_and_at_review(demo):
    appraisal, members = await open_appraisal()
    h1 = (await households())[0]
    with pytest.raises(ValidationError) as err:
        await vote(members[0], h1, grade="good", amount="0")
    assert err.value.field == "amount" and "评为较好时建议额度应大于 0" in err.value.message
    assert (await vote(members[0], h1, grade="decline", amount="0")).suggested_amount_fen == 0
    await vote(members[1], h1, grade="good", amount="")
    officer = await actor("officer1")
    await close_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    with pytest.raises(ValidationError) as err:
        await review_household(actor=officer, appraisal_id=appraisal.id, household_id=h1.id, grade="good", amount=Money.from_yuan("0"), reasons=[], facts={},
                               note="", now=NOW)
    assert err.value.field == "amount" and "不予授信请选择“不予授信”等级" in err.value.message
    assert await ReviewDecision.filter(household_id=h1.id).count() == 0


async def test_a_zero_proposal_of_a_graded_household_needs_the_approvers_amount_or_an_explicit_decline(demo):
    # given rules that give 一般 no credit (cap 0) without declining it: h3's proposal is ¥0
    rules = load_rules(None)
    rules["grade_caps_yuan"] = {**rules["grade_caps_yuan"], "fair": 0}
    rules["grade_defaults_yuan"] = {**rules["grade_defaults_yuan"], "fair": 0}
    appraisal, (h1, h2, h3) = await _reviewed(rules)
    rows = {r.household.id: r for r in await approval_rows(await Appraisal.get(id=appraisal.id))}
    assert [hid for hid, r in rows.items() if r.zero] == [h3.id]
    approver = await actor("approver")
    # when the approver leaves it blank, the approval is refused and nothing is saved
    with pytest.raises(ValidationError) as err:
        await approve(actor=approver, appraisal_id=appraisal.id, amounts={}, now=NOW)
    assert err.value.field == f"amount.{h3.id}" and "建议额度为 ¥0，请填写预授信额度；确实不予授信请填 0" in err.value.message
    assert await Approval.filter(appraisal_id=appraisal.id).count() == 0
    # an explicit 0 is the approver's decline: recorded and published as 不予授信
    await approve(actor=approver, appraisal_id=appraisal.id, amounts={h3.id: Money.from_yuan("0")}, now=NOW)
    declined = await Approval.get(appraisal_id=appraisal.id, household_id=h3.id)
    assert (declined.grade, declined.pre_credit_amount_fen) == ("decline", 0)
    await publish(actor=await actor("officer1"), appraisal_id=appraisal.id, today=TODAY)
    view = await publication(await actor("officer1"), appraisal.id)
    assert {a.household_id: published_grade(a.grade, a.pre_credit_amount_fen) for a in view.approvals} == {h1.id: "较好", h2.id: "优秀", h3.id: "不予授信"}
    # an upheld objection that grants an amount is never published as 不予授信
    objection = await record_objection(actor=await actor("officer1"), appraisal_id=appraisal.id, household_id=h3.id, raised_by="王五",
                                       content="本户有稳定收入", today=TODAY)
    await resolve_objection(actor=approver, objection_id=objection.id, upheld=True, resolution="核实属实", amount=Money.from_yuan("10000"), now=NOW)
    regraded = await Approval.get(id=declined.id)
    assert (regraded.grade, regraded.pre_credit_amount_fen) == ("fair", 1_000_000)
    assert published_grade(regraded.grade, regraded.pre_credit_amount_fen) == "一般"
