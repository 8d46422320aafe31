"""The workbench (工作台): the signed-in officer's work for today, by priority, one tap from each item.

One read model, built from a fixed handful of queries whatever the number of items (each section
reads at most `SECTION_LIMIT + 1` rows with what its line shows joined in, and says when there are
more). Every section reads through the same scoped queries as the page it links to, so an item on
the workbench is always one the officer may open:

1. 继续走访 — the officer's own open visits (only the officer at the table works a visit's steps);
2. 待审批授信 — visits in the approver's queue (never their own), and appraisals at 支行审定;
3. 待评议 — open 初评 rounds where the officer has a seat on the panel;
4. 贷后检查 — post-loan checks due within a week and, for branch managers, checks waiting for review
   (`postloan_checks_due`, through app/services/postloan/reads.checks_due);
5. 逾期待联系 — open collection tasks, most overdue first;
6. 待处理预警 — open early warnings, severest first;
   展期申请 — borrowers' applications for 展期 made in the app, for officers who may propose one (the loan page
   shows the application and its form proposes it);
7. 公示即将结束 — published appraisals whose objection window ends within `closing_days` days.

Officers see what is theirs; approvers, branch managers, admins and auditors see their branch
tree's queue, and for them `figures` gives today's numbers. Who may act on an item is the page's
business (the workbench shows the action only when the policy allows it, app/domain/permissions.py).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from tortoise.expressions import Subquery
from tortoise.functions import Count

from app.domain import visit as flow
from app.domain.appraisal import Status as AppraisalStatus
from app.domain.permissions import Action
from app.domain.vocabulary import CollectionStatus, ExtensionApplicationStatus, LoanStatus, Role
from app.domain.warnings import KIND_LABELS as WARNING_KIND_LABELS
from app.domain.warnings import WarningStatus
from app.models import Appraisal, CollectionTask, EarlyWarning, ExtensionApplication, PanelMember, Visit
from app.services.actor import Actor
from app.services.census.access import village_query
from app.services.lending.queries import lines_query, loans_query
from app.services.permissions import may
from app.services.postloan.reads import checks_due
from app.services.reporting.field_activity import day_bounds
from app.services.risk.collections import tasks_query
from app.services.risk.warnings import warnings_query
from app.services.visits.common import visit_query

SECTION_LIMIT = 20  # items shown per section; the section's own list page has the rest
CLOSING_DAYS = 3  # a 公示 window closing within this many days is on the workbench
OPEN_VISIT = (flow.VisitStatus.IN_PROGRESS, flow.VisitStatus.GRANTED)
SEVERITY_RANK = {"high": 0, "medium": 1, "low": 2}


@dataclass(frozen=True, slots=True)
class Item:
    """One piece of work: `kind` says which page it opens (the door maps it to a URL with `target_id`)."""

    kind: str
    target_id: UUID
    title: str  # who or what: a person's name, a village
    detail: str  # what is to be done, in plain words
    customer_id: UUID | None = None  # the person, for a link to the customer page
    urgent: bool = False


@dataclass(frozen=True, slots=True)
class Section:
    key: str
    title: str
    action: str  # the button's words (继续走访, 去审批 …)
    items: list[Item]
    more: bool = False  # more than SECTION_LIMIT: the section's list page has them
    may_act: bool = True  # False for those who only read (auditors): the page shows no action button


@dataclass(frozen=True, slots=True)
class Figures:
    """Today's numbers for the actor's branch tree (managers and other branch roles)."""

    visits_today: int
    lines_granted_today: int
    loans_disbursed_today: int
    overdue_loans: int


@dataclass(frozen=True, slots=True)
class Workbench:
    sections: list[Section]  # in priority order, only those that apply to the actor's role
    figures: Figures | None = None

    @property
    def total(self) -> int:
        return sum(len(s.items) for s in self.sections)


def _cut(rows: list) -> tuple[list, bool]:
    return rows[:SECTION_LIMIT], len(rows) > SECTION_LIMIT


def _sees_branch(actor: Actor) -> bool:
    return actor.is_officer and actor.role is not None and actor.role != Role.OFFICER


# --- the sections, one query each ---


async def visits_to_resume(actor: Actor) -> tuple[list[Item], bool]:
    """The officer's own open visits, the longest-waiting first (a branch role sees none: only the visit's officer resumes it)."""
    if not actor.is_officer or actor.id is None:
        return [], False
    rows = await (visit_query(actor).filter(officer_id=actor.id, status__in=OPEN_VISIT)
                  .select_related("member", "village").order_by("updated_at").limit(SECTION_LIMIT + 1))
    rows, more = _cut(rows)
    items = [Item(kind="visit", target_id=v.id, title=f"{v.member.name} · {v.village.name}", customer_id=v.customer_id,
                  detail="已授信，待签约" if v.status == flow.VisitStatus.GRANTED else f"下一步：{flow.STEP_LABELS.get(v.step, v.step)}")
             for v in rows]
    return items, more


async def visit_approvals_waiting(actor: Actor) -> tuple[list[Item], bool]:
    """Visits in the approver's queue (app/services/visits/decision.approval_queue), not their own."""
    rows = await (Visit.filter(status=flow.VisitStatus.AWAITING_APPROVAL, branch_id__in=list(actor.branch_ids))
                  .exclude(officer_id=actor.id).select_related("member", "village", "officer").order_by("submitted_at").limit(SECTION_LIMIT + 1))
    rows, more = _cut(rows)
    items = [Item(kind="visit_approval", target_id=v.id, title=f"{v.member.name} · {v.village.name}", customer_id=v.customer_id,
                  detail=f"{v.officer.display_name} 提交" + (f"，拟授信 {v.proposed_amount_fen / 100:,.2f} 元" if v.proposed_amount_fen else ""))
             for v in rows]
    return items, more


