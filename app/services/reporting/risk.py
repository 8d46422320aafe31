"""Warnings and collections counts (预警与催收), grouped by branch, village, officer or product.

Per group: early warnings open / handled / dismissed and the open ones of high severity;
collection tasks open / closed and the actions recorded on them. Filters: branch (tree),
village (the customer's), officer (assigned), product (the loan's: customer-level warnings
then drop out); the date range is the warning's business date and the task's opening date.
One SQL statement per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from app.services.actor import Actor
from app.services.reporting.common import (
    EVERYTHING,
    UNASSIGNED,
    GroupBy,
    Page,
    ReportFilter,
    Rows,
    Sql,
    as_int,
    as_uuid,
    fetch_report,
    grouped_page_sql,
)

FIGURES = ["warnings_open", "warnings_handled", "warnings_dismissed", "warnings_high_open", "tasks_open", "tasks_closed", "actions"]
KEYS = {GroupBy.BANK: "xb.bank_id", GroupBy.BRANCH: "x.branch_id", GroupBy.VILLAGE: "c.village_id", GroupBy.OFFICER: "x.officer_id", GroupBy.PRODUCT: "l.product_id"}


@dataclass(frozen=True, slots=True)
class RiskFigures:
    warnings_open: int = 0
    warnings_handled: int = 0
    warnings_dismissed: int = 0
    warnings_high_open: int = 0
    tasks_open: int = 0
    tasks_closed: int = 0
    actions: int = 0


@dataclass(frozen=True, slots=True)
class RiskGroup:
    key: UUID | None
    code: str
    name: str
    figures: RiskFigures


@dataclass(frozen=True, slots=True)
class RiskReport:
    group_by: GroupBy
    groups: Rows[RiskGroup]
    total: RiskFigures


def _figures(row: dict, prefix: str = "") -> RiskFigures:
    return RiskFigures(*[as_int(row[f"{prefix}{c}"]) for c in FIGURES])


def _part(sql: Sql, table: str, date_column: str, group_by: GroupBy, filt: ReportFilter, scope, values: str) -> str:
    joins = ["JOIN branch xb ON xb.id = x.branch_id"] if group_by == GroupBy.BANK else []
    if group_by == GroupBy.VILLAGE or filt.village_id:
        joins.append("JOIN customer c ON c.id = x.customer_id")
    if group_by == GroupBy.PRODUCT or filt.product_id:
        joins.append(f"{'JOIN' if filt.product_id else 'LEFT JOIN'} loan l ON l.id = x.loan_id")
    if table == "collection_task":
        joins.append("LEFT JOIN (SELECT task_id, COUNT(*) AS n FROM collection_action GROUP BY task_id) ca ON ca.task_id = x.id")
    where = [sql.within("x.branch_id", scope)]
    if filt.village_id:
        where.append(sql.equals("c.village_id", filt.village_id))
    if filt.officer_id:
        where.append(sql.equals("x.officer_id", filt.officer_id))
    if filt.product_id:
        where.append(sql.equals("l.product_id", filt.product_id))
    where += sql.dates(f"x.{date_column}", filt)
    return f"SELECT {KEYS[group_by]} AS gkey, {values} FROM {table} x {' '.join(joins)} WHERE {' AND '.join(where)}"


WARNING_VALUES = (
    "CASE WHEN x.status = 'open' THEN 1 ELSE 0 END AS warnings_open, CASE WHEN x.status = 'handled' THEN 1 ELSE 0 END AS warnings_handled,"
    " CASE WHEN x.status = 'dismissed' THEN 1 ELSE 0 END AS warnings_dismissed,"
    " CASE WHEN x.status = 'open' AND x.severity = 'high' THEN 1 ELSE 0 END AS warnings_high_open,"
    " 0 AS tasks_open, 0 AS tasks_closed, 0 AS actions"
)
TASK_VALUES = (
    "0 AS warnings_open, 0 AS warnings_handled, 0 AS warnings_dismissed, 0 AS warnings_high_open,"
    " CASE WHEN x.status = 'open' THEN 1 ELSE 0 END AS tasks_open, CASE WHEN x.status = 'closed' THEN 1 ELSE 0 END AS tasks_closed,"
    " COALESCE(ca.n, 0) AS actions"
)


def risk_inner(sql: Sql, group_by: GroupBy, filt: ReportFilter, scope) -> str:
    warnings = _part(sql, "early_warning", "business_on", group_by, filt, scope, WARNING_VALUES)
    tasks = _part(sql, "collection_task", "opened_on", group_by, filt, scope, TASK_VALUES)
    sums = ", ".join(f"SUM(u.{c}) AS {c}" for c in FIGURES)
    return f"SELECT u.gkey, {sums} FROM ({warnings} UNION ALL {tasks}) u GROUP BY u.gkey"


async def risk_summary(
    *, actor: Actor | None, group_by: GroupBy = GroupBy.BRANCH, filt: ReportFilter = ReportFilter(), page: Page = EVERYTHING
) -> RiskReport:
    group_by = GroupBy(group_by)
    result = await fetch_report(
        actor, filt, page, report="risk_summary",
        statement=lambda sql, scope, p: grouped_page_sql(risk_inner(sql, group_by, filt, scope), group_by, sql, p, FIGURES),
    )
    groups = [
        RiskGroup(key=as_uuid(r["gkey"]), code=r["gcode"] or "", name=r["gname"] or UNASSIGNED[group_by], figures=_figures(r)) for r in result.rows
    ]
    return RiskReport(group_by=group_by, groups=result.paged(groups, page), total=result.total(_figures, RiskFigures()))
