"""Loan-loss allowance (贷款损失准备), write-off (核销) and recovery (核销后收回): the figures and the postings, pure.

The allowance is kept at Σ (balance of a class × that class's rate) per bank; each month the difference to the
books is provided (Dr 信用减值损失 / Cr 贷款损失准备, or the reverse when it falls). A written-off loan leaves the
balance sheet against the allowance (Dr 贷款损失准备 / Cr 贷款本金), every interest receivable is reversed out of
income (or out of the off-balance accounts of a non-accrual loan) and what the borrower still owes is kept off the
balance sheet (账销案存). A recovery pays the written-off principal first, then the interest: recovered principal
restores the allowance, recovered interest is interest income, and the off-balance record shrinks by both.
docs/lending.md has the worked example, tests/domain/test_allowance.py its table.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal

from app.domain.classification import LoanClass, is_non_performing
from app.domain.ledger import Account, Posting, signed
from app.domain.money import round_div

PPM = 1_000_000
# 《贷款损失准备计提指引》: 一般准备 1 %, 专项准备 关注 2 %, 次级 25 %, 可疑 50 %, 损失 100 % (the settings may change them)
DEFAULT_RATES_PPM: dict[LoanClass, int] = {
    LoanClass.NORMAL: 10_000,
    LoanClass.SPECIAL_MENTION: 20_000,
    LoanClass.SUBSTANDARD: 250_000,
    LoanClass.DOUBTFUL: 500_000,
    LoanClass.LOSS: 1_000_000,
}


@dataclass(frozen=True, slots=True)
class AllowancePolicy:
    rates_ppm: Mapping[LoanClass, int]
    write_off_classes: frozenset[LoanClass] = frozenset({LoanClass.LOSS})  # only these classes may be written off
    write_off_min_days_past_due: int = 0  # and only this many days past due or more

    @classmethod
    def from_settings(cls, rates: Mapping[str, int], *, classes: list[str] | None = None, min_days_past_due: int = 0) -> AllowancePolicy:
        merged = {**DEFAULT_RATES_PPM, **{LoanClass(k): int(v) for k, v in rates.items()}}
        if any(not 0 <= v <= PPM for v in merged.values()):
            raise ValueError("an allowance rate is between 0 and 1,000,000 ppm")
        return cls(merged, frozenset(LoanClass(c) for c in classes) if classes else frozenset({LoanClass.LOSS}), min_days_past_due)


DEFAULT_POLICY = AllowancePolicy(DEFAULT_RATES_PPM)


def required_allowance(balances_by_class: Mapping[LoanClass | str, int], rates_ppm: Mapping[LoanClass, int]) -> int:
    """Σ class balance × rate, each class rounded half-up to the fen once."""
    return sum(round_div(balance * rates_ppm[LoanClass(cls)], PPM, ROUND_HALF_UP) for cls, balance in balances_by_class.items())


def provision_postings(required_fen: int, booked_fen: int) -> list[Posting]:
    """The month's provision: the allowance moves from what the books hold to what is required."""
    return signed(required_fen - booked_fen, Account.PROVISION_EXPENSE, Account.LOAN_LOSS_ALLOWANCE)


def coverage_ratio(allowance_fen: int, npl_fen: int) -> Decimal | None:
    """拨备覆盖率 = allowance / non-performing loans (None when there are none), six places half-up."""
    if npl_fen <= 0:
        return None
    return Decimal(round_div(allowance_fen * PPM, npl_fen, ROUND_HALF_UP)).scaleb(-6)


