"""Portfolio import of loans as of the migration date (存量贷款迁移), their opening ledger entries and the reconciliation.

The migration date is the current business date: the file's figures are the old system's as at the close of the day
before, and Cunxin's end-of-day of the migration date is the first to run on the imported loans. Each loan row is
checked (cells, then its credit line and product, then its schedule rebuilt from the original terms with the schedule
code: `app.domain.portfolio_import.plan_loan`), then written as a loan with its unpaid installments, exactly as a
native loan would stand that day, and one opening ledger transaction against the migration suspense account (迁移过渡科目).
The file's control row (贷款编号 合计) must agree with the sum of its rows; one contra transaction per file debits the
suspense with the control totals against the old system's books (原系统移交), so the suspense is zero exactly when the
imported book is what the old system said it holds. docs/import.md.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from pathlib import Path
from uuid import UUID

from app.crypto import Vault
from app.domain import lpr
from app.domain.classification import CLASS_LABELS, FloorKind, LoanClass, classify
from app.domain.ledger import Account, Posting
from app.domain.permissions import Action
from app.domain.portfolio_import import CONTROL_KEY, CREDIT_LINES, LOANS, ImportFileError, LoanTotals, RowError, check_control, check_loan, \
    control_mismatches, plan_loan
from app.clock import now_utc
from app.domain.vocabulary import CreditLineStatus, InstallmentStatus, LoanStatus
from app.models import AuditEvent, Bank, BankCard, CreditLine, Installment, Loan, LoanExtension, LoanRisk, LoanWriteOff
from app.services import business_date
from app.services.actor import Actor
from app.services.lending import ledger
from app.services.lending.products import conventions_for
from app.services.permissions import require
from app.services.portfolio_import import ImportResult, _Context, _run, batches
from app.sql import as_uuid, fetch

OPENING = "migration_opening"  # ledger transaction kind: one per imported loan
CONTROL = "migration_control"  # one per confirmed loans file: its control totals against the old system's books


class _LoanContext(_Context):
    """A loans pass: the migration date, the credit lines' balances so far, the control row and the rows' totals."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.migration_on: date | None = None
        self.line_loans: dict[UUID, int] = {}  # principal outstanding on each line: its loans in the database + this file's
        self.control: LoanTotals | None = None
        self.control_line = 0
        self.detail = LoanTotals()  # every loan row of the file (new and imported before)
        self.skipped = LoanTotals()  # the rows imported before
        self.posted: LoanTotals | None = None  # the control less the rows imported before: what this file's contra entry books

    async def on(self) -> date:
        if self.migration_on is None:
            self.migration_on = await business_date.current()
        return self.migration_on

    async def credit_line(self, key: str) -> CreditLine | None:
        lines = self.chunk.setdefault("lines", {})
        if key not in lines:
            await _prepare_loans(self, [(0, {"额度编号": key}, [])])
        return lines[key]

    async def special_row(self, line: int, cells: dict[str, str], result: ImportResult) -> bool:
        if cells.get(LOANS.key, "") != CONTROL_KEY:
            return False
        if self.control_line:
            errors = [RowError(line, LOANS.key, f"只能有一行合计行（第 {self.control_line} 行已是合计行）")]
        else:
            self.control_line = line
            self.control, errors = check_control(line, cells)
        result.add(errors)
        if errors:
            self.refuse()
        return True

    def skipped_row(self, line: int, cells: dict[str, str]) -> None:
        row, errors = check_loan(line, cells)
        if row is not None:
            self.detail.add(row)
            self.skipped.add(row)

    async def finish(self, result: ImportResult) -> list[RowError]:
        if not self.control_line:
            raise ImportFileError(f"贷款文件最后须有一行控制合计行：贷款编号写“{CONTROL_KEY}”，额度编号写笔数，金额列写原系统的合计数")
        if result.error_count or self.control is None:
            return []
        errors = control_mismatches(self.control_line, self.control, self.detail)
        if errors or not self.write:
            return errors
        self.posted = self.control.minus(self.skipped)
        on_balance = self.posted.book_fen - (self.detail.off_fen - self.skipped.off_fen)  # off-balance openings have their own contra
        if on_balance:
            await ledger.post(kind=CONTROL, business_on=await self.on(), loan_id=None, bank_id=self.bank.id, memo=f"迁移控制合计 {self.sha[:16]}",
                              postings=[Posting(Account.MIGRATION_SUSPENSE, debit_fen=on_balance),
                                        Posting(Account.MIGRATION_LEGACY, credit_fen=on_balance)])
        return []

    def audit_extra(self) -> dict:
        if self.posted is None:
            return {}
        return {"migration_on": self.migration_on.isoformat() if self.migration_on else None, "control": self.posted.as_dict()}


