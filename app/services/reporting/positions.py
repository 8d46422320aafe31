"""Loan positions as of a business date and portfolio history from month-end snapshots (issue 16).

Both read what the day's close wrote (app/services/lending/positions.py), in the reader's scope
(an officer's branch tree, a report key's branch tree), narrowed by the report filter:

- `loan_positions(as_of=D)`: each loan's position at the end of D (None: the last closed date), from the daily positions, or
  from the month-end snapshot when D is a month-end whose daily rows were pruned; keyset-paged
  by loan id (`after` is the last loan id of the previous page), at most `MAX_PAGE` a page. Each position
  carries, joined in the same statement (not stored per row): the institution and branch codes, the
  contract and 借据 numbers, and the product's regulatory fields (its current setting).
- `portfolio_history(from, to)`: per month-end in the range, the portfolio figures (loans,
  balance, overdue, five-tier balances, NPL) of the loans active at that month-end.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from app.domain.classification import LoanClass
from app.domain.errors import ValidationError
from app.domain.vocabulary import GuaranteeMethod, LoanStatus
from app.services.actor import Actor
from app.services.reporting.common import MAX_PAGE, ReportFilter, Sql, as_int, as_uuid, report_scope
from app.services.reporting.portfolio import CLASS_COLUMNS, PortfolioFigures

DAILY, MONTH_END = "loan_position", "loan_position_month_end"


@dataclass(frozen=True, slots=True)
class Position:
    business_on: date
    loan_id: UUID
    bank_id: UUID
    branch_id: UUID
    customer_id: UUID
    product_id: UUID
    status: LoanStatus
    classification: LoanClass
    days_past_due: int
    annual_rate_ppm: int
    outstanding_principal_fen: int
    overdue_principal_fen: int
    overdue_interest_fen: int
    accrued_interest_fen: int
    penalty_fen: int
    compound_fen: int
    non_accrual: bool
    off_interest_fen: int
    off_penalty_fen: int
    off_compound_fen: int
    off_accrued_fen: int
    institution_code: str  # 法人行金融机构代码
    branch_code: str
    contract_number: str | None  # the line's contract (none signed: None)
    iou_number: str  # 借据号: the core's disbursement reference ("" while disbursing)
    loan_purpose: str
    guarantee_method: GuaranteeMethod
    is_agricultural: bool
    is_inclusive: bool


# joined onto a page of positions: codes, numbers and the product's regulatory fields
JOINED = (" JOIN bank bk ON bk.id = p.bank_id JOIN branch br ON br.id = p.branch_id JOIN loan l ON l.id = p.loan_id"
          " JOIN product pr ON pr.id = p.product_id LEFT JOIN contract ct ON ct.credit_line_id = l.credit_line_id")
JOINED_COLUMNS = ("bk.code AS institution_code, br.code AS branch_code, ct.number AS contract_number, l.disbursement_ref AS iou_number,"
                  " pr.loan_purpose, pr.guarantee_method, pr.is_agricultural, pr.is_inclusive")


@dataclass(frozen=True, slots=True)
class PositionPage:
    rows: list[Position]
    has_next: bool
    total_count: int  # the date's positions in scope (every page)
    source: str  # loan_position | loan_position_month_end: where the date's rows were found


@dataclass(frozen=True, slots=True)
class HistoryPoint:
    business_on: date
    figures: PortfolioFigures


def _filters(sql: Sql, filt: ReportFilter, scope) -> list[str]:
    where = [sql.within("p.branch_id", scope)]
    if filt.product_id:
        where.append(sql.equals("p.product_id", filt.product_id))
    if filt.village_id:
        where.append(f"p.customer_id IN (SELECT id FROM customer WHERE village_id = {sql.param(filt.village_id)})")
    if filt.officer_id:
        where.append(f"p.loan_id IN (SELECT l.id FROM loan l JOIN credit_line cl ON cl.id = l.credit_line_id WHERE cl.officer_id = {sql.param(filt.officer_id)})")
    return where


def _position(r: dict) -> Position:
    return Position(
        business_on=r["business_on"] if isinstance(r["business_on"], date) else date.fromisoformat(str(r["business_on"])),
        loan_id=as_uuid(r["loan_id"]), bank_id=as_uuid(r["bank_id"]), branch_id=as_uuid(r["branch_id"]), customer_id=as_uuid(r["customer_id"]),
        product_id=as_uuid(r["product_id"]), status=LoanStatus(r["status"]), classification=LoanClass(r["classification"]),
        days_past_due=int(r["days_past_due"]), annual_rate_ppm=int(r["annual_rate_ppm"]),
        **{k: as_int(r[k]) for k in ("outstanding_principal_fen", "overdue_principal_fen", "overdue_interest_fen", "accrued_interest_fen",
                                     "penalty_fen", "compound_fen", "off_interest_fen", "off_penalty_fen", "off_compound_fen", "off_accrued_fen")},
        non_accrual=bool(r["non_accrual"]), institution_code=r["institution_code"], branch_code=r["branch_code"],
        contract_number=r["contract_number"], iou_number=r["iou_number"] or "", loan_purpose=r["loan_purpose"],
        guarantee_method=GuaranteeMethod(r["guarantee_method"]), is_agricultural=bool(r["is_agricultural"]), is_inclusive=bool(r["is_inclusive"]),
    )


async def loan_positions(*, actor: Actor | None, as_of: date | None, filt: ReportFilter = ReportFilter(), first: int = MAX_PAGE,
                         after: UUID | None = None) -> PositionPage:
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError(f"first 应在 1 到 {MAX_PAGE} 之间", field="first")
    scope = await report_scope(actor, filt, report="loan_positions")
    if scope.empty:
        return PositionPage([], False, 0, DAILY)
    if as_of is None:  # the last closed date
        latest = (await Sql().fetch(f"SELECT MAX(business_on) AS d FROM {DAILY}"))[0]["d"]
        if latest is None:
            return PositionPage([], False, 0, DAILY)
        as_of = latest if isinstance(latest, date) else date.fromisoformat(str(latest))
    for table in (DAILY, MONTH_END):
        sql = Sql()
        where = [f"p.business_on = {sql.param(as_of)}", *_filters(sql, filt, scope)]
        total = as_int((await sql.fetch(f"SELECT COUNT(*) AS n FROM {table} p WHERE {' AND '.join(where)}"))[0]["n"])
        if not total:
            continue
        if after is not None:
            where.append(f"p.loan_id > {sql.param(after)}")
        rows = await sql.fetch(f"SELECT p.*, {JOINED_COLUMNS} FROM {table} p{JOINED} WHERE {' AND '.join(where)}"
                               f" ORDER BY p.loan_id LIMIT {sql.param(first + 1)}")
        return PositionPage([_position(r) for r in rows[:first]], len(rows) > first, total, table)
    return PositionPage([], False, 0, DAILY)


async def portfolio_history(*, actor: Actor | None, date_from: date | None = None, date_to: date | None = None,
                            filt: ReportFilter = ReportFilter()) -> list[HistoryPoint]:
    """One point per month-end snapshot in [date_from, date_to], oldest first (at most 120: ten years)."""
    if date_from and date_to and date_from > date_to:
        raise ValidationError("开始日期不能晚于结束日期", field="from")
    scope = await report_scope(actor, filt, report="portfolio_history")
    if scope.empty:
        return []
    sql = Sql()
    where = ["p.status = 'active'", *_filters(sql, filt, scope)]
    if date_from:
        where.append(f"p.business_on >= {sql.param(date_from)}")
    if date_to:
        where.append(f"p.business_on <= {sql.param(date_to)}")
    classes = ", ".join(
        f"SUM(CASE WHEN p.classification = '{cls.value}' THEN p.outstanding_principal_fen ELSE 0 END) AS {col}" for cls, col in CLASS_COLUMNS.items()
    )
    # renewals and extensions as of each month-end: a renewal's new loan is one from its start; an extension from its approval
    flags = ", ".join(
        f"SUM(CASE WHEN {test} THEN 1 ELSE 0 END) AS {name}, SUM(CASE WHEN {test} THEN p.outstanding_principal_fen ELSE 0 END) AS {name}_outstanding"
        for name, test in (("renewed", "EXISTS (SELECT 1 FROM loan_renewal rn WHERE rn.new_loan_id = p.loan_id)"),
                           ("extended", "EXISTS (SELECT 1 FROM loan_extension ex WHERE ex.loan_id = p.loan_id AND ex.business_on <= p.business_on)"))
    )
    rows = await sql.fetch(
        f"SELECT p.business_on, COUNT(*) AS loans, SUM(p.outstanding_principal_fen) AS outstanding, SUM(p.overdue_principal_fen) AS overdue_principal,"
        f" SUM(p.overdue_interest_fen) AS overdue_interest, {classes}, {flags} FROM {MONTH_END} p WHERE {' AND '.join(where)}"
        f" GROUP BY p.business_on ORDER BY p.business_on LIMIT 120"
    )
    return [
        HistoryPoint(
            business_on=r["business_on"] if isinstance(r["business_on"], date) else date.fromisoformat(str(r["business_on"])),
            figures=PortfolioFigures(
                loans=as_int(r["loans"]), outstanding_fen=as_int(r["outstanding"]), overdue_principal_fen=as_int(r["overdue_principal"]),
                overdue_interest_fen=as_int(r["overdue_interest"]), by_class={cls: as_int(r[col]) for cls, col in CLASS_COLUMNS.items()},
                renewed=as_int(r["renewed"]), renewed_outstanding_fen=as_int(r["renewed_outstanding"]), extended=as_int(r["extended"]),
                extended_outstanding_fen=as_int(r["extended_outstanding"]),
            ),
        )
        for r in rows
    ]
