"""Credit check at the visit, then the decision: granted at once within the officer's authority, else an approver's queue.

The credit-check step runs the report's reject rules (a RiskDecision) and then the strategy
(admission, anti-fraud, limit and pricing: a RiskStrategyDecision linked to the visit). The
decision step evaluates the strategy again with what the officer entered (the household's
annual income) and facts as of that moment; an approver's grant does so once more.

A grant is one transaction: the credit line, its `line_granted` outbox message and the visit's
new status commit together or not at all. A reject from either blocks the decision (the report's
also blocks signing, credit_gate); a review from either always goes to an approver; the amount
is capped by the strategy's limit and the line is priced by its spread; an approver may grant
only within their own authority and never their own visit.
"""

from __future__ import annotations

from dataclasses import dataclass, replace
from datetime import date, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import visit as flow
from app.domain.error_codes import CommonCode, CreditCheckCode, VisitCode
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationError
from app.domain.money import Money
from app.domain.permissions import Action
from app.domain.rules import worst_outcome
from app.domain.visit_file import ROUTE_APPROVAL, ROUTE_APPROVER, ROUTE_DECLINED, ROUTE_OFFICER, CreditCheck, Decision, StrategyResult
from app.integrations.bureau import CreditBureau
from app.models import Appraisal, CreditLine, Household, Product, RiskDecision, RiskStrategyDecision, Visit
from app.models.risk import RiskPurpose
from app.services import audit
from app.services.actor import Actor
from app.services.appraisal.coverage import PreCredit, household_pre_credit
from app.services.documents import MediaStore
from app.services.external_data import ExternalAccess
from app.services.lending.lines import grant_credit_line
from app.services.lending.products import active_product
from app.services.outbox import enqueue_line_granted
from app.services.permissions import refusal, require
from app.services.risk import check_credit, credit_gate, evaluate_strategy
from app.services.visits.common import VisitPolicy, authority_for, check_open, complete_step, lock_visit, own_visit, save, visible_visit


async def run_credit_check(
    *, actor: Actor, visit_id: UUID, bureau: CreditBureau, media: MediaStore, vault: Vault, policy: VisitPolicy, now: datetime, today: date,
    external: ExternalAccess | None = None,
) -> RiskDecision:
    """Pull (or reuse) the borrower's credit report and run the rules, then the strategy; both are kept on the visit and shown.

    Any outcome finishes the step (a reject then blocks the decision); bureau failures raise and leave it open.
    """
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.CREDIT_CHECK)
    decision = await check_credit(actor=actor, customer_id=visit.customer_id, purpose=RiskPurpose.SIGNING, bureau=bureau, media=media,
                                  vault=vault, now=now, today=today, reuse_days=policy.credit_report_reuse_days)
    _, product = await _pre_credit_and_product(visit, policy)
    await _evaluate(actor, visit, product, income_fen=None, media=media, vault=vault, today=today, now=now, external=external)
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        checked = CreditCheck(decision=decision.id, outcome=decision.decision.value, rules=tuple(h.get("code") for h in decision.hits))
        await complete_step(actor, visit, flow.CREDIT_CHECK, now=now, risk_decision_id=decision.id, file=replace(visit.file, credit=checked))
    return decision


def _strategy_result(row: RiskStrategyDecision) -> StrategyResult:
    return StrategyResult(decision=row.id, outcome=row.decision.value, rules=tuple(h.get("code") for h in row.hits), limit_fen=row.limit_fen,
                          spread_bp=row.spread_bp)


async def _pre_credit_and_product(visit: Visit, policy: VisitPolicy) -> tuple[PreCredit | None, Product]:
    return await household_offer_basis(visit.household_id, policy)


async def household_offer_basis(household_id: UUID, policy: VisitPolicy) -> tuple[PreCredit | None, Product]:
    """The household's pre-credit and the product the village was appraised for (else the policy's default product)."""
    pre = await household_pre_credit(household_id)
    if pre is not None:
        product_ids = await Appraisal.filter(id=pre.appraisal_id).values_list("product_id", flat=True)
        product = await Product.get_or_none(id=product_ids[0], is_active=True)
    else:
        bank_ids = await Household.filter(id=household_id).values_list("village__branch__bank_id", flat=True)
        product = await active_product(bank_ids[0] if bank_ids else None, policy.product_code)  # the household's bank's
    if product is None:
        raise NotFound("授信产品不存在或已停用", field="product")
    return pre, product


