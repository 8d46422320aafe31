"""A year of business days over a mixed book (issue 11): every method, revolving, overdue into non-performing
and non-accrual, a cure, prepaid and paid-off loans, a repricing; the invariants (ledger-check included)
hold and the day reconciles with the core after every end-of-day."""

import uuid
from datetime import date, timedelta

import pytest

from app.domain.classification import LoanClass, is_non_performing
from app.models import AuditEvent, BankCard, Installment, Loan, LoanRisk
from app.domain.vocabulary import LoanStatus
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.pricing import publish_lpr
from app.services.lending.reconcile import reconcile_day
from app.services.lending.repayment import prepay, repay
from app.services.customers.identifiers import card_fields
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY
from tests.services.lending.invariants import violations

PAYS, FAILS = "6217000010009999", "6217000010000002"


async def _draw(core, vault, line, amount_fen, term, method, today):
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=term, method=method,
                           idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    return loan.id


async def _owed(loan_id, today) -> int:
    rows = await Installment.filter(loan_id=loan_id, due_on__lte=today).exclude(status="paid")
    return sum(i.principal_fen + i.interest_fen + i.penalty_fen + i.compound_fen - i.paid_principal_fen
               - i.paid_interest_fen - i.paid_penalty_fen - i.paid_compound_fen for i in rows)


@pytest.mark.slow
async def test_a_year_of_a_mixed_book_keeps_every_invariant_every_day(bank, core, vault):
    lines, cards = {}, {}
    for kind, card, sequence in (("pays", PAYS, 357), ("fails", FAILS, 359), ("toggles", PAYS, 361)):
        customer, lines[kind] = await customer_with_line(vault, card=card, sequence=sequence, limit_yuan=300_000)
        cards[kind] = (await BankCard.get(customer_id=customer.id)).id
    book = {
        "installment": await _draw(core, vault, lines["pays"], 1_200_000, 12, "equal_installment", TODAY),
        "principal": await _draw(core, vault, lines["pays"], 2_400_000, 12, "equal_principal", TODAY),
        "interest_first": await _draw(core, vault, lines["pays"], 900_000, 6, "interest_first", TODAY),
        "revolving": await _draw(core, vault, lines["pays"], 2_000_000, 12, "revolving", TODAY),
        "repriced": await _draw(core, vault, lines["pays"], 3_600_000, 24, "equal_installment", TODAY),
        "prepaid": await _draw(core, vault, lines["pays"], 1_800_000, 12, "equal_installment", TODAY),
        "paid_off": await _draw(core, vault, lines["pays"], 600_000, 6, "equal_principal", TODAY),
        "npl": await _draw(core, vault, lines["fails"], 1_200_000, 12, "equal_installment", TODAY),
        "npl_revolving": await _draw(core, vault, lines["fails"], 1_000_000, 12, "revolving", TODAY),
        "cured": await _draw(core, vault, lines["toggles"], 1_500_000, 12, "interest_first", TODAY),
    }
    rate_before = (await Loan.get(id=book["repriced"])).annual_rate_ppm

    async def on_day(n: int, today: date) -> None:
        if today == date(2026, 12, 21):
            await publish_lpr(actor=SYSTEM, published_on=today, one_year_ppm=29_000, five_year_ppm=34_000)
        if n == 20:
            await BankCard.filter(id=cards["toggles"]).update(**card_fields(vault, FAILS))
        if n == 70:
            await BankCard.filter(id=cards["toggles"]).update(**card_fields(vault, PAYS))
        if n == 45:
            await prepay(actor=SYSTEM, loan_id=book["prepaid"], amount_fen=500_000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
        if n == 100:
            await prepay(actor=SYSTEM, loan_id=book["paid_off"], amount_fen=None, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault, payoff=True)
        if n == 150:
            book["late_revolving"] = await _draw(core, vault, lines["pays"], 800_000, 6, "revolving", today)
        if n == 200:
            await prepay(actor=SYSTEM, loan_id=book["late_revolving"], amount_fen=300_000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
        if n == 250:  # the non-performing borrower pays part of the arrears from another card, then the card fails again
            await BankCard.filter(id=cards["fails"]).update(**card_fields(vault, PAYS))
            part = await _owed(book["npl"], today) // 3
            await repay(actor=SYSTEM, loan_id=book["npl"], amount_fen=part, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
            await BankCard.filter(id=cards["fails"]).update(**card_fields(vault, FAILS))

    for n in range(367):  # through 2027-11-28: the 12-month loans have matured
        today = await business_date.current()
        await on_day(n, today)
        await run_eod(core=core, vault=vault)
        problems = await violations(today)
        problems += [f"reconcile {b.reference}: {b.what} core {b.core_fen} ledger {b.ledger_fen}" for b in await reconcile_day(today, core=core)]
        assert problems == [], f"day {n} ({today}):\n" + "\n".join(problems)

    loans = {name: await Loan.get(id=loan_id) for name, loan_id in book.items()}
    assert loans["paid_off"].status == LoanStatus.SETTLED and loans["installment"].status == LoanStatus.SETTLED
    assert loans["repriced"].annual_rate_ppm < rate_before
    assert await AuditEvent.filter(action="loan.reprice", entity_id=str(book["repriced"])).exists()
    assert is_non_performing(loans["npl"].classification)  # the invariants prove no day moved it up by itself
    assert (await LoanRisk.get(loan_id=book["npl"])).non_accrual_since is not None
    assert loans["cured"].classification == LoanClass.NORMAL and loans["cured"].days_past_due == 0