async def appraisal_approvals_waiting(actor: Actor) -> tuple[list[Item], bool]:
    """Appraisals at 支行审定 in the actor's villages."""
    rows = await (Appraisal.filter(status=AppraisalStatus.APPROVAL, village_id__in=Subquery(village_query(actor).values("id")))
                  .select_related("village").order_by("submitted_at").limit(SECTION_LIMIT + 1))
    rows, more = _cut(rows)
    return [Item(kind="appraisal_approval", target_id=a.id, title=a.village.name, detail="评议结果待支行审定") for a in rows], more


async def ballots_to_cast(actor: Actor) -> tuple[list[Item], bool]:
    """Open 初评 rounds where the officer has a seat (the seat is the permission, as in voting.seats_of)."""
    if not actor.is_officer or actor.id is None:
        return [], False
    # grouped by every column it reads (PostgreSQL refuses a GROUP BY that select_related widens)
    rows = await (PanelMember.filter(officer_id=actor.id, appraisal__status=AppraisalStatus.FIRST_ROUND)
                  .annotate(voted=Count("votes")).group_by("id", "appraisal_id", "appraisal__village__name", "appraisal__opened_at")
                  .order_by("appraisal__opened_at").limit(SECTION_LIMIT + 1).values("appraisal_id", "appraisal__village__name", "voted"))
    rows, more = _cut(rows)
    items = [Item(kind="ballot", target_id=m["appraisal_id"], title=m["appraisal__village__name"],
                  detail=f"初评进行中，您已评 {m['voted']} 户" if m["voted"] else "初评进行中，您还未评议") for m in rows]
    return items, more


async def postloan_checks_due(actor: Actor, *, on: date) -> tuple[list[Item], bool]:
    """Post-loan checks (贷后管理): the actor's checks due within a week, then the reviews waiting for a branch manager.

    One query (app/services/postloan/reads.checks_due, scoped like the collection tasks); items of kind
    `postloan_check` open the check's page.
    """
    rows, more = _cut(await checks_due(actor, on, limit=SECTION_LIMIT + 1))
    items = [
        Item(kind="postloan_check", target_id=r.check_id, title=r.customer_name, customer_id=r.customer_id, urgent=r.overdue and not r.to_review,
             detail=(f"{r.reason_label}，{r.officer_name} 已提交，待复核" if r.to_review
                     else f"{r.reason_label}，{'已逾期 %d 天' % r.days_overdue if r.overdue else '应于 ' + r.due_on.isoformat() + ' 前完成'}"
                     + ("（行长退回）" if r.status == "returned" else "")))
        for r in rows
    ]
    return items, more


async def overdue_to_contact(actor: Actor) -> tuple[list[Item], bool]:
    """Open collection tasks (the officer's, or the branch tree's), the most days past due first."""
    rows = await (tasks_query(actor, status=CollectionStatus.OPEN).select_related("customer", "loan")
                  .order_by("-loan__days_past_due", "opened_on").limit(SECTION_LIMIT + 1))
    rows, more = _cut(rows)
    items = [Item(kind="collection", target_id=t.id, title=t.customer.name, customer_id=t.customer_id, urgent=t.loan.days_past_due >= 30,
                  detail=f"逾期 {t.loan.days_past_due} 天，欠款 {(t.loan.overdue_principal_fen + t.loan.overdue_interest_fen) / 100:,.2f} 元"
                  + (f"，约定 {t.next_action_on.isoformat()} 跟进" if t.next_action_on else ""))
             for t in rows]
    return items, more


async def warnings_to_handle(actor: Actor) -> tuple[list[Item], bool]:
    """Open early warnings in scope: the oldest first, then the severest first among those shown."""
    rows = await (warnings_query(actor, status=WarningStatus.OPEN).select_related("customer")
                  .order_by("business_on", "id").limit(SECTION_LIMIT + 1))
    rows, more = _cut(rows)
    rows.sort(key=lambda w: SEVERITY_RANK.get(str(w.severity), 3))
    items = [Item(kind="warning", target_id=w.id, title=w.customer.name, customer_id=w.customer_id, urgent=str(w.severity) == "high",
                  detail=f"{WARNING_KIND_LABELS.get(w.kind, w.kind)}：{w.message}") for w in rows]
    return items, more