async def _evaluate(
    actor: Actor, visit: Visit, product: Product, *, income_fen: int | None, media: MediaStore, vault: Vault, today: date, now: datetime,
    external: ExternalAccess | None = None,
) -> RiskStrategyDecision:
    """The strategy on the visit's borrower, product, village and location: stored, and the visit's current one from now on.

    `external`: the external sources, which the strategy's external-data terms ask where the borrower consented."""
    outcome = await evaluate_strategy(actor=actor, customer_id=visit.customer_id, product_code=product.code, today=today, now=now, lat=visit.lat,
                                      lng=visit.lng, income_fen=income_fen, village_id=visit.village_id, visit_id=visit.id, media=media, vault=vault,
                                      external=external)
    async with in_transaction():
        locked = await lock_visit(visit.id)
        await save(locked, file=replace(locked.file, strategy=_strategy_result(outcome.record)))
    return outcome.record


def _refuse_strategy_reject(strategy: RiskStrategyDecision) -> None:
    if strategy.decision.value == "reject":
        reasons = "；".join(h["message"] for h in strategy.hits if h.get("kind") == "reject")
        raise DomainError(f"准入与反欺诈检查结论为拒绝，不能授信：{reasons}", code=CreditCheckCode.STRATEGY_REJECTED)


@dataclass(frozen=True, slots=True)
class Offer:
    """What the decision step shows: the pre-credit, the product's cap, the strategy's limit and the amount proposed."""

    pre_credit_fen: int | None
    grade: str | None
    appraisal_final: bool
    product_code: str
    product_name: str
    product_max_fen: int
    strategy: RiskStrategyDecision | None  # the visit's latest strategy decision
    proposed_fen: int | None  # None when there is nothing to grant (no pre-credit, a zero limit, a strategy reject)
    problem: str | None  # why not, in Chinese

    @property
    def lowered_by(self) -> str | None:
        """What brought the proposal below the pre-credit, never silently: "strategy" (its limit) or "product" (its cap); None when it is not lower."""
        if self.proposed_fen is None or self.pre_credit_fen is None or self.proposed_fen >= self.pre_credit_fen:
            return None
        return "strategy" if self.strategy is not None and self.strategy.limit_fen == self.proposed_fen else "product"


async def latest_strategy(visit: Visit) -> RiskStrategyDecision | None:
    """The visit's current strategy decision (the last one evaluated for it)."""
    current = visit.file.strategy
    return await RiskStrategyDecision.get_or_none(id=current.decision, visit_id=visit.id) if current else None


async def offer_for(visit: Visit, policy: VisitPolicy) -> Offer:
    """The offer as the visit stands: its pre-credit, product and current strategy decision."""
    pre, product = await _pre_credit_and_product(visit, policy)
    return _offer(pre, product, await latest_strategy(visit))


def _offer(pre: PreCredit | None, product: Product, strategy: RiskStrategyDecision | None) -> Offer:
    proposed, problem = None, None
    try:
        if strategy is not None:
            _refuse_strategy_reject(strategy)
        proposed = flow.proposed_amount(pre_credit_fen=pre.amount_fen if pre else None, product_max_fen=product.max_principal_fen,
                                        strategy_limit_fen=strategy.limit_fen if strategy else None)
    except DomainError as exc:  # no pre-credit, 不予授信, a zero limit or a strategy reject
        problem = exc.message
    return Offer(pre_credit_fen=pre.amount_fen if pre else None, grade=pre.grade if pre else None, appraisal_final=bool(pre and pre.final),
                 product_code=product.code, product_name=product.name, product_max_fen=product.max_principal_fen, strategy=strategy,
                 proposed_fen=proposed, problem=problem)


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
        spread_bp=offer.strategy.spread_bp if offer.strategy else None, exposure_cap_fen=policy.exposure_cap_fen,
    )
    await CreditLine.filter(id=line.id).update(granted_at=now, officer_id=visit.officer_id, updated_at=now)
    line.granted_at, line.officer_id = now, visit.officer_id
    await enqueue_line_granted(line, now=now)
    return line


