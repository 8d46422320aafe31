"""Five-tier classification as state (五级分类): the DPD floor, an officer's or a restructuring floor,
the hold on non-performing loans, the observation and the upgrade an approver decides.

End-of-day (`classify_all`) sets every active loan's days past due (business date − earliest unpaid
due date) and its class: the worst of the DPD floor, the manual floor and — for a non-performing
loan — the class it already has. So a payment, even in full, never moves 次级/可疑/损失 up by
itself: once all arrears are repaid the loan is observed, and when the observation has run its
course (the policy's periods and months, whichever is later, paid on time) end-of-day raises an
upgrade proposal that an approver decides (`decide_upgrade`). Every class change is a
`LoanClassChange` row.
"""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.classification import (
    DEFAULT_POLICY,
    NON_PERFORMING,
    ClassificationPolicy,
    FloorKind,
    UpgradeProposalStatus,
    LoanClass,
    check_upgrade_target,
    days_past_due,
    is_non_performing,
    may_propose_upgrade,
    next_class,
    observation_ends,
    worst,
)
from app.domain.error_codes import ClassificationCode, CommonCode, LendingCode
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.models import ClassUpgradeProposal, EodRun, Installment, Loan, LoanClassChange, LoanRisk
from app.domain.vocabulary import ActorType, InstallmentStatus, LoanStatus, Role
from app.clock import now_utc
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.lending import nonaccrual
from app.services.lending.access import can_access
from app.sql import days_between, execute, fetch, is_postgres, new_uuid, now_sql, uuid_type
from app.services.permissions import require

APPROVE_ROLES = frozenset({Role.APPROVER, Role.BRANCH_MANAGER})


def _rank(column: str) -> str:
    return " ".join(["CASE", *(f"WHEN {column} = '{c.value}' THEN {c.rank}" for c in LoanClass), "ELSE 0 END"])


def _class_of(rank: str) -> str:
    return " ".join(["CASE", *(f"WHEN {rank} = {c.rank} THEN '{c.value}'" for c in LoanClass), "END"])


def _greatest(*terms: str) -> str:
    return f"{'GREATEST' if is_postgres() else 'MAX'}({', '.join(terms)})"


def _dpd_rank(policy: ClassificationPolicy) -> str:
    m = policy.mapping
    return (
        f"CASE WHEN dpd <= {policy.grace_days} THEN 0 WHEN dpd >= {m.loss_from} THEN 4 WHEN dpd >= {m.doubtful_from} THEN 3"
        f" WHEN dpd >= {m.substandard_from} THEN 2 WHEN dpd >= {m.special_mention_from} THEN 1 ELSE 0 END"
    )


NPL_VALUES = ", ".join(f"'{c.value}'" for c in NON_PERFORMING)


