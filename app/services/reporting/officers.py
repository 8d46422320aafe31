"""Officer performance (客户经理业绩): villages, lines granted, loans, overdue and NPL per officer.

The one definition (docs/reporting.md): the PAD's performance page, the reports page and its CSV,
and GraphQL `officerPerformance` all call `officer_performance`. What officers did in the field
(visits, appraisals) is a different measure with its own title: `field_activity.py`.

Officers are the staff who look after customers (客户经理, 审批人, 支行行长) of the branches in
scope. Lines and loans count for the line's officer (`credit_line.officer`). Filters: branch
(tree: the officer's branch), village (its customers' lines and loans, and the village
itself), officer, product; the date range selects lines and loans by their start date.
One SQL statement per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from app.domain.vocabulary import Role
from app.services.actor import Actor
from app.services.reporting.common import EVERYTHING, Keyset, Page, ReportFilter, Rows, Sql, as_int, as_uuid, fetch_report

ORDER = Keyset("officers", (("branch_code", False, str), ("username", False, str), ("officer_id", False, UUID)))  # by branch, then username
STAFF_ROLES = (Role.OFFICER, Role.APPROVER, Role.BRANCH_MANAGER)
FIGURES = ["villages", "lines", "line_limit", "loans", "outstanding", "overdue_loans", "overdue_principal", "npl_balance"]
SOURCES = ["vi.n", "ln.n", "ln.lim", "lo.n", "lo.bal", "lo.od_n", "lo.od_bal", "lo.npl"]


@dataclass(frozen=True, slots=True)
class OfficerFigures:
    villages: int = 0
    lines: int = 0
    line_limit_fen: int = 0
    loans: int = 0
    outstanding_fen: int = 0
    overdue_loans: int = 0
    overdue_principal_fen: int = 0
    npl_fen: int = 0


@dataclass(frozen=True, slots=True)
class OfficerRow:
    officer_id: UUID
    username: str
    display_name: str
    role: Role
    branch_name: str
    figures: OfficerFigures


@dataclass(frozen=True, slots=True)
class OfficerReport:
    officers: Rows[OfficerRow]
    total: OfficerFigures


def _figures(row: dict, prefix: str = "") -> OfficerFigures:
    return OfficerFigures(*[as_int(row[f"{prefix}{c}"]) for c in FIGURES])


def officer_sql(sql: Sql, filt: ReportFilter, scope) -> str:
    """Every officer in scope with their figures and the totals (paged by ORDER)."""
    # an officer's lines and loans count only within the scope (a key never sees figures of other branches)
    line_where = ["cl.status = 'active'", sql.within("cl.branch_id", scope)]
    loan_where = ["l.status = 'active'", sql.within("l.branch_id", scope)]
    village_where = [sql.within("branch_id", scope)]
    line_join = loan_join = ""
    if filt.village_id:
        line_join, loan_join = " JOIN customer c ON c.id = cl.customer_id", " JOIN customer c ON c.id = l.customer_id"
        line_where.append(sql.equals("c.village_id", filt.village_id))
        loan_where.append(sql.equals("c.village_id", filt.village_id))
        village_where.append(sql.equals("id", filt.village_id))
    if filt.product_id:
        line_where.append(sql.equals("cl.product_id", filt.product_id))
        loan_where.append(sql.equals("l.product_id", filt.product_id))
    line_where += sql.dates("cl.valid_from", filt)
    loan_where += sql.dates("l.start_on", filt)
    roles = ", ".join(sql.param(r.value) for r in STAFF_ROLES)
    where = [sql.within("o.branch_id", scope), f"o.role IN ({roles})"]
    if filt.officer_id:
        where.append(sql.equals("o.id", filt.officer_id))
    villages = f"SELECT officer_id, COUNT(*) AS n FROM village WHERE {' AND '.join(village_where)} GROUP BY officer_id"
    figures = ", ".join(f"COALESCE({src}, 0) AS {c}" for c, src in zip(FIGURES, SOURCES, strict=True))
    totals = ", ".join(f"SUM(COALESCE({src}, 0)) OVER () AS total_{c}" for c, src in zip(FIGURES, SOURCES, strict=True))
    return (
        f"SELECT o.id AS officer_id, o.username, o.display_name, o.role, b.code AS branch_code, b.name AS branch_name, {figures}, {totals},"
        " COUNT(*) OVER () AS groups_total"
        " FROM officer o JOIN branch b ON b.id = o.branch_id"
        f" LEFT JOIN ({villages}) vi ON vi.officer_id = o.id"
        f" LEFT JOIN (SELECT cl.officer_id, COUNT(*) AS n, SUM(cl.limit_fen) AS lim FROM credit_line cl{line_join}"
        f"   WHERE {' AND '.join(line_where)} GROUP BY cl.officer_id) ln ON ln.officer_id = o.id"
        " LEFT JOIN (SELECT cl.officer_id, COUNT(*) AS n, SUM(l.outstanding_principal_fen) AS bal,"
        "   SUM(CASE WHEN l.days_past_due > 0 THEN 1 ELSE 0 END) AS od_n, SUM(l.overdue_principal_fen) AS od_bal,"
        "   SUM(CASE WHEN l.classification IN ('substandard', 'doubtful', 'loss') THEN l.outstanding_principal_fen ELSE 0 END) AS npl"
        f"   FROM loan l JOIN credit_line cl ON cl.id = l.credit_line_id{loan_join}"
        f"   WHERE {' AND '.join(loan_where)} GROUP BY cl.officer_id) lo ON lo.officer_id = o.id"
        f" WHERE {' AND '.join(where)}"
    )


async def officer_performance(*, actor: Actor | None, filt: ReportFilter = ReportFilter(), page: Page = EVERYTHING) -> OfficerReport:
    result = await fetch_report(actor, filt, page, report="officer_performance", statement=lambda sql, scope, p: officer_sql(sql, filt, scope), keyset=ORDER)
    officers = [
        OfficerRow(
            officer_id=as_uuid(r["officer_id"]), username=r["username"], display_name=r["display_name"], role=Role(r["role"]),
            branch_name=r["branch_name"], figures=_figures(r),
        )
        for r in result.rows
    ]
    return OfficerReport(officers=result.paged(officers, page), total=result.total(_figures, OfficerFigures()))