async def decide(
    *, actor: Actor, visit_id: UUID, requested_fen: int | None, policy: VisitPolicy, media: MediaStore, vault: Vault, today: date, now: datetime,
    income_fen: int | None = None, idempotency_key: str = "", external: ExternalAccess | None = None,
) -> Visit:
    """Grant within the officer's authority (and a clean risk pass), or send the whole file to an approver.

    The strategy is evaluated again here with the household's annual income (optional, in fen): its
    limit caps the amount, its reject refuses, its review sends the file to an approver.
    The form's idempotency key is kept with the decision: the same form sent again returns the first result.
    """
    require(actor, Action.LINE_GRANT)
    idempotency_key = (idempotency_key or "")[:64]
    visit = await own_visit(actor, visit_id)
    decided = visit.file.decision
    if idempotency_key and decided is not None and decided.key == idempotency_key:
        return visit
    check_open(visit, flow.DECISION)
    if requested_fen is not None and requested_fen <= 0:
        raise ValidationError("申请额度必须大于 0", code=CommonCode.INVALID_AMOUNT, field="requested")
    await credit_gate(visit.customer_id, RiskPurpose.SIGNING, today=today)
    pre, product = await _pre_credit_and_product(visit, policy)
    strategy = await _evaluate(actor, visit, product, income_fen=income_fen, media=media, vault=vault, today=today, now=now, external=external)
    _refuse_strategy_reject(strategy)
    offer = _offer(pre, product, strategy)
    amount = flow.proposed_amount(pre_credit_fen=offer.pre_credit_fen, product_max_fen=offer.product_max_fen, strategy_limit_fen=strategy.limit_fen,
                                  requested_fen=requested_fen)
    risk = await RiskDecision.get(id=visit.risk_decision_id)
    outcome = worst_outcome(risk.decision.value, strategy.decision.value)
    route = flow.route_decision(role=actor.role, amount_fen=amount, risk_outcome=outcome, authority=await authority_for(visit, policy))
    amounts = {"pre_credit_fen": offer.pre_credit_fen, "requested_amount_fen": requested_fen, "proposed_amount_fen": amount}
    recorded = Decision(route=ROUTE_APPROVAL, amount_fen=amount, key=idempotency_key, income_fen=income_fen, strategy=_strategy_result(strategy))
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        check_open(visit, flow.DECISION)
        if route == "grant":
            line = await _grant(actor, visit, amount_fen=amount, offer=offer, policy=policy, today=today, now=now)
            granted = replace(recorded, route=ROUTE_OFFICER, line=line.id)
            await complete_step(actor, visit, flow.DECISION, now=now, status=flow.VisitStatus.GRANTED, credit_line_id=line.id, decided_by_id=actor.id,
                                decided_at=now, file=replace(visit.file, decision=granted), **amounts)
            await audit.record(actor, "visit.grant", "visit", visit.id, after={"creditLineId": str(line.id), "limitFen": amount, "by": "officer",
                                                                               "spreadBp": line.spread_bp, "strategyDecisionId": str(strategy.id)})
        else:
            why = "risk_review" if outcome != "pass" else "above_authority"
            await save(visit, status=flow.VisitStatus.AWAITING_APPROVAL, submitted_at=now, file=replace(visit.file, decision=replace(recorded, why=why)),
                       **amounts)
            await audit.record(actor, "visit.submit", "visit", visit.id, after={"amountFen": amount, "why": why, "strategyDecisionId": str(strategy.id)})
    return visit


# --- the approver ---------------------------------------------------------------------------------


def _require_approver(actor: Actor) -> None:
    if not actor.is_officer:
        raise Forbidden(refusal(Action.LINE_APPROVE), code=CommonCode.FORBIDDEN)
    require(actor, Action.LINE_APPROVE)


async def approval_queue(*, actor: Actor) -> list[Visit]:
    """Visits waiting for approval in the approver's branch tree, oldest first."""
    _require_approver(actor)
    return await Visit.filter(status=flow.VisitStatus.AWAITING_APPROVAL, branch_id__in=list(actor.branch_ids)).order_by("submitted_at").prefetch_related(
        "customer", "officer", "village", "household")


async def _pending(actor: Actor, visit_id: UUID) -> Visit:
    _require_approver(actor)
    visit = await visible_visit(actor, visit_id)
    visit = await lock_visit(visit.id)
    _check_pending(actor, visit)
    return visit


