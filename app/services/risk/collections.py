"""Collections (催收): one open task per overdue loan, opened and closed daily after end-of-day.

`open_collection_tasks(on=...)` closes the open tasks whose loan is no longer overdue
(cured, settled or written off) and opens a task for every overdue loan without an
open one; both sides are one bounded SQL query each, and a unique index on the open
task's loan keeps a re-run (or two runs at once) from opening a second task.
Officers record what they did (`record_collection_action`); every change is audited.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.clock import now_utc
from app.domain.error_codes import CommonCode, RiskCode
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.money import Money
from app.models import CollectionAction, CollectionTask, Loan
from app.domain.vocabulary import CollectionSource
from app.models.collection import CloseReason, CollectionActionKind, CollectionStatus
from app.services import audit
from app.services.actor import SYSTEM, Actor
from app.services.customers.trail import Trail, customer_trail
from app.sql import fetch
from app.services.permissions import may
from app.services.risk.worklists import can_see, require_worker, scoped

BATCH = 500
AUDIT_IDS = 200  # ids listed in the run's audit event (counts are always complete)
OVERDUE = "EXISTS (SELECT 1 FROM installment i WHERE i.loan_id = l.id AND i.status = 'overdue')"


@dataclass(frozen=True, slots=True)
class CollectionRunReport:
    business_on: date
    opened: int
    closed: int


def _uuid(value: Any) -> UUID | None:
    return None if value is None else value if isinstance(value, UUID) else UUID(str(value))


async def _close_cured(on: date) -> list[UUID]:
    rows = await fetch(
        "SELECT t.id, l.status AS loan_status FROM collection_task t JOIN loan l ON l.id = t.loan_id"
        f" WHERE t.status = 'open' AND NOT (l.status = 'active' AND ({OVERDUE} OR t.source = 'post_loan_check'))"
        # a written-off loan is still collected (账销案存) until nothing written off is left
        " AND NOT (l.status = 'written_off' AND EXISTS (SELECT 1 FROM loan_write_off w WHERE w.loan_id = l.id"
        "  AND w.recovered_principal_fen + w.recovered_interest_fen < w.principal_fen + w.interest_fen))"
    )
    by_reason: dict[CloseReason, list[UUID]] = {}
    for r in rows:
        reason = {"settled": CloseReason.SETTLED, "written_off": CloseReason.WRITTEN_OFF}.get(str(r["loan_status"]), CloseReason.CURED)
        by_reason.setdefault(reason, []).append(_uuid(r["id"]))
    closed: list[UUID] = []
    for reason, ids in by_reason.items():
        for i in range(0, len(ids), BATCH):
            chunk = ids[i : i + BATCH]
            await CollectionTask.filter(id__in=chunk, status=CollectionStatus.OPEN).update(
                status=CollectionStatus.CLOSED, closed_on=on, close_reason=reason, open_loan_id=None, open_guarantee_key=None,
                updated_at=now_utc(),
            )
            closed += chunk
    return closed


async def _open_new(on: date, min_days_past_due: int) -> int:
    rows = await fetch(
        "SELECT l.id AS loan_id, l.customer_id, l.branch_id, COALESCE(cl.officer_id, v.officer_id) AS officer_id, l.days_past_due"
        " FROM loan l JOIN credit_line cl ON cl.id = l.credit_line_id JOIN customer c ON c.id = l.customer_id"
        " LEFT JOIN village v ON v.id = c.village_id"
        f" WHERE l.status = 'active' AND l.days_past_due >= :min_dpd AND {OVERDUE}"
        " AND NOT EXISTS (SELECT 1 FROM collection_task t WHERE t.open_loan_id = l.id)",
        min_dpd=min_days_past_due,
    )
    tasks = [
        CollectionTask(
            loan_id=_uuid(r["loan_id"]), customer_id=_uuid(r["customer_id"]), branch_id=_uuid(r["branch_id"]),
            officer_id=_uuid(r["officer_id"]), open_loan_id=_uuid(r["loan_id"]), status=CollectionStatus.OPEN,
            opened_on=on, opened_dpd=int(r["days_past_due"]), next_action_on=on,
        )
        for r in rows
    ]
    if not tasks:
        return 0
    before = await CollectionTask.filter(opened_on=on).count()
    await CollectionTask.bulk_create(tasks, batch_size=BATCH, ignore_conflicts=True)  # a concurrent run's task wins
    return await CollectionTask.filter(opened_on=on).count() - before


async def open_collection_tasks(*, on: date, min_days_past_due: int = 0, actor: Actor = SYSTEM) -> CollectionRunReport:
    """Close tasks of loans no longer overdue, open one for each overdue loan without one (idempotent)."""
    async with in_transaction():
        closed = await _close_cured(on)
        opened = await _open_new(on, min_days_past_due)
        await audit.record(
            actor, "collection.run", "collection_task", None,
            after={"businessOn": on.isoformat(), "opened": opened, "closed": len(closed), "closedIds": [str(x) for x in closed[:AUDIT_IDS]]},
        )
    return CollectionRunReport(business_on=on, opened=opened, closed=len(closed))


async def open_collection_task(*, actor: Actor, loan_id: UUID, on: date) -> CollectionTask:
    """Open a collection task on one loan at a person's request (a post-loan check concluding 建议催收), overdue or not.

    At most one open task per loan (the same unique index as the daily run): an open task is returned as it is.
    """
    require_worker(actor, Action.COLLECTION_RECORD)
    async with in_transaction():
        loan = await Loan.select_for_update().get_or_none(id=loan_id)
        if loan is None or (actor.is_officer and not actor.in_branch(loan.branch_id)):
            raise NotFound("借据不存在", field="loan_id")
        await loan.fetch_related("credit_line", "customer__village")
        officer_id = loan.credit_line.officer_id or (loan.customer.village.officer_id if loan.customer.village else None)
        existing = await CollectionTask.get_or_none(open_loan_id=loan.id)
        if existing is not None:
            return existing
        task = await CollectionTask.create(
            loan_id=loan.id, customer_id=loan.customer_id, branch_id=loan.branch_id, officer_id=officer_id,
            open_loan_id=loan.id, status=CollectionStatus.OPEN, opened_on=on, opened_dpd=loan.days_past_due, next_action_on=on,
            source=CollectionSource.POST_LOAN_CHECK,
        )
        await audit.record(actor, "collection.open", "collection_task", task.id, after={"loanId": str(loan.id), "businessOn": on.isoformat()})
    return task


# --- reading and working --------------------------------------------------------------------


def tasks_query(actor: Actor | None, *, status: CollectionStatus | str | None = None):
    query = scoped(CollectionTask.all(), actor)
    return query.filter(status=CollectionStatus(status)) if status else query


async def get_task(actor: Actor | None, task_id: UUID) -> CollectionTask:
    task = await CollectionTask.get_or_none(id=task_id)
    if task is None or not can_see(actor, officer_id=task.officer_id, branch_id=task.branch_id):
        raise NotFound("催收任务不存在", field="task_id")
    return task


@dataclass(frozen=True)
class TaskFile:
    task: CollectionTask  # with its customer, officer and loan
    actions: list[CollectionAction]  # newest first, each with its officer
    trail: Trail | None = None  # 村 › 户 › 人 of the customer, for the breadcrumbs


async def task_rows(actor: Actor | None, *, status: CollectionStatus | str | None, limit: int) -> list[CollectionTask]:
    """The worklist: the next action due first, each task with its customer, officer and loan."""
    query = tasks_query(actor, status=status).order_by("next_action_on", "-opened_on").limit(limit)
    return await query.prefetch_related("customer", "officer", "loan")


async def task_file(actor: Actor | None, task_id: UUID) -> TaskFile:
    task = await get_task(actor, task_id)
    await task.fetch_related("customer", "officer", "loan")
    actions = await CollectionAction.filter(task_id=task.id).order_by("-at").prefetch_related("officer")
    return TaskFile(task=task, actions=actions, trail=await customer_trail(task.customer_id))


def owed_fen(loan: Loan) -> int:
    """Everything the borrower owes on the loan today (principal, interest, penalty, compound)."""
    return (
        loan.outstanding_principal_fen + loan.overdue_interest_fen + loan.accrued_interest_fen + loan.penalty_fen + loan.compound_fen
    )


def _check_action(
    kind: CollectionActionKind, *, outcome: str, promised_amount_fen: int | None, promised_on: date | None, next_action_on: date | None,
    today: date, max_promise_days: int,
) -> int | None:
    if not outcome:
        raise ValidationError("请填写催收结果", field="outcome")
    if len(outcome) > 500:
        raise ValidationError("催收结果最多 500 字", field="outcome")
    if next_action_on is not None and next_action_on < today:
        raise ValidationError("下次跟进日期不能早于今天", code=CommonCode.INVALID_DATE, field="next_action_on")
    if kind != CollectionActionKind.PROMISE_TO_PAY:
        if promised_amount_fen is not None or promised_on:
            field = "promised_amount" if promised_amount_fen is not None else "promised_on"
            raise ValidationError("只有「承诺还款」需要填写承诺金额和日期", field=field)
        return None
    if promised_amount_fen is None:
        raise ValidationError("请填写承诺还款金额", code=CommonCode.INVALID_AMOUNT, field="promised_amount")
    if promised_amount_fen <= 0:
        raise ValidationError("承诺还款金额必须大于 0", code=CommonCode.INVALID_AMOUNT, field="promised_amount")
    if promised_on is None:
        raise ValidationError("请填写承诺还款日期", code=CommonCode.INVALID_DATE, field="promised_on")
    if promised_on <= today:
        raise ValidationError("承诺还款日期应晚于今天", code=CommonCode.INVALID_DATE, field="promised_on")
    if promised_on > today + timedelta(days=max_promise_days):
        raise ValidationError(f"承诺还款日期不能晚于 {max_promise_days} 天后", code=CommonCode.INVALID_DATE, field="promised_on")
    return promised_amount_fen


async def record_collection_action(
    *,
    actor: Actor,
    task_id: UUID,
    kind: CollectionActionKind | str,
    outcome: str,
    today: date,
    now: datetime,
    promised_amount_fen: int | None = None,
    promised_on: date | None = None,
    next_action_on: date | None = None,
    max_promise_days: int = 90,
    legal_min_days_past_due: int = 90,
) -> CollectionAction:
    """Record a call, visit, promise to pay or legal step on an open task; audited.

    A promise needs an amount above zero (at most what is owed) and a date after today;
    its follow-up defaults to the day after the promised date. Legal collection is for
    branch managers and admins, on loans at least `legal_min_days_past_due` days past due.
    """
    require_worker(actor, Action.COLLECTION_RECORD)
    try:
        kind = CollectionActionKind(kind)
    except ValueError:
        raise ValidationError("催收方式无效", field="kind") from None
    outcome = (outcome or "").strip()
    amount_fen = _check_action(
        kind, outcome=outcome, promised_amount_fen=promised_amount_fen, promised_on=promised_on, next_action_on=next_action_on,
        today=today, max_promise_days=max_promise_days,
    )
    if kind == CollectionActionKind.LEGAL and not may(actor, Action.COLLECTION_LEGAL):
        raise Forbidden("只有支行行长或系统管理员可以发起法律催收", code=CommonCode.FORBIDDEN, field="kind")
    async with in_transaction():
        task = await CollectionTask.select_for_update().get_or_none(id=task_id)
        if task is None or not can_see(actor, officer_id=task.officer_id, branch_id=task.branch_id):
            raise NotFound("催收任务不存在", field="task_id")
        if task.status != CollectionStatus.OPEN:
            raise Conflict("该催收任务已结束", code=RiskCode.TASK_CLOSED, field="task_id")
        loan = await Loan.get(id=task.loan_id)
        if amount_fen is not None and amount_fen > owed_fen(loan):
            raise ValidationError(f"承诺还款金额超过欠款总额 {Money(owed_fen(loan)).format_yuan()}", code=CommonCode.INVALID_AMOUNT, field="promised_amount")
        if kind == CollectionActionKind.LEGAL and loan.days_past_due < legal_min_days_past_due:
            raise ValidationError(f"逾期 {legal_min_days_past_due} 天以上方可转入法律催收（当前 {loan.days_past_due} 天）", field="kind")
        follow_up = next_action_on or (promised_on + timedelta(days=1) if promised_on else None)
        action = await CollectionAction.create(
            task=task, officer_id=actor.id if actor.is_officer else None, kind=kind, outcome=outcome[:500],
            promised_amount_fen=amount_fen, promised_on=promised_on, at=now,
        )
        # an action changes the task's row in the reporting table (count, last action, next date): updated_at moves
        await CollectionTask.filter(id=task.id).update(updated_at=now_utc(), **({"next_action_on": follow_up} if follow_up is not None else {}))
        await audit.record(
            actor, "collection.action", "collection_task", task.id,
            before={"nextActionOn": task.next_action_on.isoformat() if task.next_action_on else None},
            after={
                "kind": kind.value, "actionId": str(action.id), "promisedAmountFen": amount_fen,
                "promisedOn": promised_on.isoformat() if promised_on else None,
                "nextActionOn": follow_up.isoformat() if follow_up else None,
            },
        )
    return action
