"""Each member bank keeps its own books (issue 15): the day's close posts every bank's batch to that bank's books,
each bank's books balance on their own, and the banks' trial balances add up to the consolidated one."""

from __future__ import annotations

import uuid
from collections import Counter
from datetime import timedelta

import pytest

from app.models import Installment, LedgerEntry, LedgerTransaction, Loan, Product
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.ledger import ledger_check, trial_balance
from app.services import business_date
from tests.factories import customer_with_line
from tests.factories.banks import YC_BRANCH, first_bank, second_bank
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_classification_state import FAILS, PAYS, SHORT, _until

pytestmark = pytest.mark.postgres


async def loan_at(vault, core, *, branch_code: str, sequence: int, card: str) -> Loan:
    """A loan of the bank whose branch `branch_code` is (its line on that bank's BIANLI)."""
    branch_bank = (await second_bank()).bank.id if branch_code == YC_BRANCH else (await first_bank()).id
    others = Product.filter(code="BIANLI", is_active=True).exclude(bank_id=branch_bank)
    hidden = list(await others.values_list("id", flat=True))
    await Product.filter(id__in=hidden).update(is_active=False)  # the line takes this bank's product, whichever lookup is in place
    try:
        _, line = await customer_with_line(vault, card=card, branch_code=branch_code, sequence=sequence)
    finally:
        await Product.filter(id__in=hidden).update(is_active=True)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)


async def two_banks_with_a_loan_each(vault, core) -> tuple:
    yc = await second_bank()
    first = await first_bank()
    a = await loan_at(vault, core, branch_code="XF010", sequence=357, card=FAILS)  # goes overdue, then non-accrual
    b = await loan_at(vault, core, branch_code=YC_BRANCH, sequence=358, card=PAYS)  # pays by auto-debit
    return first, yc.bank, a, b


async def test_the_days_close_posts_each_banks_batches_to_its_own_books_and_each_balances(bank, core, vault):
    # given two banks, a loan at each (bank #1's goes unpaid, the second bank's pays)
    first, second, a, b = await two_banks_with_a_loan_each(vault, core)
    due = (await Installment.get(loan_id=a.id, number=1)).due_on
    # when the platform's day close runs past the first due date (ledger-check after each day)
    await _until(core, vault, due + timedelta(days=6), SHORT)
    # then each batch of each day went once to each bank's books
    day = await business_date.current() - timedelta(days=1)  # the last day closed: bank #1's loan is non-accrual by then
    per_bank = Counter((t.kind, t.bank_id) for t in await LedgerTransaction.filter(business_on=day, loan_id=None))
    for kind in ("accrual", "interest_due", "auto_debit", "penalty", "non_accrual"):
        assert per_bank[(kind, first.id)] == 1 and per_bank[(kind, second.id)] == 1, kind
    # and a loan's lines are only in its own bank's books
    for loan, books in ((a, first.id), (b, second.id)):
        assert {e.transaction.bank_id for e in await LedgerEntry.filter(loan_id=loan.id).prefetch_related("transaction")} == {books}
    b_lines = {e.loan_id for e in await LedgerEntry.filter(transaction__bank_id=second.id, loan_id__not_isnull=True)}
    assert b_lines == {b.id}
    # the second bank earned interest and was paid; bank #1's unpaid loan went off the balance sheet in its own books
    income_b = sum(e.credit_fen - e.debit_fen for e in await LedgerEntry.filter(transaction__bank_id=second.id, account="interest_income"))
    assert income_b > 0
    assert await LedgerEntry.filter(transaction__bank_id=first.id, account="off_interest", loan_id=a.id).exists()
    assert not await LedgerEntry.filter(transaction__bank_id=second.id, account__startswith="off_").exists()
    # each bank's books balance on their own and pass ledger-check alone
    today = await business_date.current() - timedelta(days=1)
    for bank_id in (first.id, second.id):
        lines = await trial_balance(bank_id)
        assert sum(t.debit_fen for t in lines) == sum(t.credit_fen for t in lines) > 0
        assert await ledger_check(today=today, bank_id=bank_id) == []


async def test_per_bank_trial_balances_add_up_to_the_consolidated_one(bank, core, vault):
    # given two banks with a loan each, after a few days' close
    first, second, a, _b = await two_banks_with_a_loan_each(vault, core)
    due = (await Installment.get(loan_id=a.id, number=1)).due_on
    await _until(core, vault, due + timedelta(days=2))
    # when the trial balance is drawn per bank and consolidated
    consolidated = {t.account: (t.debit_fen, t.credit_fen) for t in await trial_balance()}
    summed: dict[str, tuple[int, int]] = {}
    for bank_id in (first.id, second.id):
        for t in await trial_balance(bank_id):
            d, c = summed.get(t.account, (0, 0))
            summed[t.account] = (d + t.debit_fen, c + t.credit_fen)
    # then account by account the banks add up to the platform
    assert summed == consolidated
    assert sum(d for d, _ in consolidated.values()) == sum(c for _, c in consolidated.values())


async def test_a_loan_line_in_another_banks_books_is_a_ledger_check_problem_of_the_loans_bank(bank, core, vault):
    # given a loan of the second bank whose disbursement was (wrongly) booked to bank #1
    first, second, _a, b = await two_banks_with_a_loan_each(vault, core)
    txn = await LedgerTransaction.get(loan_id=b.id, kind="disbursement")
    await LedgerTransaction.filter(id=txn.id).update(bank_id=first.id)
    # when ledger-check runs per bank
    today = await business_date.current() - timedelta(days=1)
    theirs = await ledger_check(today=today, bank_id=second.id)
    # then the second bank's check names it; bank #1's books show only the clearing it now wrongly holds, nothing of the loan
    assert [(p.loan_id, p.bank_id) for p in theirs if p.what.startswith("lines in another bank")] == [(str(b.id), str(second.id))]
    assert all(p.loan_id != str(b.id) for p in await ledger_check(today=today, bank_id=first.id))


async def test_the_close_reports_each_banks_figures_of_the_day(bank, core, vault):
    from app.services.lending.books import bank_figures

    # given two banks with a loan each, closed through the first due date (the second bank's loan paid by auto-debit)
    _first, second, a, b = await two_banks_with_a_loan_each(vault, core)
    due = (await Installment.get(loan_id=a.id, number=1)).due_on
    await _until(core, vault, due + timedelta(days=2))
    # when the figures of the due date are drawn
    figures = {f.code: f for f in await bank_figures(due)}
    # then the second bank's are its one loan's, from its own books
    theirs = figures[second.code]
    first = await Installment.get(loan_id=b.id, number=1)
    assert (theirs.active_loans, theirs.overdue_loans) == (1, 0)
    assert theirs.outstanding_fen == (await Loan.get(id=b.id)).outstanding_principal_fen
    assert theirs.collected_fen == first.principal_fen + first.interest_fen
    assert theirs.accrued_fen > 0 and theirs.penalty_fen == 0
    # and bank #1's unpaid loan is overdue, charged a penalty the next day in its own books
    after = {f.code: f for f in await bank_figures(due + timedelta(days=1))}
    assert after["14102301"].overdue_loans == 1 and after["14102301"].penalty_fen > 0 and after["14102301"].collected_fen == 0
    assert after[second.code].overdue_loans == 0 and after[second.code].penalty_fen == 0
