import pytest

from app.domain.ledger import Account, Posting, UnbalancedTransaction, check_balanced, signed


def test_balanced_transaction_returns_its_total():
    postings = [Posting(Account.LOAN_PRINCIPAL, debit_fen=500), Posting(Account.CLEARING, credit_fen=500)]
    assert check_balanced(postings) == 500


def test_unbalanced_transaction_is_refused():
    with pytest.raises(UnbalancedTransaction):
        check_balanced([Posting(Account.LOAN_PRINCIPAL, debit_fen=500), Posting(Account.CLEARING, credit_fen=499)])


@pytest.mark.parametrize("bad", [{"debit_fen": -1}, {"credit_fen": -1}, {"debit_fen": 1, "credit_fen": 1}])
def test_a_posting_is_one_non_negative_side(bad):
    with pytest.raises(ValueError):
        Posting(Account.CLEARING, **bad)


def test_signed_swaps_sides_for_negative_amounts():
    assert signed(-30, Account.INTEREST_RECEIVABLE, Account.INTEREST_INCOME) == [
        Posting(Account.INTEREST_INCOME, debit_fen=30),
        Posting(Account.INTEREST_RECEIVABLE, credit_fen=30),
    ]
    assert signed(0, Account.INTEREST_RECEIVABLE, Account.INTEREST_INCOME) == []
