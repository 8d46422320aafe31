"""Non-accrual (非应计, issue 11 fault 11): past the policy's days overdue a loan's interest, penalty and compound
stop being income, move off the balance sheet (表外), and what is collected is income when received."""

import uuid
from datetime import timedelta

from app.domain.classification import ClassificationPolicy, DpdMapping, LoanClass
from app.models import BankCard, Installment, LedgerEntry, Loan, LoanRisk
from app.services import business_date
from app.services.lending.classification import decide_upgrade
from app.services.lending.ledger import ledger_check
from app.services.lending.repayment import repay
from app.services.customers.identifiers import card_fields
from tests.services.lending.test_classification_state import PAYS, _actor, _days, _loan, _owed, _until

INCOME = ("interest_income", "penalty_income", "compound_income")


async def _balance(*accounts, loan_id=None) -> int:
    query = LedgerEntry.filter(account__in=accounts)
    if loan_id is not None:
        query = query.filter(loan_id=loan_id)
    return sum(e.debit_fen - e.credit_fen for e in await query)


async def _income() -> int:
    return -await _balance(*INCOME)


async def _books(loan_id, through):
    loan = await Loan.get(id=loan_id)
    interest = sum(i.interest_fen - i.paid_interest_fen for i in await Installment.filter(loan_id=loan_id, due_on__lte=through))
    return interest, loan.penalty_fen, loan.compound_fen, loan.accrued_interest_fen


async def test_interest_stops_being_income_after_90_days_and_is_recognised_when_collected(bank, core, vault):
    loan = await _loan(core, vault)  # the only loan: portfolio income is this loan's
    first = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, first.due_on + timedelta(days=91))  # 90 days past due: still accruing
    assert not await LoanRisk.filter(loan_id=loan.id, non_accrual_since__not_isnull=True).exists()
    income_before = await _income()
    await _days(core, vault, 1)  # 91 days past due: non-accrual
    day = await business_date.current() - timedelta(days=1)
    risk = await LoanRisk.get(loan_id=loan.id)
    assert risk.non_accrual_since == day
    interest, penalty, compound, accrued = await _books(loan.id, day)
    assert interest > 0 and penalty > 0 and compound > 0 and accrued > 0
    # everything owed and unpaid is off the balance sheet, nothing of it on it
    assert (risk.off_interest_fen, risk.off_penalty_fen, risk.off_compound_fen, risk.off_accrued_fen) == (interest, penalty, compound, accrued)
    assert await _balance("interest_receivable", loan_id=loan.id) == 0
    assert await _balance("penalty_receivable", "compound_receivable", loan_id=loan.id) == 0
    assert await _balance("accrued_interest") == 0
    assert await _balance("off_interest", loan_id=loan.id) == interest
    assert await _balance("off_accrued_interest") == accrued
    assert await _balance("off_balance_contra") == -(interest + penalty + compound + accrued)
    # the income ever recognised is what was collected (nothing: the card has no money)
    assert await _income() == 0 < income_before
    await _days(core, vault, 40)  # a due date passes: its interest falls due off-balance too
    assert await _income() == 0
    day = await business_date.current() - timedelta(days=1)
    risk = await LoanRisk.get(loan_id=loan.id)
    assert (risk.off_interest_fen, risk.off_penalty_fen, risk.off_compound_fen, risk.off_accrued_fen) == await _books(loan.id, day)
    assert (await Loan.get(id=loan.id)).classification == LoanClass.SUBSTANDARD
    # a collection is income the day it is received
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    today = await business_date.current()
    first = await Installment.get(loan_id=loan.id, number=1)
    owed = await _owed(loan.id, today, numbers={1})
    await repay(actor=(await _actor("officer1")), loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    assert await _income() == first.interest_fen + first.penalty_fen + first.compound_fen
    assert await ledger_check(today=today - timedelta(days=1)) == []
    risk = await LoanRisk.get(loan_id=loan.id)
    assert risk.off_interest_fen == (await _books(loan.id, today - timedelta(days=1)))[0]


async def test_an_approved_upgrade_resumes_accrual_and_brings_the_accrued_share_back(bank, core, vault):
    policy = ClassificationPolicy(mapping=DpdMapping(1, 4, 8, 12), nonaccrual_after_days=3, observation_months=1, observation_periods=1)
    loan = await _loan(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, first.due_on + timedelta(days=5), policy)
    assert (await LoanRisk.get(loan_id=loan.id)).non_accrual_since == first.due_on + timedelta(days=4)
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    today = await business_date.current()
    collected = await _income()
    owed = await _owed(loan.id, today)
    await repay(actor=(await _actor("officer1")), loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    assert await _income() == collected + first.interest_fen + first.penalty_fen + first.compound_fen
    second = await Installment.get(loan_id=loan.id, number=2)
    await _until(core, vault, max(today + timedelta(days=32), second.due_on + timedelta(days=1)), policy)
    from app.models import ClassUpgradeProposal

    proposal = await ClassUpgradeProposal.get(loan_id=loan.id, status="pending")
    today = await business_date.current()
    income = await _income()
    accrued = (await Loan.get(id=loan.id)).accrued_interest_fen
    assert (await LoanRisk.get(loan_id=loan.id)).off_accrued_fen == accrued > 0
    await decide_upgrade(actor=await _actor("approver"), proposal_id=proposal.id, approve=True, today=today)
    risk = await LoanRisk.get(loan_id=loan.id)
    assert risk.non_accrual_since is None and (risk.off_interest_fen, risk.off_penalty_fen, risk.off_compound_fen, risk.off_accrued_fen) == (0, 0, 0, 0)
    assert await _income() == income + accrued  # accruing again: the period's accrued interest is income
    assert await _balance("off_interest", "off_penalty", "off_compound", "off_accrued_interest", "off_balance_contra") == 0
    await _days(core, vault, 3, policy)
    assert await _income() > income + accrued  # and the days after accrue as usual
