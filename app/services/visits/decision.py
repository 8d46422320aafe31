"""Credit check at the visit, then the decision: granted at once within the officer's authority, else an approver's queue.

A grant is one transaction: the credit line, its `line_granted` outbox message and the visit's
new status commit together or not at all. A reject decision blocks the decision and signing
(credit_gate); a risk review always goes to an approver; an approver may grant only within
their own authority and never their own visit.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import visit as flow
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationError
from app.domain.money import Money
from app.integrations.bureau import CreditBureau
from app.models import Appraisal, CreditLine, Product, RiskDecision, Visit
from app.models.risk import RiskPurpose
from app.services import audit
from app.services.actor import Actor
from app.services.appraisal.coverage import household_pre_credit
from app.services.documents import MediaStore
from app.services.lending.lines import grant_credit_line
from app.services.outbox import enqueue_line_granted
from app.services.risk import check_credit, credit_gate
from app.services.visits.common import APPROVER_ROLES, VisitPolicy, check_open, complete_step, own_visit, save, visible_visit


async def run_credit_check(
    *, actor: Actor, visit_id: UUID, bureau: CreditBureau, media: MediaStore, vault: Vault, policy: VisitPolicy, now: datetime, today: date,
) -> RiskDecision:
    """Pull (or reuse) the borrower's credit report and run the rules; the decision is kept on the visit and shown.

    Any outcome finishes the step (a reject then blocks the decision); bureau failures raise and leave it open.
    """
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.CREDIT_CHECK)
    decision = await check_credit(actor=actor, customer_id=visit.customer_id, purpose=RiskPurpose.SIGNING, bureau=bureau, media=media,
                                  vault=vault, now=now, today=today, reuse_days=policy.credit_report_reuse_days)
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        await complete_step(actor, visit, flow.CREDIT_CHECK, now=now, risk_decision_id=decision.id, data={"credit": {
            "decision": str(decision.id), "outcome": decision.decision.value, "rules": [h.get("code") for h in decision.hits],
        }})
    return decision


@dataclass(frozen=True, slots=True)
class Offer:
    """What the decision step shows: the pre-credit, the product's cap and the amount proposed."""

    pre_credit_fen: int | None
    grade: str | None
    appraisal_final: bool
    product_code: str
    product_name: str
    product_max_fen: int
    proposed_fen: int | None  # None when there is nothing to grant (no pre-credit)
    problem: str | None  # why not, in Chinese


async def offer_for(visit: Visit, policy: VisitPolicy) -> Offer:
    pre = await household_pre_credit(visit.household_id)
    if pre is not None:  # the product the village was appraised for
        product_ids = await Appraisal.filter(id=pre.appraisal_id).values_list("product_id", flat=True)
        product = await Product.get_or_none(id=product_ids[0], is_active=True)
    else:
        product = await Product.get_or_none(code=policy.product_code, is_active=True)
    if product is None:
        raise NotFound("授信产品不存在或已停用", field="product")
    proposed, problem = None, None
    try:
        proposed = flow.proposed_amount(pre_credit_fen=pre.amount_fen if pre else None, product_max_fen=product.max_principal_fen)
    except DomainError as exc:  # no pre-credit, or 不予授信
        problem = exc.message
    return Offer(pre_credit_fen=pre.amount_fen if pre else None, grade=pre.grade if pre else None, appraisal_final=bool(pre and pre.final),
                 product_code=product.code, product_name=product.name, product_max_fen=product.max_principal_fen, proposed_fen=proposed, problem=problem)


def _add_years(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year + years)
    except ValueError:  # 29 February
        return day.replace(year=day.year + years, day=28)


async def _grant(actor: Actor, visit: Visit, *, amount_fen: int, offer: Offer, policy: VisitPolicy, today: date, now: datetime) -> CreditLine:
    """The line and its outbox message (call inside the decision's transaction)."""
    line = await grant_credit_line(
        actor=actor, customer_id=visit.customer_id, product_code=offer.product_code, limit_fen=amount_fen, valid_from=today,
        valid_until=_add_years(today, policy.line_years),
        grade=offer.grade if offer.grade in ("excellent", "good", "fair") else "good",
    )
    await CreditLine.filter(id=line.id).update(granted_at=now, officer_id=visit.officer_id)
    line.granted_at, line.officer_id = now, visit.officer_id
    await enqueue_line_granted(line, now=now)
    return line


