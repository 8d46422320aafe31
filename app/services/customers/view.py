"""The customer page (客户视图): one person's household, lines, loans, visits, warnings and collections, and the next action.

Scoped as the e-archive is (`visible_customer`: the actor's branch tree, out of scope reads as
missing); each list then reads through its own area's scoped query, so an officer sees on this page
exactly the visits, warnings and collection tasks their own worklists show them. Opening the page is
audited (`customer.view`), as every read of a person's whole file is.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from tortoise.expressions import Q

from app.domain import visit as flow
from app.domain.permissions import Action
from app.domain.vocabulary import CollectionStatus, CreditLineStatus
from app.domain.warnings import WarningStatus
from app.models import CollectionTask, CreditLine, Customer, Document, EarlyWarning, GuaranteeMember, Loan, Visit
from app.services import audit
from app.services.actor import Actor
from app.services.customers.archive import visible_customer
from app.services.customers.trail import Trail, customer_trail
from app.services.guarantees import guarantees_given
from app.services.lending.queries import lines_query, loans_query
from app.services.permissions import may
from app.services.risk.collections import tasks_query
from app.services.risk.warnings import warnings_query
from app.services.visits.common import visit_query

LIST_LIMIT = 20  # rows per list on the page (a person rarely has more)


@dataclass(frozen=True, slots=True)
class NextAction:
    """What to do next about this person: `kind` names the page (the door maps it to a URL with `target_id`)."""

    kind: str  # visit / collection / warning / drawdown / start_visit
    target_id: UUID
    label: str  # 继续走访 / 联系逾期 / 处理预警 / 办理用信 / 走访面签
    reason: str


@dataclass(frozen=True)
class CustomerView:
    customer: Customer
    trail: Trail | None  # 村 › 户 › 人 (None: the person is in no household)
    lines: list[CreditLine]  # newest first, each with its product
    loans: list[Loan]  # newest first, each with its product
    visits: list[Visit]  # newest first, each with its officer
    warnings: list[EarlyWarning]  # newest first
    tasks: list[CollectionTask]  # newest first, each with its loan and its actions
    documents: int
    guarantees: list[GuaranteeMember]  # the 联保 guarantees the person signed (any status), newest first, with their groups
    next_actions: list[NextAction]  # the first is the one to do now; empty for those who only read


def next_actions(actor: Actor, *, trail: Trail | None, lines: list[CreditLine], visits: list[Visit],
                 warnings: list[EarlyWarning], tasks: list[CollectionTask]) -> list[NextAction]:
    """By priority: an open visit, an overdue loan to chase, an open warning, a line to draw on, else a visit to start."""
    found: list[NextAction] = []
    open_visit = next((v for v in visits if v.status in (flow.VisitStatus.IN_PROGRESS, flow.VisitStatus.GRANTED) and v.officer_id == actor.id), None)
    if open_visit is not None and may(actor, Action.VISIT_CONDUCT):
        found.append(NextAction("visit", open_visit.id, "继续走访", f"走访进行中，下一步：{flow.STEP_LABELS.get(open_visit.step, open_visit.step)}"))
    task = next((t for t in tasks if t.status == CollectionStatus.OPEN), None)
    if task is not None and may(actor, Action.COLLECTION_RECORD):
        found.append(NextAction("collection", task.id, "联系逾期", f"贷款逾期 {task.loan.days_past_due} 天"))
    warning = next((w for w in warnings if w.status == WarningStatus.OPEN), None)
    if warning is not None and may(actor, Action.WARNING_HANDLE):
        found.append(NextAction("warning", warning.id, "处理预警", warning.message))
    line = next((ln for ln in lines if ln.status == CreditLineStatus.ACTIVE and ln.limit_fen > ln.used_fen), None)
    if line is not None and not found and may(actor, Action.LOAN_DISBURSE):
        found.append(NextAction("drawdown", line.id, "办理用信", f"{line.product.name}额度可用 {(line.limit_fen - line.used_fen) / 100:,.2f} 元"))
    if not found and not lines and trail is not None and may(actor, Action.VISIT_CONDUCT):
        found.append(NextAction("start_visit", trail.member_id, "走访面签", "尚无授信"))
    return found


async def customer_view(*, actor: Actor, customer_id: UUID) -> CustomerView:
    """The customer page's read model (NotFound when the customer is missing or out of the actor's scope)."""
    customer = await visible_customer(actor, customer_id)
    trail = await customer_trail(customer.id)
    lines = await lines_query(actor).filter(customer_id=customer.id).select_related("product").order_by("-created_at").limit(LIST_LIMIT)
    loans = await loans_query(actor).filter(customer_id=customer.id).select_related("product").order_by("-created_at").limit(LIST_LIMIT)
    whose = Q(customer_id=customer.id) | Q(member_id=trail.member_id) if trail else Q(customer_id=customer.id)
    visits = await visit_query(actor).filter(whose).select_related("officer").order_by("-started_at").limit(LIST_LIMIT)
    warnings = await warnings_query(actor).filter(customer_id=customer.id).order_by("-business_on", "-created_at").limit(LIST_LIMIT)
    tasks = await (tasks_query(actor).filter(customer_id=customer.id).select_related("loan").order_by("-opened_on").limit(LIST_LIMIT)
                   .prefetch_related("actions"))
    documents = await Document.filter(customer_id=customer.id).count()
    guarantees = await guarantees_given(actor, customer.id)
    await audit.record(actor, "customer.view", "customer", customer.id)
    return CustomerView(
        customer=customer, trail=trail, lines=lines, loans=loans, visits=visits, warnings=warnings, tasks=tasks, documents=documents, guarantees=guarantees,
        next_actions=next_actions(actor, trail=trail, lines=lines, visits=visits, warnings=warnings, tasks=tasks),
    )


__all__ = ["CustomerView", "NextAction", "customer_view", "next_actions"]