async def _prepare_loans(ctx: _LoanContext, rows) -> None:
    """The chunk's credit lines (by their keys), the outstanding principal of the lines this file had not met yet, and
    (writing) their customers' default cards: a few queries for the chunk."""
    lines = ctx.chunk.setdefault("lines", {})
    keys = {cells.get("额度编号", "") for _, cells, _ in rows} - set(lines) - {""}
    await ctx.look_up(CREDIT_LINES, keys)
    ids = {ctx.records[(CREDIT_LINES.code, k)].entity_id: k for k in keys if ctx.records.get((CREDIT_LINES.code, k))}
    found: dict[UUID, CreditLine] = {}
    for part in batches(ids):
        found.update((line.id, line) for line in await CreditLine.filter(id__in=part))
    for key in keys:
        lines[key] = None
    for line_id, key in ids.items():
        lines[key] = found.get(line_id)
    new = [line_id for line_id in found if line_id not in ctx.line_loans]
    for part in batches(new):
        for line_id in part:
            ctx.line_loans[line_id] = 0
        for r in await fetch(f"SELECT credit_line_id AS id, SUM(outstanding_principal_fen) AS s FROM loan WHERE status = 'active'"
                             f" AND credit_line_id IN ({', '.join(f':l{i}' for i in range(len(part)))}) GROUP BY credit_line_id",
                             **{f"l{i}": str(line_id) for i, line_id in enumerate(part)}):
            ctx.line_loans[as_uuid(r["id"])] = int(r["s"] or 0)
    if ctx.write:
        cards = ctx.chunk.setdefault("cards", {})
        customers = {line.customer_id for line in found.values()} - set(cards)
        for part in batches(customers):
            for customer_id in part:
                cards[customer_id] = None
            for card in await BankCard.filter(customer_id__in=part, is_default=True, unbound_at=None).order_by("bound_at", "id"):
                cards[card.customer_id] = cards[card.customer_id] or card.id


async def _loan_row(ctx: _LoanContext, line: int, cells: dict[str, str], raw: dict[str, object]) -> list[RowError]:
    if ctx.control_line:
        return [RowError(line, LOANS.key, f"合计行（第 {ctx.control_line} 行）应为最后一行，其后不能再有贷款")]
    row, errors = check_loan(line, cells)
    if errors:
        return errors
    on = await ctx.on()
    credit_line = await ctx.credit_line(row["credit_line"])
    product = await ctx.product(row["product"])
    if credit_line is None:
        errors.append(RowError(line, "额度编号", f"找不到额度编号为 {row['credit_line']} 的授信额度（请先导入授信额度文件）"))
    if product is None:
        errors.append(RowError(line, "产品代码", f"{ctx.bank.name}没有产品代码为 {row['product']} 的产品"))
    elif credit_line is not None and credit_line.product_id != product.id:
        errors.append(RowError(line, "产品代码", f"与额度 {row['credit_line']} 的产品不一致"))
    elif row["method"].value not in product.allowed_methods:
        errors.append(RowError(line, "还款方式", f"产品「{product.name}」不支持{row['method'].label}"))
    if errors:
        return errors
    plan, errors = plan_loan(line, row, migration_on=on, conventions=conventions_for(product))
    if errors:
        return errors
    drawn = ctx.line_loans[credit_line.id] + (0 if row["written_off_on"] else row["remaining_fen"])  # written-off principal uses no line
    if drawn > credit_line.used_fen:
        return [RowError(line, "剩余本金", f"额度 {row['credit_line']} 下贷款余额合计 {drawn / 100:.2f} 元超过额度的已用金额 {credit_line.used_fen / 100:.2f} 元")]
    ctx.line_loans[credit_line.id] = drawn
    ctx.detail.add(row)
    if not ctx.write:
        return []
    await _write_loan(ctx, row, plan, credit_line, product, on)
    return []