async def classify_all(on: date, policy: ClassificationPolicy = DEFAULT_POLICY) -> None:
    """End-of-day: days past due and class for every active loan that has arrears, a class or a state."""
    await execute("DROP TABLE IF EXISTS eod_class")
    await execute(
        f"CREATE TEMP TABLE eod_class (loan_id {uuid_type()} PRIMARY KEY, dpd INTEGER NOT NULL, arrears INTEGER NOT NULL,"
        " old_class VARCHAR(16) NOT NULL, dpd_rank INTEGER, floor_rank INTEGER, held_rank INTEGER, new_rank INTEGER)"
    )
    await execute(
        "INSERT INTO eod_class (loan_id, dpd, arrears, old_class, floor_rank, held_rank)"
        " SELECT l.id, COALESCE(o.dpd, 0), CASE WHEN o.loan_id IS NULL THEN 0 ELSE 1 END, l.classification,"
        f"  {_rank('r.floor_class')}, CASE WHEN l.classification IN ({NPL_VALUES}) THEN {_rank('l.classification')} ELSE 0 END"
        " FROM loan l"
        f" LEFT JOIN (SELECT loan_id, {days_between(':d', 'MIN(due_on)')} AS dpd FROM installment"
        "            WHERE due_on <= :d AND status <> 'paid' GROUP BY loan_id) o ON o.loan_id = l.id"
        " LEFT JOIN loan_risk r ON r.loan_id = l.id"
        " WHERE l.status = 'active' AND (o.loan_id IS NOT NULL OR l.days_past_due <> 0 OR l.classification <> 'normal' OR r.id IS NOT NULL)",
        d=on,
    )
    await execute(f"UPDATE eod_class SET dpd_rank = {_dpd_rank(policy)}")
    await execute(f"UPDATE eod_class SET new_rank = {_greatest('dpd_rank', 'floor_rank', 'held_rank')}")
    new_class = _class_of("new_rank")
    reason = (
        "CASE WHEN new_rank = dpd_rank THEN '逾期天数' WHEN new_rank = floor_rank THEN '人工或重组认定'"
        " ELSE '不良贷款须经审批方可上调' END"
    )
    await execute(
        "INSERT INTO loan_class_change (id, loan_id, business_on, from_class, to_class, days_past_due, source, reason, created_at)"
        f" SELECT {new_uuid()}, loan_id, :d, old_class, {new_class}, dpd, 'eod', {reason}, {now_sql()}"
        f" FROM eod_class WHERE old_class <> {new_class}",
        d=on,
    )
    await execute(
        # a new class is a business event (updated_at); days past due alone move daily, like accrual, and do not touch it
        f"UPDATE loan SET days_past_due = e.dpd, classification = {_class_of('e.new_rank')},"
        f" updated_at = CASE WHEN loan.classification <> {_class_of('e.new_rank')} THEN {now_sql()} ELSE loan.updated_at END FROM eod_class e"
        f" WHERE e.loan_id = loan.id AND (loan.days_past_due <> e.dpd OR loan.classification <> {_class_of('e.new_rank')})"
    )
    await execute(
        f"UPDATE loan SET overdue_principal_fen = 0, overdue_interest_fen = 0, updated_at = {now_sql()}"
        " WHERE status = 'active' AND (overdue_principal_fen <> 0 OR overdue_interest_fen <> 0)"
        " AND NOT EXISTS (SELECT 1 FROM installment i WHERE i.loan_id = loan.id AND i.status = 'overdue')"
    )
    await _record_settlements(on)
    await _observe(on, policy)


async def _record_settlements(on: date) -> None:
    """Settling a loan resets its class to 正常 (repayment, auto-debit): recorded as a change like any other."""
    last = "(SELECT c.to_class FROM loan_class_change c WHERE c.loan_id = l.id ORDER BY c.created_at DESC LIMIT 1)"
    await execute(
        "INSERT INTO loan_class_change (id, loan_id, business_on, from_class, to_class, days_past_due, source, reason, created_at)"
        f" SELECT {new_uuid()}, l.id, :d, {last}, 'normal', 0, 'settled', '结清', {now_sql()}"
        f" FROM loan l WHERE l.status = 'settled' AND l.settled_on = :d AND {last} <> 'normal'",
        d=on,
    )


async def _observe(on: date, policy: ClassificationPolicy) -> None:
    """Start the observation of non-performing loans that repaid all arrears; stop it when arrears come back."""
    npl = f"SELECT loan_id FROM eod_class WHERE new_rank >= {LoanClass.SUBSTANDARD.rank}"
    await execute(
        "INSERT INTO loan_risk (id, loan_id, floor_reason, off_interest_fen, off_penalty_fen, off_compound_fen, off_accrued_fen)"
        f" SELECT {new_uuid()}, loan_id, '', 0, 0, 0, 0 FROM eod_class e WHERE arrears = 0 AND new_rank >= {LoanClass.SUBSTANDARD.rank}"
        " AND NOT EXISTS (SELECT 1 FROM loan_risk r WHERE r.loan_id = e.loan_id)"
    )
    await execute(f"UPDATE loan_risk SET observing_since = :d WHERE observing_since IS NULL AND loan_id IN ({npl} AND arrears = 0)", d=on)
    await execute(
        f"UPDATE loan_risk SET observing_since = NULL WHERE observing_since IS NOT NULL AND loan_id NOT IN ({npl} AND dpd <= {policy.grace_days})"
    )
    for row in await fetch(
        "SELECT r.loan_id, r.observing_since, e.arrears, e.dpd, l.classification, r.floor_class, r.floor_kind, r.floor_until FROM loan_risk r"
        " JOIN eod_class e ON e.loan_id = r.loan_id JOIN loan l ON l.id = r.loan_id WHERE r.observing_since IS NOT NULL"
        " AND NOT EXISTS (SELECT 1 FROM class_upgrade_proposal p WHERE p.loan_id = r.loan_id AND p.status = 'pending')"
    ):
        await _maybe_propose(row, on, policy)
    await _restructured_observed(on, policy)


