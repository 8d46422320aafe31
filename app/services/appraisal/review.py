"""Closing 初评 (the aggregate of every household) and 复评 by the officer."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.appraisal import (
    Aggregate,
    AppraisalRules,
    GRADE_LABELS,
    Ballot,
    Grade,
    Status,
    aggregate,
    cap_fen,
    check_transition,
    proposed_amount_fen,
)
from app.domain.error_codes import AppraisalCode, CommonCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.money import Money
from app.domain.scorecard import score
from app.models import Appraisal, AppraisalOutcome, Household, Product, ReviewDecision, Vote
from app.domain.vocabulary import Relation
from app.services import audit
from app.services.actor import Actor
from app.services.appraisal.common import appraisal_for, require_manager, rules_of

REVIEW_MEMBER = "review"  # the reviewer's ballot is round 2


def ballots_of(votes: list[Vote], review: ReviewDecision | None) -> list[Ballot]:
    ballots = [
        Ballot(member=str(v.member_id), knows=v.knows_household, grade=Grade(v.grade) if v.grade else None,
               amount_fen=v.suggested_amount_fen, reasons=tuple(v.exclusion_reasons), round=1)
        for v in votes
    ]
    if review is not None:
        ballots.append(Ballot(member=REVIEW_MEMBER, knows=True, grade=Grade(review.grade), amount_fen=review.amount_fen, reasons=tuple(review.exclusion_reasons), round=2))
    return ballots


def aggregate_of(outcome: AppraisalOutcome) -> Aggregate:
    return Aggregate(votes=outcome.votes, knowing=outcome.knowing, grade=Grade(outcome.grade) if outcome.grade else None,
                     panel_amount_fen=outcome.panel_amount_fen, reason_counts=outcome.reason_counts, excluded=outcome.excluded,
                     basis=outcome.exclusion_basis, flagged=outcome.flagged)


def _outcome_fields(agg: Aggregate, rules: AppraisalRules, product_max_fen: int, review: ReviewDecision | None) -> dict:
    proposed = proposed_amount_fen(
        agg, rules, product_max_fen=product_max_fen,
        grade=Grade(review.grade) if review else None,
        model_fen=review.model_amount_fen if review else None,
        review_fen=review.amount_fen if review else None,
    )
    return {"votes": agg.votes, "knowing": agg.knowing, "grade": agg.grade, "panel_amount_fen": agg.panel_amount_fen, "reason_counts": dict(agg.reason_counts),
            "excluded": agg.excluded, "exclusion_basis": agg.basis, "flagged": agg.flagged, "proposed_amount_fen": proposed}


async def close_round(*, actor: Actor, appraisal_id: UUID, now: datetime) -> Appraisal:
    """Close 初评: no more votes; every household's aggregate is computed and kept."""
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        check_transition(appraisal.status, Status.REVIEW)
        votes = await Vote.filter(appraisal_id=appraisal.id)
        if not votes:
            raise Conflict("还没有任何评议，不能结束初评", code=AppraisalCode.NO_VOTES)
        by_household: dict[UUID, list[Vote]] = defaultdict(list)
        for v in votes:
            by_household[v.household_id].append(v)
        rules = rules_of(appraisal)
        product = await Product.get(id=appraisal.product_id)
        household_ids = await Household.filter(village_id=appraisal.village_id).values_list("id", flat=True)
        outcomes = [
            AppraisalOutcome(appraisal_id=appraisal.id, household_id=hid,
                             **_outcome_fields(aggregate(ballots_of(by_household.get(hid, []), None), rules), rules, product.max_principal_fen, None))
            for hid in household_ids
        ]
        await AppraisalOutcome.bulk_create(outcomes, batch_size=500)
        await Appraisal.filter(id=appraisal.id).update(status=Status.REVIEW, round_closed_at=now)
        await audit.record(actor, "appraisal.close_round", "appraisal", appraisal.id, before={"status": Status.FIRST_ROUND.value},
                           after={"status": Status.REVIEW.value, "votes": len(votes), "households": len(outcomes), "excluded": sum(o.excluded for o in outcomes)})
    return await Appraisal.get(id=appraisal.id)


@dataclass(frozen=True, slots=True)
class ReviewRow:
    household: Household
    head_name: str
    outcome: AppraisalOutcome
    review: ReviewDecision | None


async def review_rows(appraisal: Appraisal) -> list[ReviewRow]:
    outcomes = {o.household_id: o for o in await AppraisalOutcome.filter(appraisal_id=appraisal.id)}
    reviews = {r.household_id: r for r in await ReviewDecision.filter(appraisal_id=appraisal.id)}
    households = await Household.filter(id__in=list(outcomes)).prefetch_related("group", "members")
    households.sort(key=lambda h: (h.group.number if h.group else 10**6, h.household_no))
    return [
        ReviewRow(household=h, head_name=next((m.name for m in h.members if m.relation == Relation.HEAD), "（未登记户主）"),
                  outcome=outcomes[h.id], review=reviews.get(h.id))
        for h in households
    ]