_loan_row.prepare = _prepare_loans


async def _write_loan(ctx: _LoanContext, row: dict, plan, credit_line: CreditLine, product, on: date) -> None:
    card = ctx.chunk["cards"].get(credit_line.customer_id)
    if row["written_off_on"] is not None:
        await _write_written_off(ctx, row, plan, credit_line, product, card, on)
        return
    repricing = None
    if product.repricing in (lpr.RepricingAnchor.JAN1.value, lpr.RepricingAnchor.ANNIVERSARY.value):
        repricing = lpr.next_repricing_date(product.repricing, row["start_on"], on - timedelta(days=1))  # the first on or after the migration date
        if repricing > row["maturity_on"]:
            repricing = None
    loan = ctx.add(Loan(
        credit_line_id=credit_line.id, customer_id=credit_line.customer_id, product_id=product.id, branch_id=credit_line.branch_id,
        card_id=card, principal_fen=row["principal_fen"], annual_rate_ppm=row["rate_ppm"], lpr_tenor=row["tenor"],
        spread_bp=row["spread_bp"], method=row["method"].value, term_months=row["term_months"] + (plan.extension.months if plan.extension else 0),
        start_on=row["start_on"], first_due_on=row["first_due_on"], maturity_on=row["maturity_on"], next_repricing_on=repricing, status=LoanStatus.ACTIVE,
        outstanding_principal_fen=row["remaining_fen"], overdue_principal_fen=plan.overdue_principal_fen,
        overdue_interest_fen=plan.overdue_interest_fen, accrued_interest_fen=row["accrued_fen"], penalty_fen=row["penalty_fen"],
        compound_fen=row["compound_fen"], days_past_due=plan.days_past_due, classification=row["class"],
        disbursement_ref=row["key"],  # the old system's 借据号 stays the loan's IOU number
        legacy_interest_paid_fen=row["interest_paid_fen"],  # reported as interest received, not booked: that income is the old system's
    ))
    for i in plan.installments:
        ctx.add(Installment(loan_id=loan.id, number=i.number, due_on=i.due_on, principal_fen=i.principal_fen, interest_fen=i.interest_fen,
                            penalty_fen=i.penalty_fen, compound_fen=i.compound_fen, status=InstallmentStatus.OVERDUE if i.overdue else InstallmentStatus.PENDING))
    if plan.extension is not None:  # 展期 as `lending.extension` records it: the loan is flagged as extended, so it is not extended again
        e = plan.extension
        ctx.add(LoanExtension(loan_id=loan.id, business_on=e.extended_on, months=e.months, original_term_months=e.original_term_months,
                                   old_maturity_on=e.old_maturity_on, new_maturity_on=e.new_maturity_on, old_rate_ppm=e.old_rate_ppm,
                                   new_rate_ppm=e.new_rate_ppm, old_tenor=e.old_tenor.value, new_tenor=e.new_tenor.value, balance_fen=e.balance_fen,
                                   restructured=e.restructured))
    risk = {}
    if row["observing_since"] is not None:  # a non-performing loan that repaid its arrears: held, observed since then (no floor)
        risk |= {"observing_since": row["observing_since"]}
    if plan.extension is not None and plan.extension.restructured:  # 重组 as `lending.extension` floors it: at least 关注 (the file's class)
        until = plan.extension.observation_until
        risk |= {"floor_class": row["class"], "floor_kind": FloorKind.RESTRUCTURED, "floor_set_on": plan.extension.extended_on, "floor_until": until,
                 "floor_reason": f"迁移：展期重组（借款人财务困难），观察期至 {until.isoformat() if until else '—'}"}
    elif row["observing_since"] is None and row["class"].rank > classify(plan.days_past_due).rank:  # the old system's judgement is kept as a floor, as an officer's would be
        risk |= {"floor_class": row["class"], "floor_kind": FloorKind.MANUAL, "floor_set_on": on, "floor_reason": f"迁移：原系统认定为{CLASS_LABELS[row['class']]}"}
    non_accrual = row["non_accrual_on"] is not None
    if non_accrual:  # 非应计 as the lending module keeps it: what is owed and not paid is off the balance sheet (docs/lending-nonaccrual.md)
        risk |= {"non_accrual_since": row["non_accrual_on"], "off_interest_fen": row["overdue_interest_fen"], "off_penalty_fen": row["penalty_fen"],
                 "off_compound_fen": row["compound_fen"], "off_accrued_fen": row["accrued_fen"]}
    if risk:
        ctx.add(LoanRisk(loan_id=loan.id, **risk))
    if non_accrual:
        postings = [Posting(Account.LOAN_PRINCIPAL, debit_fen=row["remaining_fen"]), Posting(Account.MIGRATION_SUSPENSE, credit_fen=row["remaining_fen"]),
                    *_off_balance([(Account.OFF_INTEREST, row["overdue_interest_fen"]), (Account.OFF_PENALTY, row["penalty_fen"]),
                                   (Account.OFF_COMPOUND, row["compound_fen"]), (Account.OFF_ACCRUED_INTEREST, row["accrued_fen"])])]
    else:
        postings = [Posting(Account.LOAN_PRINCIPAL, debit_fen=row["remaining_fen"]), Posting(Account.INTEREST_RECEIVABLE, debit_fen=row["overdue_interest_fen"]),
                    Posting(Account.PENALTY_RECEIVABLE, debit_fen=row["penalty_fen"]), Posting(Account.COMPOUND_RECEIVABLE, debit_fen=row["compound_fen"]),
                    Posting(Account.ACCRUED_INTEREST, debit_fen=row["accrued_fen"])]
        postings.append(Posting(Account.MIGRATION_SUSPENSE, credit_fen=sum(p.debit_fen for p in postings)))
    _post(ctx, kind=OPENING, business_on=on, loan_id=loan.id, memo=f"迁移开户 {row['key']}", postings=postings)
    await ctx.record(LOANS, row["key"], loan.id)


