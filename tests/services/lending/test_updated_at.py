"""`updated_at` on customers, lines, loans and installments (issue 16): business events move it, the daily accrual does not."""

import uuid
from datetime import UTC, datetime, timedelta

from app.domain.classification import ClassificationPolicy, DpdMapping
from app.models import CreditLine, Customer, Installment, Loan
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.repayment import repay
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY

FAILS = "6217000010000002"  # sandbox: insufficient funds (no auto-debit)
PAYS = "6217000010009999"
LONG_AGO = datetime(2020, 1, 1, tzinfo=UTC)
SHORT = ClassificationPolicy(mapping=DpdMapping(1, 4, 8, 12), nonaccrual_after_days=30, observation_months=1, observation_periods=2)


async def _loan(core, vault, card=FAILS):
    customer, line = await customer_with_line(vault, card=card)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    return customer, line, loan


async def _age(customer, line, loan) -> None:
    """Every row last changed long ago, so that any move shows."""
    await Customer.filter(id=customer.id).update(updated_at=LONG_AGO)
    await CreditLine.filter(id=line.id).update(updated_at=LONG_AGO)
    await Loan.filter(id=loan.id).update(updated_at=LONG_AGO)
    await Installment.filter(loan_id=loan.id).update(updated_at=LONG_AGO)


async def _stamps(customer, line, loan) -> dict:
    return {
        "customer": (await Customer.get(id=customer.id)).updated_at, "line": (await CreditLine.get(id=line.id)).updated_at,
        "loan": (await Loan.get(id=loan.id)).updated_at,
        "installments": {i.number: i.updated_at for i in await Installment.filter(loan_id=loan.id)},
    }


async def test_new_rows_carry_updated_at_and_a_drawdown_moves_the_line(bank, core, vault):
    customer, line, loan = await _loan(core, vault)
    stamps = await _stamps(customer, line, loan)
    assert stamps["loan"] is not None and all(stamps["installments"].values()) and stamps["customer"] is not None
    assert stamps["line"] >= (await Loan.get(id=loan.id)).created_at - timedelta(seconds=1)


async def test_an_accrual_only_end_of_day_leaves_updated_at_alone(bank, core, vault):
    customer, line, loan = await _loan(core, vault)
    await _age(customer, line, loan)
    before = await Loan.get(id=loan.id)
    await run_eod(core=core, vault=vault)  # nothing falls due: the day's interest accrues, nothing else happens
    after = await Loan.get(id=loan.id)
    assert after.accrued_interest_fen > before.accrued_interest_fen
    stamps = await _stamps(customer, line, loan)
    assert stamps == {"customer": LONG_AGO, "line": LONG_AGO, "loan": LONG_AGO, "installments": dict.fromkeys(stamps["installments"], LONG_AGO)}


async def test_overdue_and_a_class_change_move_it_and_days_past_due_alone_do_not(bank, core, vault):
    customer, line, loan = await _loan(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    # the first row fell due before today: tonight it becomes overdue and the loan 关注 (special mention, DPD ≥ 1)
    await Installment.filter(id=first.id).update(due_on=TODAY - timedelta(days=1))
    await _age(customer, line, loan)
    await run_eod(core=core, vault=vault, policy=SHORT)
    after = await Loan.get(id=loan.id)
    assert (after.classification, after.days_past_due) == ("special_mention", 1)
    stamps = await _stamps(customer, line, loan)
    assert stamps["loan"] > LONG_AGO and stamps["installments"][1] > LONG_AGO
    assert stamps["installments"][2] == LONG_AGO and stamps["customer"] == LONG_AGO and stamps["line"] == LONG_AGO
    await _age(customer, line, loan)
    await run_eod(core=core, vault=vault, policy=SHORT)  # DPD 2, still 关注: penalty accrues, nothing else
    again = await Loan.get(id=loan.id)
    assert (again.classification, again.days_past_due) == ("special_mention", 2) and again.penalty_fen > after.penalty_fen
    assert (await _stamps(customer, line, loan))["loan"] == LONG_AGO
    await run_eod(core=core, vault=vault, policy=SHORT)  # DPD 3: still 关注
    assert (await _stamps(customer, line, loan))["loan"] == LONG_AGO
    await run_eod(core=core, vault=vault, policy=SHORT)  # DPD 4: 次级 (substandard), a class change
    moved = await Loan.get(id=loan.id)
    assert moved.classification == "substandard" and moved.updated_at > LONG_AGO


async def test_a_repayment_moves_the_loan_its_rows_and_the_line(bank, core, vault):
    customer, line, loan = await _loan(core, vault, card=PAYS)
    first = await Installment.get(loan_id=loan.id, number=1)
    await Installment.filter(id=first.id).update(due_on=TODAY)  # due today: the borrower pays it at the counter
    await _age(customer, line, loan)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=first.principal_fen + first.interest_fen, idempotency_key=uuid.uuid4(), today=TODAY,
                core=core, vault=vault)
    stamps = await _stamps(customer, line, loan)
    assert stamps["loan"] > LONG_AGO and stamps["line"] > LONG_AGO and stamps["installments"][1] > LONG_AGO
    assert stamps["installments"][2] == LONG_AGO and stamps["customer"] == LONG_AGO