async def review_household(
    *,
    actor: Actor,
    appraisal_id: UUID,
    household_id: UUID,
    grade: str,
    amount: Money | None,
    reasons: list[str],
    facts: dict[str, str],
    note: str,
    now: datetime,
) -> ReviewDecision:
    """复评 of one household: the officer's grade, amount (blank = the proposal), reasons and scorecard answers.
    Can be changed until the appraisal goes to 支行审定."""
    require_manager(actor)
    try:
        g = Grade(grade)
    except ValueError:
        raise ValidationError("请选择复评等级", code=AppraisalCode.INVALID_REVIEW, field="grade") from None
    amount_fen = amount.fen if amount is not None else None
    if amount_fen == 0 and g != Grade.DECLINE:
        raise ValidationError(f"复评等级为{GRADE_LABELS[g]}时复评额度应大于 0（不填则采用建议额度）；不予授信请选择“不予授信”等级",
                              code=CommonCode.INVALID_AMOUNT, field="amount")
    note = note.strip()
    if len(note) > 256:
        raise ValidationError("备注最多 256 个字", code=AppraisalCode.INVALID_REVIEW, field="note")
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.status != Status.REVIEW:
            raise Conflict("只有复评阶段可以复评", code=CommonCode.WRONG_STATUS)
        outcome = await AppraisalOutcome.get_or_none(appraisal_id=appraisal.id, household_id=household_id)
        if outcome is None:
            raise NotFound("该户不在本次评议中", field="household_id")
        rules = rules_of(appraisal)
        codes = list(dict.fromkeys(r for r in reasons if r))
        if any(rules.reason(c) is None for c in codes):
            raise ValidationError("不予授信情形不在配置的列表中", code=AppraisalCode.INVALID_REVIEW, field="reasons")
        answered = {k: v for k, v in facts.items() if v}
        model_fen = score(rules.scorecard, answered).amount_fen if answered else None
        product = await Product.get(id=appraisal.product_id)
        votes = await Vote.filter(appraisal_id=appraisal.id, household_id=household_id)
        draft = ReviewDecision(grade=g, amount_fen=amount_fen or 0, exclusion_reasons=codes, model_amount_fen=model_fen)
        agg = aggregate(ballots_of(votes, draft), rules)
        if agg.excluded and g != Grade.DECLINE:
            raise ValidationError("该户符合不予授信条件，复评等级应为“不予授信”", code=AppraisalCode.EXCLUDED, field="grade")
        cap = cap_fen(g, rules, product_max_fen=product.max_principal_fen)
        if amount_fen is None:
            amount_fen = proposed_amount_fen(agg, rules, product_max_fen=product.max_principal_fen, grade=g, model_fen=model_fen)
        elif amount_fen > cap:
            raise ValidationError(f"复评额度超过该等级上限 {cap // 100:,} 元", code=CommonCode.INVALID_AMOUNT, field="amount")
        values = {"officer_id": actor.id if actor.is_officer else None, "grade": g, "amount_fen": amount_fen, "exclusion_reasons": codes, "facts": answered,
                  "model_amount_fen": model_fen, "note": note, "decided_at": now}
        review, created = await ReviewDecision.get_or_create(appraisal_id=appraisal.id, household_id=household_id, defaults=values)
        if not created:
            await ReviewDecision.filter(id=review.id).update(**values)
            review = await ReviewDecision.get(id=review.id)
        await AppraisalOutcome.filter(id=outcome.id).update(**_outcome_fields(agg, rules, product.max_principal_fen, review))
        await audit.record(actor, "appraisal.review", "appraisal", appraisal.id,
                           after={"household_id": str(household_id), "grade": g.value, "amount_fen": amount_fen, "excluded": agg.excluded})
    return review


async def accept_aggregates(*, actor: Actor, appraisal_id: UUID, now: datetime) -> tuple[int, int]:
    """整村复评: take the aggregate as the review for every household not yet reviewed.
    Households whose votes gave no grade are left for a one-by-one review. Returns (accepted, left).
    The amount is the proposal computed now with the appraisal's rules (the grade's default when the
    panel gave none), so a graded household is never taken at ¥0."""
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.status != Status.REVIEW:
            raise Conflict("只有复评阶段可以复评", code=CommonCode.WRONG_STATUS)
        reviewed = set(await ReviewDecision.filter(appraisal_id=appraisal.id).values_list("household_id", flat=True))
        rules = rules_of(appraisal)
        product = await Product.get(id=appraisal.product_id)
        accepted, left = [], 0
        for o in await AppraisalOutcome.filter(appraisal_id=appraisal.id):
            if o.household_id in reviewed:
                continue
            if o.grade is None and not o.excluded:
                left += 1
                continue
            accepted.append(ReviewDecision(appraisal_id=appraisal.id, household_id=o.household_id, officer_id=actor.id if actor.is_officer else None,
                                           grade=Grade.DECLINE if o.excluded else Grade(o.grade),
                                           amount_fen=proposed_amount_fen(aggregate_of(o), rules, product_max_fen=product.max_principal_fen),
                                           exclusion_reasons=[], facts={}, model_amount_fen=None, note="采用初评汇总结果", decided_at=now))
        await ReviewDecision.bulk_create(accepted, batch_size=500)
        await audit.record(actor, "appraisal.review_bulk", "appraisal", appraisal.id, after={"accepted": len(accepted), "left": left})
    return len(accepted), left


async def submit_for_approval(*, actor: Actor, appraisal_id: UUID, now: datetime) -> Appraisal:
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        check_transition(appraisal.status, Status.APPROVAL)
        missing = await AppraisalOutcome.filter(appraisal_id=appraisal.id).count() - await ReviewDecision.filter(appraisal_id=appraisal.id).count()
        if missing > 0:
            raise Conflict(f"还有 {missing} 户未复评", code=AppraisalCode.REVIEW_INCOMPLETE)
        await Appraisal.filter(id=appraisal.id).update(status=Status.APPROVAL, submitted_at=now, reviewed_by_id=actor.id if actor.is_officer else None)
        await audit.record(actor, "appraisal.submit", "appraisal", appraisal.id, before={"status": Status.REVIEW.value}, after={"status": Status.APPROVAL.value})
    return await Appraisal.get(id=appraisal.id)