async def extension_applications_waiting(actor: Actor) -> tuple[list[Item], bool]:
    """Borrowers' applications for 展期 made in the app, waiting for an officer to propose them, the oldest first."""
    rows = await (ExtensionApplication.filter(status=ExtensionApplicationStatus.PENDING, loan_id__in=Subquery(loans_query(actor).values("id")))
                  .select_related("loan__customer").order_by("created_at").limit(SECTION_LIMIT + 1))
    rows, more = _cut(rows)
    items = [Item(kind="extension_application", target_id=a.loan_id, title=a.loan.customer.name, customer_id=a.loan.customer_id,
                  detail=f"{a.applied_on.isoformat()} 申请展期 {a.months} 个月（到期日 {a.loan.maturity_on.isoformat()}）",
                  urgent=(a.loan.maturity_on - a.applied_on).days <= 7)
             for a in rows]
    return items, more


async def publications_closing(actor: Actor, *, on: date, within_days: int = CLOSING_DAYS) -> tuple[list[Item], bool]:
    """Published appraisals in the actor's villages whose objection window ends within `within_days` days."""
    rows = await (Appraisal.filter(status=AppraisalStatus.PUBLISHED, objection_until__gte=on, objection_until__lte=on + timedelta(days=within_days),
                                   village_id__in=Subquery(village_query(actor).values("id")))
                  .select_related("village").order_by("objection_until").limit(SECTION_LIMIT + 1))
    rows, more = _cut(rows)
    items = []
    for a in rows:
        left = (a.objection_until - on).days
        items.append(Item(kind="publication", target_id=a.id, title=a.village.name, urgent=left <= 1,
                          detail=f"公示期至 {a.objection_until.isoformat()}（{'今天截止' if left == 0 else f'还剩 {left} 天'}）"))
    return items, more


async def today_figures(actor: Actor, *, on: date, tz: str) -> Figures:
    """Visits started today, lines granted today, loans disbursed on the business date, loans overdue now."""
    start, end = day_bounds(on, tz)
    return Figures(
        visits_today=await visit_query(actor).filter(started_at__gte=start, started_at__lt=end).count(),
        lines_granted_today=await lines_query(actor).filter(granted_at__gte=start, granted_at__lt=end).count(),
        loans_disbursed_today=await loans_query(actor).filter(start_on=on).exclude(status__in=[LoanStatus.CANCELLED, LoanStatus.DISBURSING]).count(),
        overdue_loans=await loans_query(actor, status=LoanStatus.ACTIVE).filter(days_past_due__gt=0).count(),
    )


# --- the read model ---


def _section(key: str, title: str, action: str, found: tuple[list[Item], bool], *, may_act: bool) -> Section:
    items, more = found
    return Section(key=key, title=title, action=action, items=items, more=more, may_act=may_act)


async def workbench(*, actor: Actor, on: date, tz: str, closing_days: int = CLOSING_DAYS) -> Workbench:
    """The workbench of `actor` on business date `on` (`tz`: the bank's time zone, for “today”)."""
    sections: list[Section] = []
    if may(actor, Action.VISIT_CONDUCT):
        sections.append(_section("visits", "继续走访", "继续走访", await visits_to_resume(actor), may_act=True))
    if may(actor, Action.LINE_APPROVE):
        sections.append(_section("visit_approvals", "待审批授信", "去审批", await visit_approvals_waiting(actor), may_act=True))
    if may(actor, Action.APPRAISAL_APPROVE):
        sections.append(_section("appraisal_approvals", "待审定评议", "去审定", await appraisal_approvals_waiting(actor), may_act=True))
    if may(actor, Action.APPRAISAL_VOTE) and actor.is_officer:
        sections.append(_section("ballots", "待评议", "去评议", await ballots_to_cast(actor), may_act=True))
    if may(actor, Action.POSTLOAN_CHECK) or may(actor, Action.POSTLOAN_REVIEW):
        sections.append(_section("postloan", "贷后检查", "去办理", await postloan_checks_due(actor, on=on), may_act=True))
    if may(actor, Action.LOAN_EXTEND):
        sections.append(_section("extension_applications", "展期申请", "去受理", await extension_applications_waiting(actor), may_act=True))
    sections.append(_section("collections", "逾期待联系", "联系客户", await overdue_to_contact(actor), may_act=may(actor, Action.COLLECTION_RECORD)))
    sections.append(_section("warnings", "待处理预警", "处理预警", await warnings_to_handle(actor), may_act=may(actor, Action.WARNING_HANDLE)))
    sections.append(_section("publications", "公示即将结束", "查看公示", await publications_closing(actor, on=on, within_days=closing_days),
                             may_act=may(actor, Action.APPRAISAL_MANAGE)))
    figures = await today_figures(actor, on=on, tz=tz) if _sees_branch(actor) else None
    return Workbench(sections=sections, figures=figures)


__all__ = ["Figures", "Item", "Section", "Workbench", "postloan_checks_due", "workbench"]