@dataclass(frozen=True, slots=True)
class LoanOwed:
    """What a loan carries on the day it is written off (each component in fen)."""

    principal: int
    interest_receivable: int = 0  # on-balance 应收利息
    penalty_receivable: int = 0
    compound_receivable: int = 0
    accrued_on: int = 0  # on-balance 应计利息 (accrued, not yet due)
    off_interest: int = 0  # 表外 (non-accrual)
    off_penalty: int = 0
    off_compound: int = 0
    off_accrued: int = 0

    @property
    def interest_total(self) -> int:
        """Every kind of interest the borrower still owes: kept off the balance sheet after the write-off."""
        return (self.interest_receivable + self.penalty_receivable + self.compound_receivable + self.accrued_on
                + self.off_interest + self.off_penalty + self.off_compound + self.off_accrued)


def write_off_shortfall(principal_fen: int, allowance_fen: int) -> int:
    """What must be provided first so the allowance covers the principal written off."""
    return max(0, principal_fen - allowance_fen)


def write_off_postings(owed: LoanOwed, *, allowance_fen: int) -> list[Posting]:
    """The write-off's one balanced transaction (per-loan lines carry the loan; portfolio lines do not)."""
    p: list[Posting] = []
    p += signed(write_off_shortfall(owed.principal, allowance_fen), Account.PROVISION_EXPENSE, Account.LOAN_LOSS_ALLOWANCE)
    p += signed(owed.principal, Account.LOAN_LOSS_ALLOWANCE, Account.LOAN_PRINCIPAL)
    p += signed(owed.interest_receivable, Account.INTEREST_INCOME, Account.INTEREST_RECEIVABLE)
    p += signed(owed.penalty_receivable, Account.PENALTY_INCOME, Account.PENALTY_RECEIVABLE)
    p += signed(owed.compound_receivable, Account.COMPOUND_INCOME, Account.COMPOUND_RECEIVABLE)
    p += signed(owed.accrued_on, Account.INTEREST_INCOME, Account.ACCRUED_INTEREST)
    p += signed(owed.off_interest, Account.OFF_BALANCE_CONTRA, Account.OFF_INTEREST)
    p += signed(owed.off_penalty, Account.OFF_BALANCE_CONTRA, Account.OFF_PENALTY)
    p += signed(owed.off_compound, Account.OFF_BALANCE_CONTRA, Account.OFF_COMPOUND)
    p += signed(owed.off_accrued, Account.OFF_BALANCE_CONTRA, Account.OFF_ACCRUED_INTEREST)
    p += signed(owed.principal, Account.WRITTEN_OFF_PRINCIPAL, Account.OFF_BALANCE_CONTRA)
    p += signed(owed.interest_total, Account.WRITTEN_OFF_INTEREST, Account.OFF_BALANCE_CONTRA)
    return p


@dataclass(frozen=True, slots=True)
class RecoverySplit:
    principal: int
    interest: int


def split_recovery(amount_fen: int, *, principal_left: int, interest_left: int) -> RecoverySplit:
    """Principal first, then interest; never more than is still written off (the caller refuses the excess)."""
    if amount_fen <= 0 or amount_fen > principal_left + interest_left:
        raise ValueError("a recovery is positive and at most what is still written off")
    principal = min(amount_fen, principal_left)
    return RecoverySplit(principal, amount_fen - principal)


def recovery_postings(split: RecoverySplit) -> list[Posting]:
    """Money in from the card: principal back into the allowance, interest into income; the off-balance record shrinks."""
    p = [Posting(Account.CLEARING, debit_fen=split.principal + split.interest)]
    p += [Posting(Account.LOAN_LOSS_ALLOWANCE, credit_fen=split.principal)] if split.principal else []
    p += [Posting(Account.INTEREST_INCOME, credit_fen=split.interest)] if split.interest else []
    p += signed(split.principal, Account.OFF_BALANCE_CONTRA, Account.WRITTEN_OFF_PRINCIPAL)
    p += signed(split.interest, Account.OFF_BALANCE_CONTRA, Account.WRITTEN_OFF_INTEREST)
    return p


def npl_balances(balances_by_class: Mapping[LoanClass | str, int]) -> int:
    return sum(b for c, b in balances_by_class.items() if is_non_performing(c))