def _post(ctx: _LoanContext, **transaction) -> None:
    """An opening transaction, written with the chunk (ledger.post's records, in bulk)."""
    txn, entries = ledger.unsaved(bank_id=ctx.bank.id, **transaction)
    ctx.add(txn)
    for entry in entries:
        ctx.add(entry)


def _off_balance(lines: list[tuple[Account, int]]) -> list[Posting]:
    """Off-balance debits against the contra (表外科目对转): they neither come from nor go to the migration suspense."""
    return [*(Posting(account, debit_fen=fen) for account, fen in lines), Posting(Account.OFF_BALANCE_CONTRA, credit_fen=sum(fen for _, fen in lines))]


async def _write_written_off(ctx: _LoanContext, row: dict, plan, credit_line: CreditLine, product, card, on: date) -> None:
    """A loan the old system wrote off (核销, 账销案存): a written-off loan with its register (`loan_write_off`) and its
    off-balance record of principal and interest, as `write_off._execute` leaves a native one, so recoveries book the same;
    the borrower's active lines at the bank are frozen, as after a native write-off. No schedule, nothing on the balance sheet."""
    loan = ctx.add(Loan(
        credit_line_id=credit_line.id, customer_id=credit_line.customer_id, product_id=product.id, branch_id=credit_line.branch_id,
        card_id=card, principal_fen=row["principal_fen"], annual_rate_ppm=row["rate_ppm"], lpr_tenor=row["tenor"],
        spread_bp=row["spread_bp"], method=row["method"].value, term_months=row["term_months"], start_on=row["start_on"],
        first_due_on=row["first_due_on"], maturity_on=row["maturity_on"], status=LoanStatus.WRITTEN_OFF, outstanding_principal_fen=0,
        days_past_due=plan.days_past_due, classification=row["class"], disbursement_ref=row["key"],
        legacy_interest_paid_fen=row["interest_paid_fen"],
    ))
    # the register as a native one stands after recoveries: what was written off, what the old system recovered since (账销案存)
    ctx.add(LoanWriteOff(loan_id=loan.id, bank_id=ctx.bank.id, written_off_on=row["written_off_on"], class_at_write_off=row["class"],
                              days_past_due=plan.days_past_due, principal_fen=row["remaining_fen"] + row["recovered_principal_fen"],
                              interest_fen=row["overdue_interest_fen"] + row["recovered_interest_fen"],
                              recovered_principal_fen=row["recovered_principal_fen"], recovered_interest_fen=row["recovered_interest_fen"]))
    _post(ctx, kind=OPENING, business_on=on, loan_id=loan.id, memo=f"迁移开户（已核销） {row['key']}",
          postings=_off_balance([(Account.WRITTEN_OFF_PRINCIPAL, row["remaining_fen"]), (Account.WRITTEN_OFF_INTEREST, row["overdue_interest_fen"])]))
    customer_id = credit_line.customer_id
    ctx.after.append(lambda: CreditLine.filter(customer_id=customer_id, status=CreditLineStatus.ACTIVE, branch__bank_id=ctx.bank.id).update(
        status=CreditLineStatus.FROZEN, updated_at=now_utc()))
    await ctx.record(LOANS, row["key"], loan.id)


