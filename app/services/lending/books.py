"""Each member bank's books, checked one bank at a time and consolidated (ledger-check, reconcile).

Every ledger transaction is one bank's (`ledger_transaction.bank_id`), so a bank's books balance on their
own and the banks' trial balances add up, account by account, to the platform's consolidated one.
`check_books` and `reconcile_books` return one section per bank (or the one bank asked for) and, for
every bank, the consolidated section; the CLI prints them.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date

from app.domain.errors import NotFound
from app.integrations.core_banking import CoreBanking
from app.models import Bank
from app.services.lending.ledger import Mismatch, TrialLine, ledger_check, trial_balance
from app.services.lending.reconcile import Break, reconcile_bank


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