def _check_pending(actor: Actor, visit: Visit) -> None:
    if visit.status != flow.VisitStatus.AWAITING_APPROVAL:
        raise ValidationError("该授信申请不在待审批状态", code=VisitCode.NOT_AWAITING_APPROVAL)
    require(actor, Action.LINE_APPROVE, branch_id=visit.branch_id, maker_id=visit.officer_id)  # nobody approves their own visit


async def approve_visit(
    *, actor: Actor, visit_id: UUID, amount_fen: int | None, policy: VisitPolicy, media: MediaStore, vault: Vault, today: date, now: datetime,
    external: ExternalAccess | None = None,
) -> Visit:
    """Grant the line (the proposed amount, or less) within the approver's own authority.

    The strategy is evaluated once more (with the income the officer entered): a list entry or a
    shared card that appeared while the file waited refuses the grant, and a lower limit caps it.
    """
    _require_approver(actor)
    visit = await visible_visit(actor, visit_id)
    _check_pending(actor, visit)
    await credit_gate(visit.customer_id, RiskPurpose.SIGNING, today=today)
    decided = visit.file.decision
    income_fen = decided.income_fen if decided else None
    pre, product = await _pre_credit_and_product(visit, policy)
    strategy = await _evaluate(actor, visit, product, income_fen=income_fen, media=media, vault=vault, today=today, now=now, external=external)
    _refuse_strategy_reject(strategy)
    offer = _offer(pre, product, strategy)
    if offer.problem:
        raise DomainError(offer.problem, code=VisitCode.NOTHING_TO_GRANT)
    authority = await authority_for(visit, policy)  # the visit's bank's matrix
    async with in_transaction():
        visit = await _pending(actor, visit_id)
        amount = amount_fen if amount_fen is not None else min(visit.proposed_amount_fen or 0, strategy.limit_fen)
        if amount is None or amount <= 0:
            raise ValidationError("审批额度必须大于 0", code=CommonCode.INVALID_AMOUNT, field="amount")
        if amount > (visit.proposed_amount_fen or 0):
            raise ValidationError(f"审批额度不能超过申请额度 {Money(visit.proposed_amount_fen or 0).format_yuan()}", code=VisitCode.ABOVE_PROPOSED, field="amount")
        if amount > strategy.limit_fen:
            raise ValidationError(f"审批额度不能超过按额度策略重新测算的可授信额度 {Money(strategy.limit_fen).format_yuan()}", code=VisitCode.ABOVE_STRATEGY_LIMIT,
                                  field="amount")
        flow.check_approval_authority(role=actor.role, amount_fen=amount, authority=authority)
        line = await _grant(actor, visit, amount_fen=amount, offer=offer, policy=policy, today=today, now=now)
        file = visit.file
        granted = replace(file.decision or Decision(route=ROUTE_APPROVER, income_asked=False), route=ROUTE_APPROVER, amount_fen=amount, line=line.id,
                          approver=actor.id, strategy=_strategy_result(strategy))
        await complete_step(actor, visit, flow.DECISION, now=now, status=flow.VisitStatus.GRANTED, credit_line_id=line.id, decided_by_id=actor.id,
                            decided_at=now, file=replace(file, decision=granted))
        await audit.record(actor, "visit.approve", "visit", visit.id, after={"creditLineId": str(line.id), "limitFen": amount,
                                                                               "strategyDecisionId": str(strategy.id)})
    return visit


async def decline_visit(*, actor: Actor, visit_id: UUID, reason: str, now: datetime) -> Visit:
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("请填写不予授信的理由", code=CommonCode.REASON_REQUIRED, field="reason")
    async with in_transaction():
        visit = await _pending(actor, visit_id)
        file = visit.file
        declined = replace(file.decision or Decision(route=ROUTE_DECLINED, income_asked=False), route=ROUTE_DECLINED, reason=reason[:256])
        await save(visit, status=flow.VisitStatus.DECLINED, decline_reason=reason[:256], decided_by_id=actor.id, decided_at=now, finished_at=now,
                   file=replace(file, decision=declined))
        await audit.record(actor, "visit.decline", "visit", visit.id, after={"reason": reason[:256]})
    return visit