def _as_date(value: Any) -> date:
    return value if isinstance(value, date) else date.fromisoformat(str(value))


async def _maybe_propose(row: dict, on: date, policy: ClassificationPolicy) -> None:
    loan_id, since = row["loan_id"], _as_date(row["observing_since"])
    rows = await Installment.filter(loan_id=loan_id, due_on__gt=since).order_by("due_on")
    late = [i.paid_on for i in rows if i.due_on <= on and i.paid_on is not None and (i.paid_on - i.due_on).days > policy.grace_days]
    if late:  # paid, but not on time: the observation starts again from that payment
        await LoanRisk.filter(loan_id=loan_id).update(observing_since=max(late))
        return
    ends = observation_ends(since, [i.due_on for i in rows], policy)
    if not may_propose_upgrade(row["classification"], since=since, on=on, ends_on=ends, arrears=bool(row["arrears"])):
        return
    floor = row["floor_class"] if row["floor_class"] and not _floor_lapsed(row["floor_kind"], row["floor_until"], on) else None
    proposed = worst([policy.dpd_floor(int(row["dpd"])), *([floor] if floor else [])])
    if proposed.rank >= LoanClass(row["classification"]).rank:
        return
    proposal = await ClassUpgradeProposal.create(
        loan_id=loan_id, raised_on=on, from_class=row["classification"], proposed_class=proposed, observed_from=since
    )
    await audit.record(SYSTEM, "loan.class_upgrade_proposed", "loan", loan_id,
                       after={"proposal": str(proposal.id), "from": row["classification"], "proposed": proposed.value, "observed_from": since.isoformat()})


def _floor_lapsed(kind: Any, until: Any, on: date) -> bool:
    """A restructuring floor whose observation has run its course: it no longer bounds an upgrade (an approver lifts it)."""
    return kind == FloorKind.RESTRUCTURED and until is not None and _as_date(until) <= on


async def _restructured_observed(on: date, policy: ClassificationPolicy) -> None:
    """A restructured (重组) performing loan whose observation has ended, paid on time throughout, with no arrears: raise a
    proposal to lift the floor (an approver decides, as for any upgrade). A payment later than the grace days during the
    observation starts it again from that payment; a non-performing one follows the observation above."""
    for row in await fetch(
        "SELECT r.loan_id, r.floor_set_on, r.floor_until, e.dpd, l.classification FROM loan_risk r"
        " JOIN eod_class e ON e.loan_id = r.loan_id JOIN loan l ON l.id = r.loan_id"
        f" WHERE r.floor_kind = '{FloorKind.RESTRUCTURED.value}' AND r.floor_until IS NOT NULL AND r.floor_until <= :d"
        f" AND l.classification NOT IN ({NPL_VALUES}) AND e.arrears = 0"
        " AND NOT EXISTS (SELECT 1 FROM class_upgrade_proposal p WHERE p.loan_id = r.loan_id AND p.status = 'pending')",
        d=on,
    ):
        loan_id, since = row["loan_id"], _as_date(row["floor_set_on"] or row["floor_until"])
        rows = await Installment.filter(loan_id=loan_id, due_on__gt=since, due_on__lte=on).order_by("due_on")
        late = [i.paid_on for i in rows if i.paid_on is not None and (i.paid_on - i.due_on).days > policy.grace_days]
        if late:  # not on time: the observation runs again from that payment
            restart = max(late)
            dues = [i.due_on for i in await Installment.filter(loan_id=loan_id, due_on__gt=restart)]
            until = observation_ends(restart, dues, policy)
            if until > _as_date(row["floor_until"]):
                await LoanRisk.filter(loan_id=loan_id).update(floor_until=until, floor_set_on=restart)
                await audit.record(SYSTEM, "loan.restructured_observation_restarted", "loan", loan_id,
                                   after={"late_payment_on": restart.isoformat(), "observation_until": until.isoformat()})
                continue
        proposed = policy.dpd_floor(int(row["dpd"]))
        if proposed.rank >= LoanClass(row["classification"]).rank:
            continue
        proposal = await ClassUpgradeProposal.create(
            loan_id=loan_id, raised_on=on, from_class=row["classification"], proposed_class=proposed, observed_from=since
        )
        await audit.record(SYSTEM, "loan.class_upgrade_proposed", "loan", loan_id,
                           after={"proposal": str(proposal.id), "from": row["classification"], "proposed": proposed.value,
                                  "observed_from": since.isoformat(), "restructured_floor": "observation_ended"})


