"""支行审定 (pre-credit amounts), 公示 with its objection window, and closing the appraisal."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.appraisal import Grade, Status, check_approved_amount, check_transition, proposed_amount_fen
from app.domain.census import check_name, clean
from app.domain.error_codes import AppraisalCode, CommonCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.money import Money
from app.models import Appraisal, AppraisalOutcome, Approval, Household, Objection, Product, ReviewDecision
from app.models.appraisal import ObjectionStatus
from app.domain.vocabulary import Relation
from app.services import audit
from app.services.actor import Actor
from app.services.permissions import require
from app.services.appraisal.common import appraisal_for, require_approver, require_manager, rules_of
from app.services.appraisal.review import aggregate_of


@dataclass(frozen=True, slots=True)
class ApprovalRow:
    household: Household
    head_name: str
    outcome: AppraisalOutcome
    review: ReviewDecision
    proposed_fen: int  # max(scorecard, review amount), capped: docs/domain-facts.md#village-appraisal
    approval: Approval | None

    @property
    def excluded(self) -> bool:
        return self.outcome.excluded or self.review.grade == Grade.DECLINE

    @property
    def zero(self) -> bool:
        """A graded household (not declined) proposed at ¥0: the approver must give an amount or decline it explicitly."""
        return self.proposed_fen == 0 and not self.excluded


async def approval_rows(appraisal: Appraisal) -> list[ApprovalRow]:
    rules = rules_of(appraisal)
    product = await Product.get(id=appraisal.product_id)
    outcomes = {o.household_id: o for o in await AppraisalOutcome.filter(appraisal_id=appraisal.id)}
    reviews = {r.household_id: r for r in await ReviewDecision.filter(appraisal_id=appraisal.id)}
    approvals = {a.household_id: a for a in await Approval.filter(appraisal_id=appraisal.id)}
    households = await Household.filter(id__in=list(reviews)).prefetch_related("group", "members")
    households.sort(key=lambda h: (h.group.number if h.group else 10**6, h.household_no))
    rows = []
    for h in households:
        o, r = outcomes[h.id], reviews[h.id]
        proposed = proposed_amount_fen(aggregate_of(o), rules, product_max_fen=product.max_principal_fen, grade=Grade(r.grade),
                                       model_fen=r.model_amount_fen, review_fen=r.amount_fen)
        rows.append(ApprovalRow(household=h, head_name=next((m.name for m in h.members if m.relation == Relation.HEAD), "（未登记户主）"),
                                outcome=o, review=r, proposed_fen=proposed, approval=approvals.get(h.id)))
    return rows


async def approve(*, actor: Actor, appraisal_id: UUID, amounts: dict[UUID, Money], now: datetime) -> int:
    """Confirm the pre-credit amount of every reviewed household (a household not in `amounts`: the proposal).

    0 given for a household that was not declined is the approver's decline (审定不予授信): its grade is
    recorded as 不予授信. A household proposed at ¥0 without being declined needs an amount or an explicit 0.
    Returns the total in fen."""
    require_approver(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.status != Status.APPROVAL or appraisal.approved_at is not None:
            raise Conflict("该评议不在待审定状态", code=CommonCode.WRONG_STATUS)
        require(actor, Action.APPRAISAL_APPROVE, maker_id=appraisal.reviewed_by_id)  # the reviewer does not approve their own review
        product = await Product.get(id=appraisal.product_id)
        rows = await approval_rows(appraisal)
        records, total = [], 0
        for row in rows:
            given = amounts.get(row.household.id)
            if given is None and row.zero:
                raise ValidationError(f"户号 {row.household.household_no}：建议额度为 ¥0，请填写预授信额度；确实不予授信请填 0",
                                      code=CommonCode.INVALID_AMOUNT, field=f"amount.{row.household.id}")
            fen = given.fen if given is not None else row.proposed_fen
            try:
                check_approved_amount(fen, product_max_fen=product.max_principal_fen, excluded=row.excluded)
            except ValidationError as exc:
                raise ValidationError(f"户号 {row.household.household_no}：{exc.message}", code=exc.code, field=f"amount.{row.household.id}") from None
            grade = Grade.DECLINE if fen == 0 else Grade(row.review.grade)
            records.append(Approval(appraisal_id=appraisal.id, household_id=row.household.id, approver_id=actor.id if actor.is_officer else None,
                                    grade=grade, pre_credit_amount_fen=fen, approved_at=now))
            total += fen
        await Approval.bulk_create(records, batch_size=500)
        await Appraisal.filter(id=appraisal.id).update(approved_at=now, approved_by_id=actor.id if actor.is_officer else None)
        await audit.record(actor, "appraisal.approve", "appraisal", appraisal.id,
                           after={"households": len(records), "pre_credited": sum(1 for r in records if r.pre_credit_amount_fen > 0), "total_fen": total})
    return total


async def send_back(*, actor: Actor, appraisal_id: UUID, note: str) -> Appraisal:
    """The approver returns the appraisal to 复评 (before approving)."""
    require_approver(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.approved_at is not None:
            raise Conflict("已审定的评议不能退回", code=CommonCode.WRONG_STATUS)
        check_transition(appraisal.status, Status.REVIEW)
        await Appraisal.filter(id=appraisal.id).update(status=Status.REVIEW, submitted_at=None)
        await audit.record(actor, "appraisal.send_back", "appraisal", appraisal.id, before={"status": appraisal.status.value},
                           after={"status": Status.REVIEW.value, "note": note.strip()[:256]})
    return await Appraisal.get(id=appraisal.id)


async def publish(*, actor: Actor, appraisal_id: UUID, today: date) -> Appraisal:
    """张榜公示: the approved amounts are shown in the village; objections are taken until `objection_until`."""
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        check_transition(appraisal.status, Status.PUBLISHED)
        if appraisal.approved_at is None:
            raise Conflict("支行审定之后才能公示", code=AppraisalCode.NOT_APPROVED)
        until = today + timedelta(days=rules_of(appraisal).objection_days)
        await Appraisal.filter(id=appraisal.id).update(status=Status.PUBLISHED, published_on=today, objection_until=until)
        await audit.record(actor, "appraisal.publish", "appraisal", appraisal.id, before={"status": Status.APPROVAL.value},
                           after={"status": Status.PUBLISHED.value, "objection_until": until.isoformat()})
    return await Appraisal.get(id=appraisal.id)


async def record_objection(*, actor: Actor, appraisal_id: UUID, household_id: UUID, raised_by: str, content: str, today: date) -> Objection:
    require_manager(actor)
    raised_by, content = clean(raised_by), content.strip()
    problem = check_name(raised_by)
    if problem:
        raise ValidationError(f"提出人：{problem}", code=AppraisalCode.INVALID_OBJECTION, field="raised_by")
    if not content or len(content) > 500:
        raise ValidationError("请填写异议内容（最多 500 字）", code=AppraisalCode.INVALID_OBJECTION, field="content")
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.status != Status.PUBLISHED:
            raise Conflict("只有公示期间可以登记异议", code=CommonCode.WRONG_STATUS)
        if today > appraisal.objection_until:
            raise Conflict(f"公示期已于 {appraisal.objection_until.isoformat()} 结束，不再受理异议", code=AppraisalCode.WINDOW_CLOSED)
        if not await Approval.filter(appraisal_id=appraisal.id, household_id=household_id).exists():
            raise NotFound("公示名单中没有该户", field="household_id")
        objection = await Objection.create(appraisal_id=appraisal.id, household_id=household_id, raised_by=raised_by, content=content,
                                           recorded_by_id=actor.id if actor.is_officer else None, recorded_on=today)
        await audit.record(actor, "appraisal.objection", "appraisal", appraisal.id, after={"objection_id": str(objection.id), "household_id": str(household_id)})
    return objection


async def resolve_objection(*, actor: Actor, objection_id: UUID, upheld: bool, resolution: str, amount: Money | None, now: datetime) -> Objection:
    """An approver answers an objection; upheld with an amount changes that household's pre-credit amount."""
    require_approver(actor)
    resolution = resolution.strip()
    if not resolution or len(resolution) > 256:
        raise ValidationError("请填写处理意见（最多 256 字）", code=AppraisalCode.INVALID_OBJECTION, field="resolution")
    objection = await Objection.get_or_none(id=objection_id)
    if objection is None:
        raise NotFound("异议不存在", field="objection_id")
    async with in_transaction():
        appraisal = await appraisal_for(actor, objection.appraisal_id, lock=True)
        objection = await Objection.select_for_update().get(id=objection_id)
        if objection.status != ObjectionStatus.OPEN:
            raise Conflict("该异议已处理", code=CommonCode.ALREADY_DONE)
        if appraisal.status != Status.PUBLISHED:
            raise Conflict("只有公示期间可以处理异议", code=CommonCode.WRONG_STATUS)
        change = None
        if upheld and amount is not None:
            product = await Product.get(id=appraisal.product_id)
            fen = amount.fen
            approval = await Approval.get(appraisal_id=appraisal.id, household_id=objection.household_id)
            outcome = await AppraisalOutcome.get(appraisal_id=appraisal.id, household_id=objection.household_id)
            check_approved_amount(fen, product_max_fen=product.max_principal_fen, excluded=outcome.excluded)
            change = {"before_fen": approval.pre_credit_amount_fen, "after_fen": fen}
            review = await ReviewDecision.get(appraisal_id=appraisal.id, household_id=objection.household_id)
            grade = Grade.DECLINE if fen == 0 else (Grade(review.grade) if approval.grade == Grade.DECLINE else Grade(approval.grade))
            await Approval.filter(id=approval.id).update(pre_credit_amount_fen=fen, grade=grade, approver_id=actor.id if actor.is_officer else None,
                                                         approved_at=now)
        status = ObjectionStatus.UPHELD if upheld else ObjectionStatus.DISMISSED
        await Objection.filter(id=objection.id).update(status=status, resolution=resolution, resolved_by_id=actor.id if actor.is_officer else None, resolved_at=now)
        await audit.record(actor, "appraisal.objection_resolve", "appraisal", appraisal.id,
                           after={"objection_id": str(objection.id), "status": status.value, **(change or {})})
    return await Objection.get(id=objection.id)


async def close_appraisal(*, actor: Actor, appraisal_id: UUID, today: date, now: datetime) -> Appraisal:
    """After the objection window, with every objection answered, the results stand."""
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        check_transition(appraisal.status, Status.CLOSED)
        if today <= appraisal.objection_until:
            raise Conflict(f"公示期至 {appraisal.objection_until.isoformat()}，期满后才能结束", code=AppraisalCode.WINDOW_OPEN)
        open_count = await Objection.filter(appraisal_id=appraisal.id, status=ObjectionStatus.OPEN).count()
        if open_count:
            raise Conflict(f"还有 {open_count} 条异议未处理", code=AppraisalCode.OPEN_OBJECTIONS)
        await Appraisal.filter(id=appraisal.id).update(status=Status.CLOSED, closed_at=now)
        await audit.record(actor, "appraisal.close", "appraisal", appraisal.id, before={"status": Status.PUBLISHED.value}, after={"status": Status.CLOSED.value})
    return await Appraisal.get(id=appraisal.id)
