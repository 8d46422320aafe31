"""Each member bank's books, checked one bank at a time and consolidated (ledger-check, reconcile).

Every ledger transaction is one bank's (`ledger_transaction.bank_id`), so a bank's books balance on their
own and the banks' trial balances add up, account by account, to the platform's consolidated one.
`check_books` and `reconcile_books` return one section per bank (or the one bank asked for) and, for
every bank, the consolidated section; the CLI prints them. `bank_figures` is each bank's part of a day's
close (loans, the day's accrual, auto-debit and penalty from its books), reported by the close.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.domain.errors import NotFound
from app.integrations.core_banking import CoreBanking
from app.models import Bank
from app.services.lending.ledger import Mismatch, TrialLine, ledger_check, trial_balance
from app.services.lending.reconcile import Break, reconcile_bank
from app.sql import fetch


@dataclass(frozen=True, slots=True)
class BooksSection:
    code: str  # the bank's institution code; "" for the consolidated section
    name: str  # the bank's short name; 合并 for the consolidated section
    lines: list[TrialLine] = field(default_factory=list)
    problems: list[Mismatch] = field(default_factory=list)

    @property
    def debit_fen(self) -> int:
        return sum(t.debit_fen for t in self.lines)

    @property
    def credit_fen(self) -> int:
        return sum(t.credit_fen for t in self.lines)


@dataclass(frozen=True, slots=True)
class ReconcileSection:
    code: str
    name: str
    breaks: list[Break] = field(default_factory=list)


CONSOLIDATED = "合并（全部法人行）"


async def banks_for(code: str | None) -> list[Bank]:
    """The bank of `code`, or every bank by code (None)."""
    if code is None:
        return await Bank.all().order_by("code")
    bank = await Bank.get_or_none(code=code.strip())
    if bank is None:
        raise NotFound(f"法人行 {code} 不存在（cunxin bank list 列出全部法人行）", field="bank")
    return [bank]


async def check_books(*, today: date, bank_code: str | None = None) -> list[BooksSection]:
    """ledger-check per bank: each bank's trial balance and problems; without `bank_code`, every bank then the consolidated
    section (every account over every bank, and every problem, including any no bank could be named for)."""
    banks = await banks_for(bank_code)
    problems = await ledger_check(today=today)
    sections = [
        BooksSection(b.code, b.name, await trial_balance(b.id), [p for p in problems if p.bank_id == str(b.id)]) for b in banks
    ]
    if bank_code is None:
        sections.append(BooksSection("", CONSOLIDATED, await trial_balance(), problems))
    return sections


async def reconcile_books(on: date, *, core: CoreBanking, bank_code: str | None = None) -> list[ReconcileSection]:
    """reconcile per bank: each bank's breaks of `on`; without `bank_code`, every bank then the consolidated section."""
    banks = await banks_for(bank_code)
    breaks = await reconcile_bank(on, core=core)
    sections = [ReconcileSection(b.code, b.name, [x for x in breaks if x.bank_id == str(b.id)]) for b in banks]
    if bank_code is None:
        sections.append(ReconcileSection("", CONSOLIDATED, breaks))
    return sections


@dataclass(frozen=True, slots=True)
class BankDay:
    """One bank's figures of a closed business date (the day's close reports them per bank)."""

    code: str
    name: str
    active_loans: int
    outstanding_fen: int
    overdue_loans: int
    accrued_fen: int  # the day's interest accrued (net 应计利息 of the accrual transaction)
    collected_fen: int  # debited by the close's auto-debit (清算往来 debits)
    penalty_fen: int  # penalty and compound charged

    def as_dict(self) -> dict[str, int | str]:
        return {"name": self.name, "activeLoans": self.active_loans, "outstandingFen": self.outstanding_fen, "overdueLoans": self.overdue_loans,
                "accruedFen": self.accrued_fen, "collectedFen": self.collected_fen, "penaltyFen": self.penalty_fen}


LOANS_BY_BANK_SQL = """
SELECT b.bank_id, COUNT(*) AS n, COALESCE(SUM(l.outstanding_principal_fen), 0) AS outstanding,
  SUM(CASE WHEN l.days_past_due > 0 THEN 1 ELSE 0 END) AS overdue
FROM loan l JOIN branch b ON b.id = l.branch_id WHERE l.status = 'active' GROUP BY b.bank_id
"""
DAY_BY_BANK_SQL = """
SELECT t.bank_id,
  SUM(CASE WHEN t.kind = 'accrual' AND e.account = 'accrued_interest' THEN e.debit_fen - e.credit_fen ELSE 0 END) AS accrued,
  SUM(CASE WHEN t.kind = 'auto_debit' AND e.account = 'clearing' THEN e.debit_fen - e.credit_fen ELSE 0 END) AS collected,
  SUM(CASE WHEN t.kind = 'penalty' AND e.account IN ('penalty_income', 'compound_income') THEN e.credit_fen - e.debit_fen ELSE 0 END) AS penalty
FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id
WHERE t.business_on = :d AND t.kind IN ('accrual', 'auto_debit', 'penalty') GROUP BY t.bank_id
"""


async def bank_figures(on: date) -> list[BankDay]:
    """Every bank's figures of the close of `on` (run after it: the loans as they stand, the day's batches from its books), by code."""
    loans = {str(r["bank_id"]): r for r in await fetch(LOANS_BY_BANK_SQL)}
    day = {str(r["bank_id"]): r for r in await fetch(DAY_BY_BANK_SQL, d=on)}
    out = []
    for bank in await Bank.all().order_by("code"):
        ln, dy = loans.get(str(bank.id), {}), day.get(str(bank.id), {})
        out.append(BankDay(
            bank.code, bank.name, int(ln.get("n") or 0), int(ln.get("outstanding") or 0), int(ln.get("overdue") or 0),
            int(dy.get("accrued") or 0), int(dy.get("collected") or 0), int(dy.get("penalty") or 0),
        ))
    return out