# --- Doors: an officer's floor, an approver's decision ------------------------------------------------


def _officer_id(actor: Actor) -> UUID | None:
    return actor.id if actor.type == ActorType.OFFICER else None


def _require(actor: Actor, roles: frozenset[Role], message: str) -> None:
    if actor.type != ActorType.SYSTEM and (actor.type != ActorType.OFFICER or actor.role not in roles):
        raise Forbidden(message, code=CommonCode.FORBIDDEN)


async def _loan(actor: Actor, loan_id: UUID) -> Loan:
    loan = await Loan.select_for_update().get_or_none(id=loan_id)
    if loan is None or actor.type == ActorType.CUSTOMER or not can_access(actor, customer_id=loan.customer_id, branch_id=loan.branch_id):
        raise NotFound("借据不存在", field="loan_id")
    if loan.status != LoanStatus.ACTIVE:
        raise Conflict("借据已结清", code=LendingCode.LOAN_CLOSED, field="loan_id")
    return loan


async def _risk(loan_id: UUID) -> LoanRisk:
    risk, _ = await LoanRisk.get_or_create(loan_id=loan_id)
    return risk


async def _change(loan: Loan, to: LoanClass, *, on: date, source: str, reason: str, actor: Actor) -> None:
    if LoanClass(loan.classification) == to:
        return
    await Loan.filter(id=loan.id).update(classification=to, updated_at=now_utc())
    await LoanClassChange.create(loan_id=loan.id, business_on=on, from_class=loan.classification, to_class=to,
                                 days_past_due=loan.days_past_due, source=source, reason=reason[:200], officer_id=_officer_id(actor))
    await audit.record(actor, "loan.classify", "loan", loan.id, before={"classification": LoanClass(loan.classification).value},
                       after={"classification": to.value, "source": source})
    loan.classification = to


async def set_floor(*, actor: Actor, loan_id: UUID, floor: str | None, kind: str = FloorKind.MANUAL, reason: str, today: date) -> Loan:
    """An officer's (人工认定) or a restructuring's (重组) floor with its reason; None removes it.

    A stricter floor applies at once; removing or lowering a floor never upgrades a loan by itself
    (a performing loan follows its days past due at end-of-day; a non-performing one needs an upgrade).
    """
    require(actor, Action.LOAN_CLASSIFY)
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写认定理由", code=CommonCode.REASON_REQUIRED, field="reason")
    try:
        target = LoanClass(floor) if floor else None
        kind = FloorKind(kind)
    except ValueError:
        raise ValidationError("分类或认定类型无效", code=ClassificationCode.INVALID_CLASS, field="floor") from None
    if kind == FloorKind.RESTRUCTURED and (target is None or target.rank < LoanClass.SPECIAL_MENTION.rank):
        raise ValidationError("重组贷款至少为关注类", code=ClassificationCode.INVALID_CLASS, field="floor")
    async with in_transaction():
        loan = await _loan(actor, loan_id)
        risk = await _risk(loan.id)
        before = {"floor": risk.floor_class.value if risk.floor_class else None, "kind": risk.floor_kind.value if risk.floor_kind else None}
        await LoanRisk.filter(id=risk.id).update(floor_class=target, floor_kind=kind if target else None, floor_reason=reason[:200],
                                                 floor_set_by_id=_officer_id(actor), floor_set_on=today, floor_until=None)
        await audit.record(actor, "loan.class_floor", "loan", loan.id, before=before,
                           after={"floor": target.value if target else None, "kind": kind.value, "reason": reason[:200]})
        if target is not None and target.rank > LoanClass(loan.classification).rank:
            await _change(loan, target, on=today, source="floor", reason=reason, actor=actor)
    return await Loan.get(id=loan_id)


