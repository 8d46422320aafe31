"""Customer contribution (客户贡献度): balances and the interest the bank earned, from the ledger.

- balances: outstanding and overdue principal of the customer's active loans;
- interest earned: interest, penalty and compound interest recognised on the loans'
  sub-ledgers — what fell due (end-of-day `interest_due`, the receivable debit of a
  prepayment) and what was charged (end-of-day `penalty`); reversals count back. Daily
  accrual is kept per portfolio (应计利息, app/domain/ledger.py), so interest accrued but not
  yet due is not in the ledger per loan: it is reported apart, as the loans' current
  `accrued_interest_fen` (a snapshot the date range does not apply to);
- interest collected: interest, penalty and compound paid (receivable credits of repayments,
  end-of-day debits and prepayments; reversals count back), and for a migrated loan what the borrower paid in the
  old system before the migration (`loan.legacy_interest_paid_fen`, not in the ledger: that income is the old
  system's), dated the migration date (its opening transaction's business date; docs/import.md).
The date range is the ledger's business date. Customers are listed by interest earned,
highest first. One SQL statement per page (plus one for the page's tags).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from app.domain.tags import Tag
from app.services.actor import Actor
from app.services.insight.tags import tags_of
from app.services.reporting.common import EVERYTHING, Keyset, Page, ReportFilter, Rows, Sql, as_int, as_uuid, fetch_report

ORDER = Keyset("customers", (("earned", True, int), ("customer_id", False, UUID)))  # interest earned, highest first
FIGURES = ["loans", "active_loans", "outstanding", "overdue", "earned", "collected", "accrued"]
SOURCES = ["lo.loans", "lo.active_loans", "lo.outstanding", "lo.overdue", "le.earned", "COALESCE(le.collected, 0) + COALESCE(lg.legacy, 0)", "lo.accrued"]
RECEIVABLES = "('interest_receivable', 'penalty_receivable', 'compound_receivable')"
RECOGNISED = "('interest_due', 'penalty', 'accrual')"  # accrual: per-loan lines of ledgers written before 应计利息


@dataclass(frozen=True, slots=True)
class ContributionFigures:
    loans: int = 0
    active_loans: int = 0
    outstanding_fen: int = 0
    overdue_principal_fen: int = 0
    interest_earned_fen: int = 0
    interest_collected_fen: int = 0
    interest_accrued_fen: int = 0  # accrued, not yet due (active loans, now)


@dataclass(frozen=True, slots=True)
class CustomerContribution:
    customer_id: UUID
    name: str
    id_number_masked: str
    branch_name: str
    village_name: str
    figures: ContributionFigures
    tags: list[Tag] = field(default_factory=list)


@dataclass(frozen=True, slots=True)
class ContributionReport:
    customers: Rows[CustomerContribution]
    total: ContributionFigures


def _figures(row: dict, prefix: str = "") -> ContributionFigures:
    return ContributionFigures(*[as_int(row[f"{prefix}{c}"]) for c in FIGURES])


def contribution_sql(sql: Sql, filt: ReportFilter, scope, customer_id: UUID | None) -> str:
    """Every customer in scope with loans, their figures and the totals (paged by ORDER)."""
    loan_where = [sql.within("l.branch_id", scope)]
    line_join = ""
    if customer_id:
        loan_where.append(sql.equals("l.customer_id", customer_id))
    if filt.product_id:
        loan_where.append(sql.equals("l.product_id", filt.product_id))
    if filt.officer_id:
        line_join = " JOIN credit_line cl ON cl.id = l.credit_line_id"
        loan_where.append(sql.equals("cl.officer_id", filt.officer_id))
    loans = f"SELECT l.id FROM loan l{line_join} WHERE {' AND '.join(loan_where)}"
    ledger_where = [f"e.loan_id IN ({loans})", *sql.dates("t.business_on", filt)]
    legacy_where = ["l3.legacy_interest_paid_fen <> 0", f"l3.id IN ({loans})", *sql.dates("t3.business_on", filt)]  # migrated loans
    loans_again = " AND ".join(loan_where)  # same predicate (parameters are reused by name)
    where = ["1 = 1"]
    if filt.village_id:
        where.append(sql.equals("c.village_id", filt.village_id))
    kind = "CASE WHEN t.kind = 'reversal' THEN r.kind ELSE t.kind END"
    figures = ", ".join(f"COALESCE({src}, 0) AS {c}" for c, src in zip(FIGURES, SOURCES, strict=True))
    totals = ", ".join(f"SUM(COALESCE({src}, 0)) OVER () AS total_{c}" for c, src in zip(FIGURES, SOURCES, strict=True))
    return (
        f"SELECT c.id AS customer_id, c.name, c.id_number_masked, b.name AS branch_name, v.name AS village_name, {figures}, {totals},"
        " COUNT(*) OVER () AS groups_total"
        " FROM (SELECT l.customer_id, COUNT(*) AS loans, SUM(CASE WHEN l.status = 'active' THEN 1 ELSE 0 END) AS active_loans,"
        "   SUM(CASE WHEN l.status = 'active' THEN l.outstanding_principal_fen ELSE 0 END) AS outstanding,"
        "   SUM(CASE WHEN l.status = 'active' THEN l.overdue_principal_fen ELSE 0 END) AS overdue,"
        "   SUM(CASE WHEN l.status = 'active' THEN l.accrued_interest_fen ELSE 0 END) AS accrued"
        f"   FROM loan l{line_join} WHERE {loans_again} GROUP BY l.customer_id) lo"
        " JOIN customer c ON c.id = lo.customer_id JOIN branch b ON b.id = c.branch_id LEFT JOIN village v ON v.id = c.village_id"
        " LEFT JOIN (SELECT l2.customer_id,"
        f"   SUM(CASE WHEN e.account NOT IN {RECEIVABLES} THEN 0"
        f"            WHEN {kind} IN {RECOGNISED} THEN e.debit_fen - e.credit_fen"
        f"            WHEN {kind} = 'prepayment' THEN CASE WHEN t.kind = 'reversal' THEN -e.credit_fen ELSE e.debit_fen END ELSE 0 END) AS earned,"
        f"   SUM(CASE WHEN e.account IN {RECEIVABLES} AND {kind} IN ('repayment', 'auto_debit', 'prepayment')"
        "            THEN CASE WHEN t.kind = 'reversal' THEN -e.debit_fen ELSE e.credit_fen END ELSE 0 END) AS collected"
        "   FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id LEFT JOIN ledger_transaction r ON r.id = t.reverses_id"
        f"   JOIN loan l2 ON l2.id = e.loan_id WHERE {' AND '.join(ledger_where)} GROUP BY l2.customer_id) le ON le.customer_id = c.id"
        " LEFT JOIN (SELECT l3.customer_id, SUM(l3.legacy_interest_paid_fen) AS legacy FROM loan l3"
        "   JOIN ledger_transaction t3 ON t3.loan_id = l3.id AND t3.kind = 'migration_opening'"
        f"   WHERE {' AND '.join(legacy_where)} GROUP BY l3.customer_id) lg ON lg.customer_id = c.id"
        f" WHERE {' AND '.join(where)}"
    )


async def customer_contributions(
    *, actor: Actor | None, filt: ReportFilter = ReportFilter(), page: Page = EVERYTHING, customer_id: UUID | None = None
) -> ContributionReport:
    """Customers with loans in scope, by interest earned (or one customer, for the insight card)."""
    result = await fetch_report(
        actor, filt, page, report="customer_contribution", statement=lambda sql, scope, p: contribution_sql(sql, filt, scope, customer_id), keyset=ORDER
    )
    ids = [as_uuid(r["customer_id"]) for r in result.rows]
    tags = await tags_of(ids)
    customers = [
        CustomerContribution(
            customer_id=cid, name=r["name"], id_number_masked=r["id_number_masked"], branch_name=r["branch_name"],
            village_name=r["village_name"] or "", figures=_figures(r), tags=tags.get(cid, []),
        )
        for cid, r in zip(ids, result.rows, strict=True)
    ]
    return ContributionReport(customers=result.paged(customers, page), total=result.total(_figures, ContributionFigures()))