async def import_loans(*, actor: Actor, vault: Vault, bank_code: str, path: Path, confirm: bool, max_bytes: int, **options) -> ImportResult:
    """Loans as of the migration date on imported credit lines: schedule rebuilt and checked, opening entries against the
    migration suspense, the file's control row checked and booked as its contra entry."""
    return await _run(LOANS, _loan_row, actor=actor, vault=vault, bank_code=bank_code, path=path, confirm=confirm, max_bytes=max_bytes,
                      context=_LoanContext, **options)


# --- reconciliation --------------------------------------------------------------------------------------

@dataclass(slots=True)
class Figures:
    """Count and opening balances (fen) of imported loans, as their opening entries booked them."""

    count: int = 0
    principal_fen: int = 0
    interest_fen: int = 0  # 逾期利息 (interest receivable)
    accrued_fen: int = 0
    penalty_fen: int = 0
    compound_fen: int = 0  # 复利

    @property
    def book_fen(self) -> int:
        return self.principal_fen + self.interest_fen + self.accrued_fen + self.penalty_fen + self.compound_fen


@dataclass(slots=True)
class ReconciliationLine:
    dimension: str  # 产品 / 机构 / 五级分类
    label: str
    figures: Figures


@dataclass(slots=True)
class LoanReconciliation:
    bank_name: str
    lines: list[ReconciliationLine] = field(default_factory=list)
    imported: Figures = field(default_factory=Figures)  # the sum of every imported loan's opening entry
    control: Figures = field(default_factory=Figures)  # the sum of the files' control rows (less rows imported before)
    suspense_fen: int = 0  # 迁移过渡科目: control totals − opening entries; zero when the book matches the old system's

    @property
    def matches(self) -> bool:
        return self.suspense_fen == 0 and self.imported == self.control