async def decide_upgrade(*, actor: Actor, proposal_id: UUID, approve: bool, to_class: str | None = None, note: str = "", today: date) -> ClassUpgradeProposal:
    """An approver's judgement on an upgrade proposal: approve (to the proposed class or a stricter one) or reject."""
    require(actor, Action.LOAN_UPGRADE_APPROVE)
    async with in_transaction():
        proposal = await ClassUpgradeProposal.select_for_update().get_or_none(id=proposal_id)
        if proposal is None:
            raise NotFound("上调建议不存在", field="proposal_id")
        loan = await _loan(actor, proposal.loan_id)
        if proposal.status != UpgradeProposalStatus.PENDING:
            raise Conflict("该上调建议已处理", code=ClassificationCode.ALREADY_DECIDED, field="proposal_id")
        decided = None
        if approve:
            decided = await _upgrade(actor, loan, to_class or proposal.proposed_class, note, today)
        await ClassUpgradeProposal.filter(id=proposal.id).update(
            status=UpgradeProposalStatus.APPROVED if approve else UpgradeProposalStatus.REJECTED, decided_class=decided, decided_by_id=_officer_id(actor), decided_on=today, note=note[:200]
        )
        await audit.record(actor, "loan.class_upgrade_decided", "loan", loan.id,
                           after={"proposal": str(proposal.id), "approved": approve, "to": decided.value if decided else None})
    return await ClassUpgradeProposal.get(id=proposal_id)


async def _upgrade(actor: Actor, loan: Loan, to_class: str, note: str, today: date) -> LoanClass:
    risk = await _risk(loan.id)
    first_unpaid = await Installment.filter(loan_id=loan.id, due_on__lte=today).exclude(status=InstallmentStatus.PAID).order_by("due_on").first()
    if first_unpaid is not None and first_unpaid.due_on < today:
        raise Conflict("借款人仍有逾期欠款，不能上调分类", code=ClassificationCode.ARREARS, field="proposal_id")
    dpd = days_past_due(today, first_unpaid.due_on if first_unpaid else None)
    lapsed = _floor_lapsed(risk.floor_kind, risk.floor_until, today)  # a restructuring whose observation has ended: the approval lifts its floor
    policy = await policy_in_force()
    try:
        target = check_upgrade_target(loan.classification, to_class, dpd_floor=policy.dpd_floor(dpd), floor=None if lapsed else risk.floor_class)
    except ValueError:
        raise ValidationError("上调后的分类须优于当前分类，且不优于逾期天数和人工认定的下限", code=ClassificationCode.INVALID_CLASS, field="to_class") from None
    await _change(loan, target, on=today, source="upgrade", reason=note or ("重组观察期满，审批上调" if lapsed else "审批上调"), actor=actor)
    still_npl = is_non_performing(target)
    lift = {"floor_class": None, "floor_kind": None, "floor_until": None, "floor_reason": f"重组观察期满，{today.isoformat()} 审批上调解除"} if lapsed else {}
    await LoanRisk.filter(id=risk.id).update(observing_since=today if still_npl else None, **lift)
    if not still_npl:
        await nonaccrual.resume_accrual(loan.id, today)
    return target


async def pending_proposals(actor: Actor) -> list[ClassUpgradeProposal]:
    """Upgrade proposals waiting for a decision, in the actor's branches."""
    _require(actor, APPROVE_ROLES, "只有审批人或支行行长可以查看分类上调建议")
    rows = await ClassUpgradeProposal.filter(status=UpgradeProposalStatus.PENDING).prefetch_related("loan").order_by("raised_on")
    return [p for p in rows if can_access(actor, customer_id=p.loan.customer_id, branch_id=p.loan.branch_id)]


async def policy_in_force() -> ClassificationPolicy:
    """The classification policy the latest close classified with (its `eod_run`; the settings reach the services through
    it): what an extension's observation and an approver's upgrade are judged by between closes; the default before any."""
    run = await EodRun.filter(classification_policy__isnull=False).order_by("-business_on").first()
    return ClassificationPolicy.from_json(run.classification_policy) if run else DEFAULT_POLICY


async def close_policies(first: date, last: date) -> dict[date, ClassificationPolicy]:
    """The classification policy each close from `first` to `last` classified with (its `eod_run`); the default for a day
    closed before the close kept it."""
    kept = {r.business_on: r.classification_policy for r in await EodRun.filter(business_on__gte=first, business_on__lte=last)}
    out, day = {}, first
    while day <= last:
        data = kept.get(day)
        out[day] = ClassificationPolicy.from_json(data) if data else DEFAULT_POLICY
        day += timedelta(days=1)
    return out


def next_class_of(current: LoanClass | str, dpd: int, floor: LoanClass | str | None, policy: ClassificationPolicy = DEFAULT_POLICY) -> LoanClass:
    """The class end-of-day gives (the same rule as `classify_all`, for one loan)."""
    return next_class(current, dpd_floor=policy.dpd_floor(dpd), floor=floor)
