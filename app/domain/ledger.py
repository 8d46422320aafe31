"""Double-entry postings: accounts, and the rule that every transaction balances.

Each loan has its own sub-ledger lines (entries carry the loan id) for principal,
receivables and clearing; accrued interest and income are kept per portfolio.
Assets are debit-normal; income is credit-normal.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from enum import StrEnum


class Account(StrEnum):
    LOAN_PRINCIPAL = "loan_principal"  # 贷款本金
    ACCRUED_INTEREST = "accrued_interest"  # 应计利息 (portfolio level: accrued, not yet due)
    INTEREST_RECEIVABLE = "interest_receivable"  # 应收利息
    PENALTY_RECEIVABLE = "penalty_receivable"  # 应收罚息
    COMPOUND_RECEIVABLE = "compound_receivable"  # 应收复利
    INTEREST_INCOME = "interest_income"  # 利息收入
    PENALTY_INCOME = "penalty_income"  # 罚息收入
    COMPOUND_INCOME = "compound_income"  # 复利收入
    CLEARING = "clearing"  # 清算往来 (money to / from the customer's card)
    SUSPENSE = "suspense"  # 暂收款 (per loan, credit-normal): money the core took that nothing was due for; refunded or applied
    # Off-balance (表外) memorandum accounts of non-accrual (非应计) loans: owed, not recognised as income
    OFF_INTEREST = "off_interest"  # 表外应收利息 (per loan)
    OFF_PENALTY = "off_penalty"  # 表外应收罚息 (per loan)
    OFF_COMPOUND = "off_compound"  # 表外应收复利 (per loan)
    OFF_ACCRUED_INTEREST = "off_accrued_interest"  # 表外应计利息 (portfolio; a loan's share is loan_risk.off_accrued_fen)
    OFF_BALANCE_CONTRA = "off_balance_contra"  # 表外科目对转 (portfolio: the other side of every off-balance line)
    # Loan-loss allowance and write-off (docs/lending.md "Allowance, write-off and recovery")
    LOAN_LOSS_ALLOWANCE = "loan_loss_allowance"  # 贷款损失准备 (portfolio, credit-normal: a contra-asset)
    PROVISION_EXPENSE = "provision_expense"  # 信用减值损失 (portfolio, debit-normal: the monthly provision's expense)
    WRITTEN_OFF_PRINCIPAL = "written_off_principal"  # 表外: 已核销贷款本金 (per loan; 账销案存)
    WRITTEN_OFF_INTEREST = "written_off_interest"  # 表外: 已核销利息（含罚息、复利） (per loan)
    # 借新还旧: the new loan's principal pays the old loan's through this portfolio account, no cash; it nets to zero
    RENEWAL_TRANSFER = "renewal_transfer"  # 续贷转贷过渡 (portfolio)
    # Portfolio import (docs/import.md): each imported loan's opening balances are credited here, and each file's control
    # totals debited here against the old system's books, so it nets to zero exactly when the book matches the old system's
    MIGRATION_SUSPENSE = "migration_suspense"  # 迁移过渡科目 (portfolio)
    MIGRATION_LEGACY = "migration_legacy"  # 原系统移交 (portfolio: what the old system said the bank holds, by its control totals)


# Kept per portfolio, not per loan: daily accrual would otherwise add one line per loan per day
# (365 million rows a year at a million loans). A loan's accrued-not-due interest is its
# `accrued_interest_fen`; the sum of those equals this account's balance (ledger-check).
AGGREGATE_ACCOUNTS = frozenset({
    Account.ACCRUED_INTEREST, Account.INTEREST_INCOME, Account.PENALTY_INCOME, Account.COMPOUND_INCOME,
    Account.OFF_ACCRUED_INTEREST, Account.OFF_BALANCE_CONTRA, Account.LOAN_LOSS_ALLOWANCE, Account.PROVISION_EXPENSE,
    Account.RENEWAL_TRANSFER, Account.MIGRATION_SUSPENSE, Account.MIGRATION_LEGACY,
})


@dataclass(frozen=True, slots=True)
class Posting:
    account: Account
    debit_fen: int = 0
    credit_fen: int = 0

    def __post_init__(self) -> None:
        if min(self.debit_fen, self.credit_fen) < 0 or (self.debit_fen and self.credit_fen):
            raise ValueError("a posting is a non-negative debit or a non-negative credit")


class UnbalancedTransaction(ValueError):
    pass


def check_balanced(postings: Iterable[Posting]) -> int:
    """Raise unless debits equal credits; return the transaction's total."""
    postings = list(postings)
    debits = sum(p.debit_fen for p in postings)
    credits = sum(p.credit_fen for p in postings)
    if debits != credits:
        raise UnbalancedTransaction(f"debits {debits} != credits {credits}")
    return debits


def signed(amount_fen: int, debit: Account, credit: Account) -> list[Posting]:
    """Two postings moving `amount_fen` from `credit` to `debit`; a negative amount swaps the sides."""
    if amount_fen == 0:
        return []
    if amount_fen < 0:
        debit, credit, amount_fen = credit, debit, -amount_fen
    return [Posting(debit, debit_fen=amount_fen), Posting(credit, credit_fen=amount_fen)]
