"""The worked example of docs/lending.md "Allowance, write-off and recovery", figure by figure, to the fen."""

from decimal import Decimal

import pytest

from app.domain.allowance import (
    DEFAULT_RATES_PPM,
    LoanOwed,
    coverage_ratio,
    provision_postings,
    recovery_postings,
    required_allowance,
    split_recovery,
    write_off_postings,
)
from app.domain.classification import LoanClass, npl_ratio
from app.domain.ledger import Account, check_balanced

# the bank's book at the month end (docs/lending.md)
BALANCES = {
    LoanClass.NORMAL: 9_500_000_00,
    LoanClass.SPECIAL_MENTION: 300_000_00,
    LoanClass.SUBSTANDARD: 120_000_00,
    LoanClass.DOUBTFUL: 50_000_00,
    LoanClass.LOSS: 30_000_00,
}
# the 损失 loan: ¥30,000.00 principal, non-accrual: ¥812.47 interest, ¥95.20 penalty, ¥3.18 compound due off-balance,
# ¥56.33 accrued off-balance
OWED = LoanOwed(principal=30_000_00, off_interest=812_47, off_penalty=95_20, off_compound=3_18, off_accrued=56_33)


def _net(postings, account):
    return sum(p.debit_fen - p.credit_fen for p in postings if p.account == account)


def test_the_months_provision():
    assert required_allowance(BALANCES, DEFAULT_RATES_PPM) == 95_000_00 + 6_000_00 + 30_000_00 + 25_000_00 + 30_000_00 == 186_000_00
    postings = provision_postings(186_000_00, 180_000_00)
    assert check_balanced(postings) == 6_000_00
    assert _net(postings, Account.PROVISION_EXPENSE) == 6_000_00 and _net(postings, Account.LOAN_LOSS_ALLOWANCE) == -6_000_00
    assert _net(provision_postings(170_000_00, 180_000_00), Account.LOAN_LOSS_ALLOWANCE) == 10_000_00  # a release
    assert provision_postings(1, 1) == []


def test_coverage_and_npl_ratio_before_and_after():
    assert coverage_ratio(186_000_00, 200_000_00) == Decimal("0.930000")  # 93.00 %
    assert npl_ratio(BALANCES) == Decimal("0.020000")  # 200,000 / 10,000,000
    after = {**BALANCES, LoanClass.LOSS: 0}
    assert npl_ratio(after) == Decimal("0.017051")  # 170,000 / 9,970,000
    assert coverage_ratio(156_000_00, 170_000_00) == Decimal("0.917647")
    assert coverage_ratio(1, 0) is None


def test_the_write_off():
    postings = write_off_postings(OWED, allowance_fen=186_000_00)
    assert check_balanced(postings) == 30_000_00 + 967_18 + 30_000_00 + 967_18
    assert OWED.interest_total == 967_18
    assert _net(postings, Account.LOAN_LOSS_ALLOWANCE) == 30_000_00
    assert _net(postings, Account.LOAN_PRINCIPAL) == -30_000_00
    assert [_net(postings, a) for a in (Account.OFF_INTEREST, Account.OFF_PENALTY, Account.OFF_COMPOUND, Account.OFF_ACCRUED_INTEREST)] == \
        [-812_47, -95_20, -3_18, -56_33]
    assert _net(postings, Account.WRITTEN_OFF_PRINCIPAL) == 30_000_00
    assert _net(postings, Account.WRITTEN_OFF_INTEREST) == 967_18
    assert _net(postings, Account.OFF_BALANCE_CONTRA) == 967_18 - 30_000_00 - 967_18
    assert _net(postings, Account.PROVISION_EXPENSE) == 0  # the allowance covers it


def test_a_write_off_above_the_allowance_provides_the_shortfall_first():
    postings = write_off_postings(OWED, allowance_fen=25_000_00)
    assert _net(postings, Account.PROVISION_EXPENSE) == 5_000_00
    assert _net(postings, Account.LOAN_LOSS_ALLOWANCE) == 30_000_00 - 5_000_00


def test_on_balance_receivables_are_reversed_out_of_income():
    owed = LoanOwed(principal=10_000_00, interest_receivable=120_00, penalty_receivable=5_00, compound_receivable=1, accrued_on=33_33)
    postings = write_off_postings(owed, allowance_fen=10_000_00)
    assert _net(postings, Account.INTEREST_INCOME) == 120_00 + 33_33
    assert _net(postings, Account.PENALTY_INCOME) == 5_00 and _net(postings, Account.COMPOUND_INCOME) == 1
    assert _net(postings, Account.WRITTEN_OFF_INTEREST) == 120_00 + 5_00 + 1 + 33_33


@pytest.mark.parametrize(("amount", "principal", "interest"), [
    (12_000_00, 12_000_00, 0),  # first recovery: principal only
    (18_500_00, 18_000_00, 500_00),  # second: the rest of the principal, then interest
    (467_18, 0, 467_18),  # third: the last of the interest
])
def test_recoveries_pay_principal_first(amount, principal, interest):
    paid = {12_000_00: (0, 0), 18_500_00: (12_000_00, 0), 467_18: (30_000_00, 500_00)}[amount]
    split = split_recovery(amount, principal_left=30_000_00 - paid[0], interest_left=967_18 - paid[1])
    assert (split.principal, split.interest) == (principal, interest)
    postings = recovery_postings(split)
    assert check_balanced(postings) == amount + amount
    assert _net(postings, Account.CLEARING) == amount
    assert _net(postings, Account.LOAN_LOSS_ALLOWANCE) == -principal
    assert _net(postings, Account.INTEREST_INCOME) == -interest
    assert _net(postings, Account.WRITTEN_OFF_PRINCIPAL) == -principal and _net(postings, Account.WRITTEN_OFF_INTEREST) == -interest


def test_a_recovery_beyond_what_is_written_off_is_refused():
    with pytest.raises(ValueError):
        split_recovery(967_19, principal_left=0, interest_left=967_18)
