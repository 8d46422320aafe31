"""Reading post-loan checks: the officer's due list (also for the workbench), and overdue monitoring by officer.

`checks_due(actor, on)` is the small read model another page (the workbench) calls: the actor's
checks to do (due or returned) falling due within `within_days`, overdue first, and for a branch
manager also the branch's checks waiting for review. Scope as every worklist: officers their own,
managers and others their branch tree (app/services/risk/worklists.py).
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from tortoise.expressions import Q

from app.domain.permissions import Action
from app.domain.postloan import OPEN_STATUSES, TO_DO_STATUSES, CheckStatus
from app.models import Officer, PostLoanCheck
from app.services.actor import Actor
from app.services.permissions import may
from app.services.risk.worklists import scoped

DUE_WITHIN_DAYS = 7
LIMIT = 200


@dataclass(frozen=True, slots=True)
class DueCheck:
    """One line of a task list: open it at the page `postloan_check` with `check_id`."""

    check_id: UUID
    loan_id: UUID
    customer_id: UUID
    customer_name: str
    reason: str  # first | periodic | warning
    reason_label: str
    status: str  # due | returned | submitted
    status_label: str
    due_on: date
    days_overdue: int  # 0 when not yet due
    to_review: bool  # a manager's review, not a check to do
    officer_name: str

    @property
    def overdue(self) -> bool:
        return self.days_overdue > 0


def _due(check: PostLoanCheck, on: date, *, to_review: bool = False) -> DueCheck:
    return DueCheck(
        check_id=check.id, loan_id=check.loan_id, customer_id=check.customer_id, customer_name=check.customer.name,
        reason=check.reason.value, reason_label=check.reason.label, status=check.status.value, status_label=check.status.label,
        due_on=check.due_on, days_overdue=max(0, (on - check.due_on).days), to_review=to_review,
        officer_name=check.officer.display_name if check.officer else "未分配",
    )


def _own(query, actor: Actor):
    return query.filter(officer_id=actor.id) if actor.is_officer else query


async def checks_due(actor: Actor | None, on: date, *, within_days: int = DUE_WITHIN_DAYS, limit: int = LIMIT) -> list[DueCheck]:
    """The actor's checks to do by `on + within_days` (the earliest due first), then the reviews waiting for them (one query)."""
    does, reviews = may(actor, Action.POSTLOAN_CHECK), may(actor, Action.POSTLOAN_REVIEW)
    if actor is None or not (does or reviews):
        return []
    wanted = []
    if does:
        todo = Q(status__in=list(TO_DO_STATUSES), due_on__lte=on + timedelta(days=within_days))
        wanted.append(todo & Q(officer_id=actor.id) if actor.is_officer else todo)
    if reviews:
        wanted.append(Q(status=CheckStatus.SUBMITTED))
    query = scoped(PostLoanCheck.all(), actor).filter(Q(*wanted, join_type="OR")).select_related("customer", "officer")
    rows = await query.order_by("due_on", "created_at").limit(limit)
    todo_rows = [_due(c, on) for c in rows if c.status in TO_DO_STATUSES]
    review_rows = [_due(c, on, to_review=True) for c in rows if c.status == CheckStatus.SUBMITTED
                   and (c.submitted_by_id is None or c.submitted_by_id != actor.id)]  # nobody reviews their own
    return todo_rows + review_rows


async def check_rows(actor: Actor | None, *, on: date, status: str | None) -> list[DueCheck]:
    """The /postloan list: open checks (or one status, or all) in scope, the earliest due first."""
    query = scoped(PostLoanCheck.all(), actor)
    if status == "open" or status is None:
        query = query.filter(status__in=list(OPEN_STATUSES))
    elif status in {s.value for s in CheckStatus}:
        query = query.filter(status=status)
    rows = await query.order_by("due_on", "created_at").limit(LIMIT).prefetch_related("customer", "officer")
    return [_due(c, on, to_review=c.status == CheckStatus.SUBMITTED) for c in rows]


@dataclass(frozen=True, slots=True)
class OfficerLoad:
    officer_id: UUID | None
    officer_name: str
    due: int  # to do, not yet overdue
    overdue: int  # to do, past the due date
    waiting_review: int  # submitted, waiting for the manager
    oldest_overdue_days: int


async def officer_monitoring(actor: Actor | None, on: date) -> list[OfficerLoad]:
    """Overdue monitoring: per officer in scope, checks to do, overdue and waiting for review (the most overdue first)."""
    rows = await scoped(PostLoanCheck.all(), actor).filter(status__in=list(OPEN_STATUSES)).values_list("officer_id", "status", "due_on")
    counts: dict[UUID | None, list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for officer_id, status, due_on in rows:
        c = counts[officer_id]
        if CheckStatus(status) == CheckStatus.SUBMITTED:
            c[2] += 1
        elif due_on < on:
            c[1] += 1
            c[3] = max(c[3], (on - due_on).days)
        else:
            c[0] += 1
    names = dict(await Officer.filter(id__in=[k for k in counts if k]).values_list("id", "display_name"))
    loads = [OfficerLoad(k, names.get(k, "未分配") if k else "未分配", *v) for k, v in counts.items()]
    return sorted(loads, key=lambda x: (-x.overdue, -x.oldest_overdue_days, x.officer_name))
