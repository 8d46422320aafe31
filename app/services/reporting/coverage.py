"""Whole-village coverage (整村授信覆盖): per village, how far credit has reached its households.

- households: census households of the village;
- appraised: households an appraisal panel knew (an outcome with knowing votes) or an officer
  reviewed (复评), in any appraisal of the village (app.models.appraisal);
- pre-credited: households approved with a pre-credit amount above 0 (支行审定);
- granted / drawn households: households with a member whose customer holds an active credit
  line / an active loan (through household membership);
- lines, line limits, loans and outstanding principal: of the customers of the village.
Filters: branch (tree), village, officer (the village's officer), product (lines and loans of
it); the date range selects lines by their start date and loans by their start date.
One SQL statement per request.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from app.services.actor import Actor
from app.services.reporting.common import EVERYTHING, Keyset, Page, ReportFilter, Rows, Sql, as_int, as_uuid, fetch_report

ORDER = Keyset("villages", (("division_code", False, str), ("village_id", False, UUID)))  # by division code; villages can be many
FIGURES = ["households", "appraised", "pre_credited", "granted_households", "lines", "line_limit", "drawn_households", "loans", "outstanding"]


@dataclass(frozen=True, slots=True)
class CoverageFigures:
    households: int = 0
    appraised: int = 0
    pre_credited: int = 0
    granted_households: int = 0
    lines: int = 0
    line_limit_fen: int = 0
    drawn_households: int = 0
    loans: int = 0
    outstanding_fen: int = 0

    @property
    def granted_ratio_ppm(self) -> int:
        """Granted households per million households (授信覆盖率)."""
        return self.granted_households * 1_000_000 // self.households if self.households else 0


@dataclass(frozen=True, slots=True)
class VillageCoverageRow:
    village_id: UUID
    division_code: str
    name: str
    branch_name: str
    officer_name: str
    figures: CoverageFigures


@dataclass(frozen=True, slots=True)
class CoverageReport:
    villages: Rows[VillageCoverageRow]
    total: CoverageFigures


def _figures(row: dict, prefix: str = "") -> CoverageFigures:
    values = [as_int(row[f"{prefix}{c}"]) for c in FIGURES]
    return CoverageFigures(*values)


def coverage_sql(sql: Sql, filt: ReportFilter, scope) -> str:
    """Every village in scope with its figures and the totals (paged by ORDER)."""
    # lines and loans are read within the scope too (a customer's branch may differ from the village's)
    line_where = ["cl.status = 'active'", sql.within("cl.branch_id", scope)]
    loan_where = ["l.status = 'active'", sql.within("l.branch_id", scope)]
    if filt.product_id:
        line_where.append(sql.equals("cl.product_id", filt.product_id))
        loan_where.append(sql.equals("l.product_id", filt.product_id))
    line_where += sql.dates("cl.valid_from", filt)
    loan_where += sql.dates("l.start_on", filt)
    lines, loans = " AND ".join(line_where), " AND ".join(loan_where)
    where = [sql.within("v.branch_id", scope)]
    if filt.village_id:
        where.append(sql.equals("v.id", filt.village_id))
    if filt.officer_id:
        where.append(sql.equals("v.officer_id", filt.officer_id))
    figures = ", ".join(f"COALESCE({src}, 0) AS {c}" for c, src in zip(FIGURES, SOURCES, strict=True))
    totals = ", ".join(f"SUM(COALESCE({src}, 0)) OVER () AS total_{c}" for c, src in zip(FIGURES, SOURCES, strict=True))
    return (
        f"SELECT v.id AS village_id, v.division_code, v.name, b.name AS branch_name, o.display_name AS officer_name, {figures}, {totals},"
        " COUNT(*) OVER () AS groups_total"
        " FROM village v JOIN branch b ON b.id = v.branch_id LEFT JOIN officer o ON o.id = v.officer_id"
        " LEFT JOIN (SELECT village_id, COUNT(*) AS n FROM household GROUP BY village_id) h ON h.village_id = v.id"
        " LEFT JOIN (SELECT hh.village_id, COUNT(DISTINCT x.household_id) AS n FROM ("
        "   SELECT household_id FROM appraisal_outcome WHERE knowing > 0 UNION SELECT household_id FROM appraisal_review"
        " ) x JOIN household hh ON hh.id = x.household_id GROUP BY hh.village_id) ap ON ap.village_id = v.id"
        " LEFT JOIN (SELECT hh.village_id, COUNT(DISTINCT aa.household_id) AS n FROM appraisal_approval aa"
        "   JOIN appraisal a ON a.id = aa.appraisal_id JOIN household hh ON hh.id = aa.household_id"
        "   WHERE aa.pre_credit_amount_fen > 0 AND a.approved_at IS NOT NULL GROUP BY hh.village_id) pc ON pc.village_id = v.id"
        " LEFT JOIN (SELECT hh.village_id, COUNT(DISTINCT hm.household_id) AS n FROM credit_line cl"
        "   JOIN household_member hm ON hm.customer_id = cl.customer_id JOIN household hh ON hh.id = hm.household_id"
        f"   WHERE {lines} GROUP BY hh.village_id) gh ON gh.village_id = v.id"
        " LEFT JOIN (SELECT c.village_id, COUNT(*) AS n, SUM(cl.limit_fen) AS lim FROM credit_line cl JOIN customer c ON c.id = cl.customer_id"
        f"   WHERE {lines} GROUP BY c.village_id) ln ON ln.village_id = v.id"
        " LEFT JOIN (SELECT hh.village_id, COUNT(DISTINCT hm.household_id) AS n FROM loan l"
        "   JOIN household_member hm ON hm.customer_id = l.customer_id JOIN household hh ON hh.id = hm.household_id"
        f"   WHERE {loans} GROUP BY hh.village_id) dh ON dh.village_id = v.id"
        " LEFT JOIN (SELECT c.village_id, COUNT(*) AS n, SUM(l.outstanding_principal_fen) AS bal FROM loan l JOIN customer c ON c.id = l.customer_id"
        f"   WHERE {loans} GROUP BY c.village_id) lo ON lo.village_id = v.id"
        f" WHERE {' AND '.join(where)}"
    )


SOURCES = ["h.n", "ap.n", "pc.n", "gh.n", "ln.n", "ln.lim", "dh.n", "lo.n", "lo.bal"]


async def village_coverage(*, actor: Actor | None, filt: ReportFilter = ReportFilter(), page: Page = EVERYTHING) -> CoverageReport:
    result = await fetch_report(actor, filt, page, report="village_coverage", statement=lambda sql, scope, p: coverage_sql(sql, filt, scope), keyset=ORDER)
    villages = [
        VillageCoverageRow(
            village_id=as_uuid(r["village_id"]), division_code=r["division_code"], name=r["name"], branch_name=r["branch_name"],
            officer_name=r["officer_name"] or "", figures=_figures(r),
        )
        for r in result.rows
    ]
    return CoverageReport(villages=result.paged(villages, page), total=result.total(_figures, CoverageFigures()))