async def decide(
    *, actor: Actor, visit_id: UUID, requested_fen: int | None, policy: VisitPolicy, today: date, now: datetime, idempotency_key: str = "",
) -> Visit:
    """Grant within the officer's authority (and a clean risk pass), or send the whole file to an approver.

    The form's idempotency key is kept with the decision: the same form sent again returns the first result.
    """
    idempotency_key = (idempotency_key or "")[:64]
    visit = await own_visit(actor, visit_id)
    if idempotency_key and ((visit.data or {}).get("decision") or {}).get("key") == idempotency_key:
        return visit
    check_open(visit, flow.DECISION)
    await credit_gate(visit.customer_id, RiskPurpose.SIGNING, today=today)
    offer = await offer_for(visit, policy)
    amount = flow.proposed_amount(pre_credit_fen=offer.pre_credit_fen, product_max_fen=offer.product_max_fen, requested_fen=requested_fen)
    risk = await RiskDecision.get(id=visit.risk_decision_id)
    route = flow.route_decision(role=actor.role, amount_fen=amount, risk_outcome=risk.decision.value, authority=policy.authority)
    amounts = {"pre_credit_fen": offer.pre_credit_fen, "requested_amount_fen": requested_fen, "proposed_amount_fen": amount}
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        check_open(visit, flow.DECISION)
        if route == "grant":
            line = await _grant(actor, visit, amount_fen=amount, offer=offer, policy=policy, today=today, now=now)
            await complete_step(actor, visit, flow.DECISION, now=now, status=flow.VisitStatus.GRANTED, credit_line_id=line.id, decided_by_id=actor.id,
                                decided_at=now, data={"decision": {"route": "officer", "amountFen": amount, "line": str(line.id), "key": idempotency_key}}, **amounts)
            await audit.record(actor, "visit.grant", "visit", visit.id, after={"creditLineId": str(line.id), "limitFen": amount, "by": "officer"})
        else:
            why = "risk_review" if risk.decision.value != "pass" else "above_authority"
            await save(visit, status=flow.VisitStatus.AWAITING_APPROVAL, submitted_at=now,
                       data={"decision": {"route": "approval", "amountFen": amount, "why": why, "key": idempotency_key}}, **amounts)
            await audit.record(actor, "visit.submit", "visit", visit.id, after={"amountFen": amount, "why": why})
    return visit


# --- the approver ---------------------------------------------------------------------------------


def _require_approver(actor: Actor) -> None:
    if not actor.is_officer or actor.role not in APPROVER_ROLES:
        raise Forbidden("只有审批人或支行行长可以审批授信", code="FORBIDDEN")


async def approval_queue(*, actor: Actor) -> list[Visit]:
    """Visits waiting for approval in the approver's branch tree, oldest first."""
    _require_approver(actor)
    return await Visit.filter(status=flow.VisitStatus.AWAITING_APPROVAL, branch_id__in=list(actor.branch_ids)).order_by("submitted_at").prefetch_related(
        "customer", "officer", "village", "household")


async def _pending(actor: Actor, visit_id: UUID) -> Visit:
    _require_approver(actor)
    visit = await visible_visit(actor, visit_id)
    visit = await Visit.select_for_update().get(id=visit.id)
    if visit.status != flow.VisitStatus.AWAITING_APPROVAL:
        raise ValidationError("该授信申请不在待审批状态", code="NOT_AWAITING_APPROVAL")
    if visit.officer_id == actor.id:
        raise Forbidden("不能审批自己发起的授信申请", code="OWN_VISIT")
    return visit


async def approve_visit(
    *, actor: Actor, visit_id: UUID, amount_fen: int | None, policy: VisitPolicy, today: date, now: datetime,
) -> Visit:
    """Grant the line (the proposed amount, or less) within the approver's own authority."""
    _require_approver(actor)
    visit = await visible_visit(actor, visit_id)
    await credit_gate(visit.customer_id, RiskPurpose.SIGNING, today=today)
    offer = await offer_for(visit, policy)
    async with in_transaction():
        visit = await _pending(actor, visit_id)
        amount = amount_fen if amount_fen is not None else visit.proposed_amount_fen
        if amount is None or amount <= 0:
            raise ValidationError("审批额度必须大于 0", code="INVALID_AMOUNT", field="amount")
        if amount > (visit.proposed_amount_fen or 0):
            raise ValidationError(f"审批额度不能超过申请额度 {Money(visit.proposed_amount_fen or 0).format_yuan()}", code="ABOVE_PROPOSED", field="amount")
        flow.check_approval_authority(role=actor.role, amount_fen=amount, authority=policy.authority)
        line = await _grant(actor, visit, amount_fen=amount, offer=offer, policy=policy, today=today, now=now)
        await complete_step(actor, visit, flow.DECISION, now=now, status=flow.VisitStatus.GRANTED, credit_line_id=line.id, decided_by_id=actor.id,
                            decided_at=now, data={"decision": {**(visit.data or {}).get("decision", {}), "route": "approver", "amountFen": amount,
                                                               "line": str(line.id), "approver": str(actor.id)}})
        await audit.record(actor, "visit.approve", "visit", visit.id, after={"creditLineId": str(line.id), "limitFen": amount})
    return visit


async def decline_visit(*, actor: Actor, visit_id: UUID, reason: str, now: datetime) -> Visit:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("请填写不予授信的理由", code="REASON_REQUIRED", field="reason")
    async with in_transaction():
        visit = await _pending(actor, visit_id)
        await save(visit, status=flow.VisitStatus.DECLINED, decline_reason=reason[:256], decided_by_id=actor.id, decided_at=now, finished_at=now,
                   data={"decision": {**(visit.data or {}).get("decision", {}), "route": "declined", "reason": reason[:256]}})
        await audit.record(actor, "visit.decline", "visit", visit.id, after={"reason": reason[:256]})
    return visit
