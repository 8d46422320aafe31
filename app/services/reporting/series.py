"""Disbursement and repayment series (放款 / 回收), daily or monthly, from the ledger.

- Disbursed: the loan-principal debits of `disbursement` transactions (a reversal counts
  back), dated by the transaction's business date.
- Repaid: the cash of `repayment`, `auto_debit` (end-of-day debits) and `prepayment`
  transactions: the clearing debit is the total; principal and penalty (罚息 + 复利) are the
  credits to those accounts; interest is the rest. Reversals count back.
  Each loan's posting is one repayment (an end-of-day debit run is one transaction with
  a line per loan).

Filters narrow by the loan (branch, product, the customer's village, the line's officer);
the date range is the business date. One SQL statement per request.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.services.actor import Actor
from app.services.reporting.common import (
    EVERYTHING,
    Interval,
    Page,
    ReportFilter,
    Rows,
    Sql,
    as_int,
    fetch_report,
    page_sql,
    period_sql,
)

REPAYMENT_KINDS = ("repayment", "auto_debit", "prepayment")


@dataclass(frozen=True, slots=True)
class DisbursementPoint:
    period: str  # "2026-11" or "2026-11-27"
    count: int
    amount_fen: int


@dataclass(frozen=True, slots=True)
class RepaymentPoint:
    period: str
    count: int
    total_fen: int
    principal_fen: int
    interest_fen: int
    penalty_fen: int  # penalty and compound interest


@dataclass(frozen=True, slots=True)
class Series:
    interval: Interval
    points: Rows  # of DisbursementPoint or RepaymentPoint
    total: DisbursementPoint | RepaymentPoint


def _where(sql: Sql, filt: ReportFilter, scope) -> tuple[str, list[str]]:
    joins, where = ["JOIN loan l ON l.id = e.loan_id"], [sql.within("l.branch_id", scope)]
    if filt.village_id:
        joins.append("JOIN customer c ON c.id = l.customer_id")
        where.append(sql.equals("c.village_id", filt.village_id))
    if filt.officer_id:
        joins.append("JOIN credit_line cl ON cl.id = l.credit_line_id")
        where.append(sql.equals("cl.officer_id", filt.officer_id))
    if filt.product_id:
        where.append(sql.equals("l.product_id", filt.product_id))
    where += sql.dates("t.business_on", filt)
    return " ".join(joins), where


def _series_sql(inner: str, sql: Sql, page: Page, columns: list[str]) -> str:
    figures = ", ".join(f"a.{c}, SUM(a.{c}) OVER () AS total_{c}" for c in columns)
    return f"SELECT a.period, {figures}, COUNT(*) OVER () AS groups_total FROM ({inner}) a ORDER BY a.period {page_sql(sql, page)}"


FROM_LEDGER = (
    "FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id"
    " LEFT JOIN ledger_transaction r ON r.id = t.reverses_id"
)
SIGN = "CASE WHEN t.kind = 'reversal' THEN -1 ELSE 1 END"
KIND = "CASE WHEN t.kind = 'reversal' THEN r.kind ELSE t.kind END"


def disbursement_inner(sql: Sql, interval: Interval, filt: ReportFilter, scope) -> str:
    joins, where = _where(sql, filt, scope)
    period = period_sql("t.business_on", interval)
    return (
        f"SELECT {period} AS period, SUM({SIGN}) AS txns, SUM(e.debit_fen - e.credit_fen) AS amount {FROM_LEDGER} {joins}"
        f" WHERE e.account = 'loan_principal' AND {KIND} = 'disbursement' AND {' AND '.join(where)} GROUP BY {period}"
    )


def repayment_inner(sql: Sql, interval: Interval, filt: ReportFilter, scope) -> str:
    joins, where = _where(sql, filt, scope)
    period = period_sql("t.business_on", interval)
    kinds = ", ".join(f"'{k}'" for k in REPAYMENT_KINDS)
    return (
        f"SELECT {period} AS period,"
        f" SUM(CASE WHEN e.account = 'clearing' THEN {SIGN} ELSE 0 END) AS txns,"
        f" SUM(CASE WHEN e.account = 'clearing' THEN e.debit_fen - e.credit_fen ELSE 0 END) AS total,"
        f" SUM(CASE WHEN e.account = 'loan_principal' THEN e.credit_fen - e.debit_fen ELSE 0 END) AS principal,"
        f" SUM(CASE WHEN e.account IN ('penalty_receivable', 'compound_receivable') THEN e.credit_fen - e.debit_fen ELSE 0 END) AS penalty"
        f" {FROM_LEDGER} {joins}"
        f" WHERE e.account IN ('clearing', 'loan_principal', 'penalty_receivable', 'compound_receivable') AND {KIND} IN ({kinds})"
        f" AND {' AND '.join(where)} GROUP BY {period}"
    )


def _disbursement(row: dict, prefix: str = "") -> DisbursementPoint:
    return DisbursementPoint(period=row.get("period", "") if not prefix else "", count=as_int(row[f"{prefix}txns"]), amount_fen=as_int(row[f"{prefix}amount"]))


def _repayment(row: dict, prefix: str = "") -> RepaymentPoint:
    total, principal, penalty = (as_int(row[f"{prefix}{c}"]) for c in ("total", "principal", "penalty"))
    return RepaymentPoint(
        period=row.get("period", "") if not prefix else "", count=as_int(row[f"{prefix}txns"]), total_fen=total,
        principal_fen=principal, interest_fen=total - principal - penalty, penalty_fen=penalty,
    )


async def _series(actor, interval, filt, page, *, report, inner, columns, convert, empty) -> Series:
    interval = Interval(interval)
    result = await fetch_report(
        actor, filt, page, report=report, statement=lambda sql, scope, p: _series_sql(inner(sql, interval, filt, scope), sql, p, columns)
    )
    return Series(interval=interval, points=result.paged([convert(r) for r in result.rows], page), total=result.total(convert, empty))


async def disbursement_series(
    *, actor: Actor | None, interval: Interval = Interval.MONTH, filt: ReportFilter = ReportFilter(), page: Page = EVERYTHING
) -> Series:
    return await _series(
        actor, interval, filt, page, report="disbursements", inner=disbursement_inner, columns=["txns", "amount"],
        convert=_disbursement, empty=DisbursementPoint("", 0, 0),
    )


async def repayment_series(
    *, actor: Actor | None, interval: Interval = Interval.MONTH, filt: ReportFilter = ReportFilter(), page: Page = EVERYTHING
) -> Series:
    return await _series(
        actor, interval, filt, page, report="repayments", inner=repayment_inner, columns=["txns", "total", "principal", "penalty"],
        convert=_repayment, empty=RepaymentPoint("", 0, 0, 0, 0, 0),
    )
