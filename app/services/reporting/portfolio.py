"""Portfolio summary (贷款组合): active loans grouped by bank, branch, village, officer or product.

Per group: loan count, outstanding principal, overdue principal and interest, the
outstanding principal of each five-tier class, the count and outstanding principal of loans that are
无还本续贷 renewals and of loans extended (展期), and the NPL ratio (不良贷款率 =
(次级 + 可疑 + 损失) / 各项贷款, docs/domain-facts.md#npl-ratio) from `app.domain.classification`.
The date range, if given, selects loans by their start (disbursement) date.
One SQL statement per request (two only for a page past the end).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from uuid import UUID

from app.domain.classification import LoanClass, npl_ratio
from app.services.actor import Actor
from app.services.reporting.tables import IS_EXTENDED_SQL
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

CLASS_COLUMNS = {
    LoanClass.NORMAL: "c_normal",
    LoanClass.SPECIAL_MENTION: "c_special",
    LoanClass.SUBSTANDARD: "c_sub",
    LoanClass.DOUBTFUL: "c_doubtful",
    LoanClass.LOSS: "c_loss",
}
FIGURES = ["loans", "outstanding", "overdue_principal", "overdue_interest", *CLASS_COLUMNS.values(), "renewed", "renewed_outstanding", "extended",
           "extended_outstanding"]
# a loan that is a 无还本续贷 renewal (the new loan of a loan_renewal) and one that was extended (展期, approved): the same
# tests as the BI loan table's renewed_from_loan_id / is_extended (app/services/reporting/tables.py)
IS_RENEWAL_SQL = "EXISTS (SELECT 1 FROM loan_renewal rn WHERE rn.new_loan_id = l.id)"

# group key on the loan rows, and the joins it needs
KEYS = {
    GroupBy.BANK: ("br.bank_id", {"branch"}),
    GroupBy.BRANCH: ("l.branch_id", set()),
    GroupBy.VILLAGE: ("c.village_id", {"customer"}),
    GroupBy.OFFICER: ("cl.officer_id", {"line"}),
    GroupBy.PRODUCT: ("l.product_id", set()),
}
JOINS = {"branch": "JOIN branch br ON br.id = l.branch_id", "customer": "JOIN customer c ON c.id = l.customer_id", "line": "JOIN credit_line cl ON cl.id = l.credit_line_id"}


@dataclass(frozen=True, slots=True)
class PortfolioFigures:
    loans: int = 0
    outstanding_fen: int = 0
    overdue_principal_fen: int = 0
    overdue_interest_fen: int = 0
    by_class: dict[LoanClass, int] = field(default_factory=lambda: dict.fromkeys(LoanClass, 0))
    renewed: int = 0  # loans that are 无还本续贷 renewals (借新还旧), and their outstanding principal
    renewed_outstanding_fen: int = 0
    extended: int = 0  # loans extended (展期), and their outstanding principal
    extended_outstanding_fen: int = 0

    @property
    def npl_fen(self) -> int:
        return sum(self.by_class[c] for c in (LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS))

    @property
    def npl_ratio(self) -> Decimal:
        """A fraction with 6 places (docs/domain-facts.md#npl-ratio); 0 for no loans."""
        return npl_ratio(self.by_class)

    @property
    def npl_percent(self) -> Decimal:
        return self.npl_ratio.scaleb(2)  # 0.083333 -> 8.3333 (%)


@dataclass(frozen=True, slots=True)
class PortfolioGroup:
    key: UUID | None  # the branch / village / officer / product; None = loans with none
    code: str
    name: str
    figures: PortfolioFigures


@dataclass(frozen=True, slots=True)
class PortfolioReport:
    group_by: GroupBy
    groups: Rows[PortfolioGroup]
    total: PortfolioFigures


def _figures(row: dict, prefix: str = "") -> PortfolioFigures:
    return PortfolioFigures(
        loans=as_int(row[f"{prefix}loans"]),
        outstanding_fen=as_int(row[f"{prefix}outstanding"]),
        overdue_principal_fen=as_int(row[f"{prefix}overdue_principal"]),
        overdue_interest_fen=as_int(row[f"{prefix}overdue_interest"]),
        by_class={cls: as_int(row[f"{prefix}{col}"]) for cls, col in CLASS_COLUMNS.items()},
        renewed=as_int(row[f"{prefix}renewed"]), renewed_outstanding_fen=as_int(row[f"{prefix}renewed_outstanding"]),
        extended=as_int(row[f"{prefix}extended"]), extended_outstanding_fen=as_int(row[f"{prefix}extended_outstanding"]),
    )


def portfolio_inner(sql: Sql, group_by: GroupBy, filt: ReportFilter, scope) -> str:
    key, needs = KEYS[group_by]
    needs = set(needs)
    where = ["l.status = 'active'", sql.within("l.branch_id", scope)]
    if filt.village_id:
        needs.add("customer")
        where.append(sql.equals("c.village_id", filt.village_id))
    if filt.officer_id:
        needs.add("line")
        where.append(sql.equals("cl.officer_id", filt.officer_id))
    if filt.product_id:
        where.append(sql.equals("l.product_id", filt.product_id))
    where += sql.dates("l.start_on", filt)
    classes = ", ".join(
        f"SUM(CASE WHEN l.classification = '{cls.value}' THEN l.outstanding_principal_fen ELSE 0 END) AS {col}" for cls, col in CLASS_COLUMNS.items()
    )
    flags = ", ".join(
        f"SUM(CASE WHEN {test} THEN 1 ELSE 0 END) AS {name}, SUM(CASE WHEN {test} THEN l.outstanding_principal_fen ELSE 0 END) AS {name}_outstanding"
        for name, test in (("renewed", IS_RENEWAL_SQL), ("extended", IS_EXTENDED_SQL))
    )
    joins = " ".join(JOINS[j] for j in sorted(needs))
    return (
        f"SELECT {key} AS gkey, COUNT(*) AS loans, SUM(l.outstanding_principal_fen) AS outstanding,"
        f" SUM(l.overdue_principal_fen) AS overdue_principal, SUM(l.overdue_interest_fen) AS overdue_interest, {classes}, {flags}"
        f" FROM loan l {joins} WHERE {' AND '.join(where)} GROUP BY {key}"
    )


async def portfolio_summary(
    *, actor: Actor | None, group_by: GroupBy = GroupBy.BRANCH, filt: ReportFilter = ReportFilter(), page: Page = EVERYTHING
) -> PortfolioReport:
    group_by = GroupBy(group_by)
    result = await fetch_report(
        actor, filt, page, report="portfolio",
        statement=lambda sql, scope, p: grouped_page_sql(portfolio_inner(sql, group_by, filt, scope), group_by, sql, p, FIGURES),
    )
    groups = [
        PortfolioGroup(key=as_uuid(r["gkey"]), code=r["gcode"] or "", name=r["gname"] or UNASSIGNED[group_by], figures=_figures(r))
        for r in result.rows
    ]
    return PortfolioReport(group_by=group_by, groups=result.paged(groups, page), total=result.total(_figures, PortfolioFigures()))