# on- and off-balance: a non-accrual loan's interest and a written-off loan's principal and interest open off the balance sheet
_ACCOUNTS = {Account.LOAN_PRINCIPAL.value: "principal_fen", Account.INTEREST_RECEIVABLE.value: "interest_fen",
             Account.ACCRUED_INTEREST.value: "accrued_fen", Account.PENALTY_RECEIVABLE.value: "penalty_fen",
             Account.COMPOUND_RECEIVABLE.value: "compound_fen", Account.OFF_COMPOUND.value: "compound_fen",
             Account.OFF_INTEREST.value: "interest_fen", Account.OFF_ACCRUED_INTEREST.value: "accrued_fen", Account.OFF_PENALTY.value: "penalty_fen",
             Account.WRITTEN_OFF_PRINCIPAL.value: "principal_fen", Account.WRITTEN_OFF_INTEREST.value: "interest_fen"}
_STATES = {"accruing": "表内计息", "non_accrual": "非应计", "written_off": "已核销"}

OPENING_SQL = """
SELECT p.name AS product, b.name AS branch, l.classification AS class,
  CASE WHEN l.status = 'written_off' THEN 'written_off' WHEN r.non_accrual_since IS NOT NULL THEN 'non_accrual' ELSE 'accruing' END AS state,
  e.account, COUNT(*) AS n, SUM(e.debit_fen - e.credit_fen) AS amount
FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id JOIN loan l ON l.id = t.loan_id
JOIN product p ON p.id = l.product_id JOIN branch b ON b.id = l.branch_id LEFT JOIN loan_risk r ON r.loan_id = l.id
WHERE t.kind = :kind AND t.bank_id = :bank AND e.account NOT IN ('migration_suspense', 'off_balance_contra')
GROUP BY p.name, b.name, l.classification, 4, e.account
"""

SUSPENSE_SQL = """
SELECT COALESCE(SUM(e.debit_fen - e.credit_fen), 0) AS balance FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
WHERE e.account = 'migration_suspense' AND t.bank_id = :bank
"""


async def loan_reconciliation(*, actor: Actor, bank_code: str) -> LoanReconciliation:
    """The imported loans of one bank: counts and opening balances by product, branch and (current) class, their sum
    against the control totals of the confirmed files, and the migration suspense's balance."""
    bank = await Bank.get_or_none(code=bank_code.strip())
    if bank is None:
        raise ImportFileError(f"没有机构代码为 {bank_code} 的法人行")
    require(actor, Action.PORTFOLIO_IMPORT, branch_id=bank.head_branch_id)
    report = LoanReconciliation(bank_name=bank.name)
    groups: dict[tuple[str, str], Figures] = {}
    for r in await fetch(OPENING_SQL, kind=OPENING, bank=str(bank.id)):
        name = _ACCOUNTS.get(r["account"])
        if name is None:
            continue
        keys = (("产品", r["product"]), ("机构", r["branch"]), ("五级分类", CLASS_LABELS[LoanClass(r["class"])]), ("核算状态", _STATES[r["state"]]),
                ("合计", ""))
        for key in keys:
            figures = groups.setdefault(key, Figures())
            setattr(figures, name, getattr(figures, name) + int(r["amount"]))
            if name == "principal_fen":  # every imported loan has principal (on the books or written off): its line counts it
                figures.count += int(r["n"])
    order = {"产品": 0, "机构": 1, "五级分类": 2, "核算状态": 3}
    report.lines = [ReconciliationLine(d, label, f) for (d, label), f in sorted(groups.items(), key=lambda kv: (order.get(kv[0][0], 9), kv[0][1]))
                    if d != "合计"]
    report.imported = groups.get(("合计", ""), Figures())
    for after in await AuditEvent.filter(action=f"import.{LOANS.code}", entity_id=str(bank.id)).values_list("after", flat=True):
        control = (after or {}).get("control")
        if control:
            report.control.count += control["count"]
            report.control.principal_fen += control["principal_fen"]
            report.control.interest_fen += control["overdue_interest_fen"]
            report.control.accrued_fen += control["accrued_fen"]
            report.control.penalty_fen += control["penalty_fen"]
            report.control.compound_fen += control.get("compound_fen", 0)  # files confirmed before the 复利 column have none
    report.suspense_fen = int((await fetch(SUSPENSE_SQL, bank=str(bank.id)))[0]["balance"])  # debit: the control says more than the loans hold
    return report
