"""Property-based tests of the lending books (issue 11): random loans of every method, payments, prepayments,
card failures, LPR changes and end-of-day runs; after every step the invariants of `invariants.py` hold
(the ledger balances, receivables equal unpaid installments, nothing negative, settled loans are zero,
DPD and class agree). A refused operation must change nothing.

Examples share one database (the demo bank): each example continues from the business date the
previous one reached, so later examples meet loans already overdue, non-performing or non-accrual.
`CUNXIN_PROPERTY_EXAMPLES` sets the number of examples (default 10); `CUNXIN_PROPERTY_TRACE=1` prints each plan.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import dataclass, field
from datetime import date, timedelta

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from app.domain.errors import DomainError
from app.models import BankCard, CreditLine, Installment, LedgerEntry, Loan, LprPublication
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
from app.sql import fetch
from tests.services.lending.invariants import violations

PAYS, FAILS = "6217000010009999", "6217000010000002"
METHODS = ("equal_installment", "equal_principal", "interest_first", "revolving")
EXAMPLES = int(os.environ.get("CUNXIN_PROPERTY_EXAMPLES", "10"))

draws = st.tuples(st.just("draw"), st.sampled_from(METHODS), st.integers(10, 300).map(lambda k: k * 100),
                  st.sampled_from((1, 3, 6, 12)), st.sampled_from(("fails", "toggles", "pays", "fails")))
repays = st.tuples(st.just("repay"), st.integers(0, 30), st.one_of(st.just(100), st.integers(1, 100)))  # percent of what is due
actions = st.one_of(  # repeated branches weigh the draw: payments and long waits are what reach the faults
    draws,
    st.tuples(st.just("eod"), st.integers(1, 12)),
    st.tuples(st.just("eod"), st.sampled_from((31, 62, 95))),  # long enough for 关注, 次级 and 非应计
    st.tuples(st.just("to_due"), st.integers(0, 30)),  # end-of-day until a loan's next due date (then pay on the day itself)
    repays, repays, repays,
    st.tuples(st.just("cure"), st.integers(0, 30), st.one_of(st.just(100), st.integers(1, 100))),  # the most overdue loan pays
    st.tuples(st.just("prepay"), st.integers(0, 30), st.one_of(st.none(), st.integers(1, 95))),
    st.tuples(st.just("card"), st.booleans()),
    st.tuples(st.just("lpr"), st.integers(-4, 4).map(lambda k: k * 10)),
)
plans = st.tuples(draws, st.lists(actions, min_size=2, max_size=9))


@dataclass
class Book:
    lines: dict[str, CreditLine]
    cards: dict[str, uuid.UUID]
    loans: list[uuid.UUID] = field(default_factory=list)
    log: list[str] = field(default_factory=list)


async def _book(vault) -> Book:
    lines, cards = {}, {}
    for kind, card, sequence in (("pays", PAYS, 357), ("fails", FAILS, 359), ("toggles", PAYS, 361)):
        customer, lines[kind] = await customer_with_line(vault, card=card, sequence=sequence, limit_yuan=300_000)
        cards[kind] = (await BankCard.get(customer_id=customer.id)).id
    return Book(lines, cards)


async def _refused_changes_nothing(book: Book, work, what: str) -> None:
    before = await LedgerEntry.all().count()
    try:
        await work()
    except DomainError as err:
        book.log.append(f"  refused {err.code}")
        assert await LedgerEntry.all().count() == before, f"{what} was refused ({err.code}) but posted to the ledger"


async def _days_to_due(book: Book, index: int, today: date) -> int:
    if not book.loans:
        return 1
    row = await Installment.filter(loan_id=book.loans[index % len(book.loans)], due_on__gte=today).exclude(status="paid").order_by("due_on").first()
    return min((row.due_on - today).days, 100) if row else 1


async def _step(book: Book, action: tuple, core, vault) -> bool:
    """Run one action; True when it closed business days (end-of-day invariants apply)."""
    today = await business_date.current()
    kind = action[0]
    if kind in ("eod", "to_due"):
        days = action[1] if kind == "eod" else await _days_to_due(book, action[1], today)
        for _ in range(days):
            await run_eod(core=core, vault=vault)
            closed = await business_date.current() - timedelta(days=1)
            problems = await violations(closed)
            problems += [f"reconcile {b.reference}: {b.what} core {b.core_fen} ledger {b.ledger_fen}" for b in await reconcile_day(closed, core=core)]
            assert problems == [], "\n".join([*book.log, *problems])
        return True
    if kind == "draw":
        _, method, amount, term, who = action

        async def work():
            loan = await draw_down(actor=SYSTEM, credit_line_id=book.lines[who].id, amount_fen=amount * 100, term_months=term,
                                   method=method, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
            book.loans.append(loan.id)

        await _refused_changes_nothing(book, work, "drawdown")
    elif kind == "card":
        await BankCard.filter(id=book.cards["toggles"]).update(**card_fields(vault, PAYS if action[1] else FAILS))
    elif kind == "lpr":
        latest = await LprPublication.all().order_by("-published_on").limit(2)
        rates = {p.tenor.value: p.rate_ppm + action[1] * 100 for p in latest}
        await _refused_changes_nothing(book, lambda: publish_lpr(
            actor=SYSTEM, published_on=today, one_year_ppm=rates["1y"], five_year_ppm=rates["5y"]), "LPR")
    elif book.loans:
        loan = await Loan.get(id=book.loans[action[1] % len(book.loans)])
        if kind == "cure":
            loan = await Loan.filter(id__in=book.loans, status=LoanStatus.ACTIVE).order_by("-days_past_due").first() or loan
        if loan.status != LoanStatus.ACTIVE:
            return False
        if kind in ("repay", "cure"):
            rows = await Installment.filter(loan_id=loan.id, due_on__lte=today).exclude(status="paid")
            owed = sum(i.principal_fen + i.interest_fen + i.penalty_fen + i.compound_fen - i.paid_principal_fen
                       - i.paid_interest_fen - i.paid_penalty_fen - i.paid_compound_fen for i in rows)
            amount = max(1, owed * action[2] // 100)
            card = await BankCard.get(id=loan.card_id)  # paid at the counter: from a card with money, whatever the bound one
            await BankCard.filter(id=card.id).update(**card_fields(vault, PAYS))
            await _refused_changes_nothing(book, lambda: repay(actor=SYSTEM, loan_id=loan.id, amount_fen=amount,
                                                               idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault), "repayment")
            await BankCard.filter(id=card.id).update(card_number_enc=card.card_number_enc, card_number_hash=card.card_number_hash,
                                                   card_number_masked=card.card_number_masked)
        else:
            amount = None if action[2] is None else max(100, loan.outstanding_principal_fen * action[2] // 100 // 100 * 100)
            await _refused_changes_nothing(book, lambda: prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=amount, payoff=amount is None,
                                                                idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault), "prepayment")
    return False


@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True,
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans)
async def test_random_books_keep_every_invariant_after_every_step(bank, core, vault, plan):
    book = getattr(test_random_books_keep_every_invariant_after_every_step, "book", None)
    if book is None or not await CreditLine.filter(id=book.lines["pays"].id).exists():
        book = await _book(vault)
        test_random_books_keep_every_invariant_after_every_step.book = book
    book.log = [f"from {await business_date.current()}"]
    first, rest = plan
    if os.environ.get("CUNXIN_PROPERTY_TRACE"):
        print(await business_date.current(), first, rest)
    for action in (first, *rest):
        book.log.append(f"{await business_date.current()} {action}")
        closed_days = await _step(book, action, core, vault)
        if not closed_days:
            problems = await violations(await business_date.current() - timedelta(days=1), after_eod=False)
            assert problems == [], "\n".join([*book.log, *problems])
    if os.environ.get("CUNXIN_PROPERTY_TRACE"):
        print("  classes:", await fetch("SELECT from_class, to_class, source, COUNT(*) AS n FROM loan_class_change GROUP BY from_class, to_class, source"))
