"""Property-based test of the loan's whole life (issue 17): random drawdowns, payments, prepayments, end-of-days
(with a short classification so loans reach 损失 within weeks), extensions, renewals, write-offs, recoveries and
reversals — each lifecycle operation proposed by one officer and approved by another through maker-checker.

After every step the invariants of `invariants.py` hold (ledger-check after end-of-day, balances, DPD and class), and
per component:
- principal: the loans' on-balance principal (ledger) + the written-off principal still off the books
  = everything disbursed − everything repaid − everything recovered (a renewal counts as both a repayment of the old
  loan and a disbursement of the new one; a reversed disbursement never happened);
- interest: what is still owed on the books (on- and off-balance receivables) + the written-off interest still off
  the books = what was charged − what was paid − what was recovered, for the interest posted to installments.
A refused operation (at proposal or at approval) changes nothing.

Examples share one database (like `test_properties.py`): each continues from the business date the previous reached.
`CUNXIN_PROPERTY_EXAMPLES` sets the number of examples (default 10); `CUNXIN_PROPERTY_TRACE=1` prints each plan.
"""

from __future__ import annotations

import os
import uuid
from dataclasses import replace
from datetime import UTC, date, datetime, timedelta

import pytest
from hypothesis import HealthCheck, Phase, given, settings
from hypothesis import strategies as st

from app.domain.allowance import DEFAULT_POLICY as ALLOWANCE
from app.domain.errors import DomainError
from app.domain.maker_checker import MakerCheckerPolicy
from app.domain.vocabulary import LoanStatus
from app.models import Bank, BankCard, CreditLine, Installment, LedgerEntry, LedgerTransaction, Loan, LoanWriteOff, RiskStrategyDecision
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.customers.identifiers import card_fields
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.extension import propose_extension
from app.services.lending.reconcile import reconcile_day
from app.services.lending.renewal import propose_renewal
from app.services.lending.repayment import prepay, repay
from app.services.lending.reversal import propose_reversal
from app.services.lending.write_off import propose_write_off, provide_allowance, record_recovery
from app.services.maker_checker.commands import approve
from app.sql import fetch
from tests.services.lending.invariants import violations
from tests.services.lending.test_classification_state import SHORT, _actor
from tests.services.lending.test_properties import FAILS, PAYS, Book, _book

EXAMPLES = int(os.environ.get("CUNXIN_PROPERTY_EXAMPLES", "10"))
MC = MakerCheckerPolicy()
WRITE_OFF = replace(ALLOWANCE, write_off_min_days_past_due=0)  # 损失 under the short classification is enough

draws = st.tuples(st.just("draw"), st.sampled_from(("equal_installment", "interest_first", "equal_principal")),
                  st.integers(10, 300).map(lambda k: k * 100), st.sampled_from((1, 3, 6)), st.sampled_from(("fails", "pays", "toggles")))
actions = st.one_of(
    draws,
    st.tuples(st.just("eod"), st.integers(1, 12)),
    st.tuples(st.just("eod"), st.sampled_from((20, 35))),  # long enough for 损失 under the short classification
    st.tuples(st.just("repay"), st.integers(0, 30), st.one_of(st.just(100), st.integers(1, 100))),
    st.tuples(st.just("prepay"), st.integers(0, 30), st.one_of(st.none(), st.integers(1, 95))),
    st.tuples(st.just("extend"), st.integers(0, 30), st.integers(1, 3), st.booleans()),
    st.tuples(st.just("renew"), st.integers(0, 30), st.sampled_from((3, 6))),
    st.tuples(st.just("write_off"), st.just(0)),
    st.tuples(st.just("recover"), st.integers(0, 30), st.one_of(st.just(100), st.integers(1, 100))),  # 100: the interest too
    st.tuples(st.just("reverse"), st.integers(0, 30), st.booleans()),
    st.tuples(st.just("card"), st.booleans()),
)
plans = st.tuples(draws, st.lists(actions, min_size=3, max_size=10))


def _now(today: date) -> datetime:
    return datetime(today.year, today.month, today.day, 3, tzinfo=UTC)


async def _total() -> tuple[int, int]:
    return await LedgerEntry.all().count(), await LedgerTransaction.all().count()


async def _refused_changes_nothing(book: Book, work, what: str) -> None:
    before = await _total()
    try:
        await work()
    except DomainError as err:
        book.log.append(f"  refused {err.code}: {err.message}")
        assert await _total() == before, f"{what} was refused ({err.code}) but posted to the ledger"


async def _made_and_checked(book: Book, propose, checker: str, what: str, *, ports=None) -> None:
    """The maker proposes; a second officer approves. A refusal at either step changes nothing."""
    async def work():
        command = await propose()
        today = await business_date.current()
        await approve(actor=await _actor(checker), command_id=command.id, today=today, now=_now(today), ports=ports)
        book.log.append(f"  {what} done")

    await _refused_changes_nothing(book, work, what)


async def _pick(book: Book, index: int, *statuses: LoanStatus) -> Loan | None:
    loans = await Loan.filter(id__in=book.loans, status__in=list(statuses)).order_by("created_at")
    return loans[index % len(loans)] if loans else None


async def _with_paying_card(loan: Loan, vault, work) -> None:
    """Money at the counter: from a card with money, whatever the bound one (the card is put back afterwards)."""
    card = await BankCard.get(id=loan.card_id)
    await BankCard.filter(id=card.id).update(**card_fields(vault, PAYS))
    try:
        await work()
    finally:
        await BankCard.filter(id=card.id).update(card_number_enc=card.card_number_enc, card_number_hash=card.card_number_hash,
                                                 card_number_masked=card.card_number_masked)


async def _close_days(book: Book, days: int, core, vault) -> None:
    for _ in range(days):
        await run_eod(core=core, vault=vault, policy=SHORT)
        closed = await business_date.current() - timedelta(days=1)
        problems = await violations(closed, policy=SHORT)
        problems += [f"reconcile {b.reference}: {b.what} core {b.core_fen} ledger {b.ledger_fen}" for b in await reconcile_day(closed, core=core)]
        problems += await component_violations()
        assert problems == [], "\n".join([*book.log, *problems])


async def _pay_due(book: Book, loan: Loan, core, vault) -> None:
    """The borrower pays the interest, penalty and compound due at the counter (a renewal asks for them in cash first;
    the principal is what the new loan repays)."""
    today = await business_date.current()
    rows = await Installment.filter(loan_id=loan.id, due_on__lte=today).exclude(status="paid")
    owed = sum(i.interest_fen + i.penalty_fen + i.compound_fen - i.paid_interest_fen - i.paid_penalty_fen - i.paid_compound_fen for i in rows)
    if owed > 0:
        await _with_paying_card(loan, vault, lambda: _refused_changes_nothing(book, lambda: repay(
            actor=SYSTEM, loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault), "repayment"))


async def _step(book: Book, action: tuple, core, vault) -> bool:
    """Run one action; True when it closed business days."""
    today = await business_date.current()
    kind = action[0]
    maker = await _actor("officer1")
    if kind == "eod":
        await _close_days(book, action[1], core, vault)
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
    elif kind in ("repay", "prepay"):
        loan = await _pick(book, action[1], LoanStatus.ACTIVE)
        if loan is None:
            return False
        if kind == "repay":
            rows = await Installment.filter(loan_id=loan.id, due_on__lte=today).exclude(status="paid")
            owed = sum(i.principal_fen + i.interest_fen + i.penalty_fen + i.compound_fen - i.paid_principal_fen
                       - i.paid_interest_fen - i.paid_penalty_fen - i.paid_compound_fen for i in rows)
            amount = max(1, owed * action[2] // 100)
            call = lambda: repay(actor=SYSTEM, loan_id=loan.id, amount_fen=amount, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)  # noqa: E731
        else:
            amount = None if action[2] is None else max(100, loan.outstanding_principal_fen * action[2] // 100 // 100 * 100)
            call = lambda: prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=amount, payoff=amount is None,  # noqa: E731
                                  idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
        await _with_paying_card(loan, vault, lambda: _refused_changes_nothing(book, call, kind))
    elif kind == "extend":
        loans = [x for x in await Loan.filter(id__in=book.loans, status=LoanStatus.ACTIVE).order_by("created_at") if x.maturity_on > today]
        loan = loans[action[1] % len(loans)] if loans else None
        if loan is not None:
            await _made_and_checked(book, lambda: propose_extension(
                actor=maker, loan_id=loan.id, months=action[2], restructured=action[3], reason="借款人经营暂时困难，申请展期",
                today=today, now=_now(today), policy=MC), "approver", "extension")
    elif kind == "renew":
        loan = await _pick(book, action[1], LoanStatus.ACTIVE)
        if loan is not None and 0 <= (loan.maturity_on - today).days <= 100:
            await _close_days(book, (loan.maturity_on - today).days, core, vault)  # to its maturity
            today = await business_date.current()
            await _pay_due(book, loan, core, vault)
            await RiskStrategyDecision.create(  # a fresh strategy pass (what the officer's re-check at maturity gives)
                customer_id=loan.customer_id, product_code="BIANLI", ruleset_version="property", decision="pass", hits=[],
                limit_fen=loan.principal_fen, limit_binding="product_max", limit_detail={}, spread_bp=loan.spread_bp, pricing_source="grade",
                explanation="续贷前策略复评", decided_at=_now(today))
            await _made_and_checked(book, lambda: propose_renewal(
                actor=maker, loan_id=loan.id, term_months=action[2], reason="经营周转，借款人申请续贷", today=today, now=_now(today),
                policy=MC), "approver", "renewal")
            renewed = await fetch("SELECT new_loan_id FROM loan_renewal WHERE old_loan_id = :id", id=str(loan.id))
            if renewed and renewed[0]["new_loan_id"] not in {str(i) for i in book.loans}:
                book.loans.append(uuid.UUID(str(renewed[0]["new_loan_id"])))
    elif kind == "write_off":  # the most overdue loan (what a branch proposes)
        loan = await Loan.filter(id__in=book.loans, status=LoanStatus.ACTIVE).order_by("-days_past_due", "created_at").first()
        if loan is not None:
            await provide_allowance(actor=SYSTEM, bank_id=(await Bank.get(code="14102301")).id, today=today, policy=WRITE_OFF)
            await _made_and_checked(book, lambda: propose_write_off(
                actor=maker, loan_id=loan.id, reason="借款人无力偿还，追偿无果", today=today, now=_now(today), policy=MC, allowance=WRITE_OFF),
                "hq_approver", "write-off")
    elif kind == "recover":
        loan = await _pick(book, action[1], LoanStatus.WRITTEN_OFF)
        if loan is not None:
            record = await LoanWriteOff.get(loan_id=loan.id)
            left = record.principal_fen + record.interest_fen - record.recovered_principal_fen - record.recovered_interest_fen
            if left > 0:
                amount = max(1, left * action[2] // 100)
                async def recover():
                    await record_recovery(actor=maker, loan_id=loan.id, amount_fen=amount, idempotency_key=uuid.uuid4(), today=today, core=core,
                                          vault=vault)
                    book.log.append("  recovery done")

                await _with_paying_card(loan, vault, lambda: _refused_changes_nothing(book, recover, "recovery"))
    elif kind == "reverse":
        # the latest repayment or prepayment booked today on any of the loans, refunded or moved to another loan (调账)
        reversed_ids = await LedgerTransaction.filter(reverses_id__isnull=False).values_list("reverses_id", flat=True)
        booking = await LedgerTransaction.filter(loan_id__in=book.loans, kind__in=("repayment", "prepayment"), business_on=today) \
            .exclude(id__in=list(reversed_ids)).order_by("-created_at").first()
        if booking is None:  # else one of the latest bookings of an earlier day: value-dated (跨日冲正), or refused when it cannot be
            earlier = await LedgerTransaction.filter(loan_id__in=book.loans, kind__in=("repayment", "prepayment", "disbursement"),
                                                     business_on__lt=today).exclude(id__in=list(reversed_ids)).order_by("-created_at").limit(4)
            booking = earlier[action[1] % len(earlier)] if earlier else None
        if booking is not None:
            target = await Loan.filter(id__in=book.loans, status=LoanStatus.ACTIVE).exclude(id=booking.loan_id).first() if action[2] else None
            mode = "reapply" if target else "refund"
            await _made_and_checked(book, lambda: propose_reversal(
                actor=maker, transaction_id=booking.id, mode=mode, target_loan_id=target.id if target else None, reason="柜员误操作，申请冲正",
                today=today, now=_now(today), policy=MC), "approver", f"reversal ({mode})", ports={"core": core, "vault": vault})
    return False


# Principal movements on the loans, by what caused them (a reversal counts under the kind it reverses).
FLOWS_SQL = """
SELECT COALESCE(o.kind, t.kind) AS kind, COALESCE(SUM(e.debit_fen), 0) AS debit, COALESCE(SUM(e.credit_fen), 0) AS credit
FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id LEFT JOIN ledger_transaction o ON o.id = t.reverses_id
WHERE e.account = 'loan_principal' GROUP BY COALESCE(o.kind, t.kind)
"""
RECORDS_SQL = """
SELECT
  (SELECT COALESCE(SUM(principal_fen), 0) FROM loan WHERE status <> 'cancelled') AS disbursed,
  (SELECT COALESCE(SUM(principal_fen), 0) FROM loan_write_off) AS written_off,
  (SELECT COALESCE(SUM(recovered_principal_fen), 0) FROM loan_write_off) AS recovered,
  (SELECT COALESCE(SUM(principal_fen), 0) FROM loan_renewal) AS renewed,
  (SELECT COALESCE(SUM(outstanding_principal_fen), 0) FROM loan) AS outstanding
"""
REPAYING = frozenset({"repayment", "prepayment", "auto_debit", "suspense_apply"})  # cash (or cash held in suspense) repays principal


async def component_violations() -> list[str]:
    """The issue's principal identity: on-balance principal + written-off principal still off the books
    = disbursed − repaid − recovered, with disbursements and write-offs taken from the loan, renewal and write-off
    records and the repayments from the ledger; every principal movement must have one of the known causes."""
    flows = {r["kind"]: (int(r["debit"]), int(r["credit"])) for r in await fetch(FLOWS_SQL)}
    rec = {k: int(v) for k, v in (await fetch(RECORDS_SQL))[0].items()}
    found = [f"principal moved by an unexpected {kind} ({flow})" for kind, flow in flows.items()
             if kind not in REPAYING | {"disbursement", "renewal", "write_off"}]
    on_balance = sum(d - c for d, c in flows.values())
    repaid = sum(c - d for k, (d, c) in flows.items() if k in REPAYING) + flows.get("renewal", (0, 0))[1]  # renewal: the old loan's principal
    written_off_left = rec["written_off"] - rec["recovered"]
    if on_balance + written_off_left != rec["disbursed"] - repaid - rec["recovered"]:
        found.append(f"principal: on-balance {on_balance} + written off {written_off_left} != disbursed {rec['disbursed']} - repaid {repaid} "
                     f"- recovered {rec['recovered']} (flows {flows})")
    if on_balance != rec["outstanding"]:
        found.append(f"principal: ledger {on_balance} != loans outstanding {rec['outstanding']}")
    if flows.get("renewal", (0, 0)) != (rec["renewed"], rec["renewed"]):
        found.append(f"renewals: ledger {flows.get('renewal')} != records {rec['renewed']} both ways")
    if flows.get("write_off", (0, 0)) != (0, rec["written_off"]):
        found.append(f"write-offs: ledger {flows.get('write_off')} != records {rec['written_off']}")
    for w in await fetch("SELECT loan_id, principal_fen, interest_fen, recovered_principal_fen, recovered_interest_fen FROM loan_write_off"):
        if not (0 <= int(w["recovered_principal_fen"]) <= int(w["principal_fen"]) and 0 <= int(w["recovered_interest_fen"]) <= int(w["interest_fen"])):
            found.append(f"write-off of {w['loan_id']}: recovered more than written off {dict(w)}")
    return found + await interest_violations()


# The interest side (interest, penalty and compound together: a write-off keeps them as one off-balance figure).
ON_BALANCE = ("accrued_interest", "interest_receivable", "penalty_receivable", "compound_receivable")
OFF_BALANCE = ("off_interest", "off_penalty", "off_compound", "off_accrued_interest")
INTEREST_ACCOUNTS = (*ON_BALANCE, *OFF_BALANCE, "written_off_interest")
PER_LOAN = ("interest_receivable", "penalty_receivable", "compound_receivable", "off_interest", "off_penalty", "off_compound", "written_off_interest")
INCOME = ("interest_income", "penalty_income", "compound_income")
CASH = ("clearing", "suspense")  # money from the borrower: what came in from the card, or what was held for the loan
CHARGING = frozenset({"accrual", "penalty"})  # the closes' accrual and true-ups; penalty and compound (a value-dated reversal's difference too)
TRANSFERS = frozenset({"interest_due", "non_accrual", "write_off"})  # move interest between its accounts, never change its total

# Every line's movement by (original) cause, per loan line (None: a portfolio line) and account.
INTEREST_FLOWS_SQL = """
SELECT COALESCE(o.kind, t.kind) AS kind, e.loan_id, e.account, COALESCE(SUM(e.debit_fen - e.credit_fen), 0) AS net
FROM ledger_entry e JOIN ledger_transaction t ON t.id = e.transaction_id LEFT JOIN ledger_transaction o ON o.id = t.reverses_id
GROUP BY COALESCE(o.kind, t.kind), e.loan_id, e.account
"""
# Per loan, what its records say it was charged and paid: the interest of each period that has ended (due on or before the
# next business date, as ledger-check), all penalty and compound. A row paid before its due date was paid off by a
# prepayment: its interest is the prepayment's (PREPAID_SQL), also once its due date has passed.
ROWS_SQL = """
SELECT loan_id,
  COALESCE(SUM(CASE WHEN due_on <= :falls_due AND NOT (paid_on IS NOT NULL AND paid_on < due_on) THEN interest_fen ELSE 0 END), 0) AS interest,
  COALESCE(SUM(penalty_fen + compound_fen), 0) AS penalty,
  COALESCE(SUM(paid_interest_fen + paid_penalty_fen + paid_compound_fen), 0) AS paid
FROM installment GROUP BY loan_id
"""
# The interest a prepayment charges on the day it is paid (to the date of payment), per loan, of prepayments not reversed.
PREPAID_SQL = """
SELECT t.loan_id, COALESCE(SUM(e.debit_fen), 0) AS interest FROM ledger_transaction t JOIN ledger_entry e ON e.transaction_id = t.id
WHERE t.kind = 'prepayment' AND e.account = 'interest_receivable' AND NOT EXISTS (SELECT 1 FROM ledger_transaction r WHERE r.reverses_id = t.id)
GROUP BY t.loan_id
"""


async def interest_violations() -> list[str]:
    """The issue's interest identity (docs/lending.md §8), for the whole book and per loan:

    interest on the books (accrued and receivable) + off the books (non-accrual) + written off still off the books
    = charged − received − recovered

    Whole book, from the ledger by cause: charged is what the closes accrued and charged as penalty and compound (true-ups
    and value-dated differences included) and the interest a prepayment charged to its day; received is the money the
    borrower paid (card or suspense) less the principal it repaid; recovered is the interest recovered after write-offs.
    Falling due, non-accrual and write-off only move interest between its accounts. Per loan, charged comes from the
    records instead: the periods that have ended, the penalty and compound on its installments, the prepayments' interest
    and what has accrued (for a written-off loan: what it paid and what its write-off record kept off the books)."""
    today = await business_date.current()
    flows: dict[tuple[str, str | None, str], int] = {}
    for r in await fetch(INTEREST_FLOWS_SQL):
        flows[(r["kind"], str(r["loan_id"]) if r["loan_id"] else None, r["account"])] = int(r["net"])
    kinds = {k for k, _, _ in flows}

    def net(kind: str | None = None, accounts=INTEREST_ACCOUNTS, loan: str | None = "*") -> int:
        return sum(v for (k, ln, a), v in flows.items() if (kind is None or k == kind) and a in accounts and (loan == "*" or ln == loan))

    def received(kind: str | None, loan: str | None = "*") -> int:  # money in, less the principal it repaid
        if kind is None:
            return sum(received(k, loan) for k in REPAYING)
        return net(kind, CASH, loan) + net(kind, ("loan_principal",), loan)

    found = []
    for kind in sorted(kinds - CHARGING - TRANSFERS - REPAYING - {"recovery"}):
        if net(kind):
            found.append(f"interest moved by an unexpected {kind} ({net(kind)})")
    for kind in sorted(TRANSFERS & kinds):
        if net(kind):
            found.append(f"interest: {kind} changed its total by {net(kind)} (it only moves it)")
    prepaid_charged = -net("prepayment", INCOME)  # a prepayment's interest not accrued before goes straight to income
    for kind in sorted(REPAYING & kinds):
        expected = (prepaid_charged if kind == "prepayment" else 0) - received(kind)
        if net(kind) != expected:
            found.append(f"interest: {kind} moved {net(kind)}, its cash says {expected}")
    records = [dict(r) for r in await fetch("SELECT loan_id, interest_fen, recovered_interest_fen FROM loan_write_off")]
    recovered = sum(int(w["recovered_interest_fen"]) for w in records)
    written_off = sum(int(w["interest_fen"]) for w in records)
    if -net("recovery") != recovered or net("recovery", INCOME) != -recovered:
        found.append(f"interest recovered: ledger {-net('recovery')} (income {-net('recovery', INCOME)}) != records {recovered}")
    if net("write_off", ("written_off_interest",)) != written_off:
        found.append(f"interest written off: ledger {net('write_off', ('written_off_interest',))} != records {written_off}")
    charged = sum(net(k) for k in CHARGING) + prepaid_charged
    on, off, wo = net(None, ON_BALANCE), net(None, OFF_BALANCE), net(None, ("written_off_interest",))
    if on + off + wo != charged - received(None) - recovered:
        found.append(f"interest: on-balance {on} + off-balance {off} + written off {wo} != charged {charged} - received {received(None)} "
                     f"- recovered {recovered}")
    if wo != written_off - recovered:
        found.append(f"interest written off: ledger {wo} != records {written_off} - {recovered}")

    # per loan: its own lines and its accrued share against its records
    rows = {str(r["loan_id"]): r for r in await fetch(ROWS_SQL, falls_due=today)}
    prepaid = {str(r["loan_id"]): int(r["interest"]) for r in await fetch(PREPAID_SQL)}
    wo_by_loan = {str(w["loan_id"]): w for w in records}
    for loan in await fetch("SELECT id, status, accrued_interest_fen FROM loan WHERE status NOT IN ('cancelled', 'disbursing')"):
        lid = str(loan["id"])
        r = rows.get(lid) or {"interest": 0, "penalty": 0, "paid": 0}
        owed = net(None, PER_LOAN, lid) + int(loan["accrued_interest_fen"])
        paid = received(None, lid)
        w = wo_by_loan.get(lid)
        if w is not None:
            charged_l, recovered_l = int(r["paid"]) + prepaid.get(lid, 0) + int(w["interest_fen"]), int(w["recovered_interest_fen"])
        else:
            charged_l, recovered_l = int(r["interest"]) + int(r["penalty"]) + prepaid.get(lid, 0) + int(loan["accrued_interest_fen"]), 0
        if owed != charged_l - paid - recovered_l:
            found.append(f"interest of loan {lid} ({loan['status']}): owed {owed} != charged {charged_l} - received {paid} - recovered {recovered_l}"
                         f" (installments {dict(r)}, prepaid {prepaid.get(lid, 0)})")
    return found


# no shrinking: the examples share one database, so a shrunk plan would replay on another book (the log says what ran)
@pytest.mark.slow
@settings(max_examples=EXAMPLES, deadline=None, database=None, derandomize=True, phases=[Phase.generate],
          suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow, HealthCheck.data_too_large])
@given(plan=plans)
async def test_any_lifecycle_keeps_the_books_and_the_components_exact(bank, core, vault, plan):
    book = getattr(test_any_lifecycle_keeps_the_books_and_the_components_exact, "book", None)
    if book is None or not await CreditLine.filter(id=book.lines["pays"].id).exists():
        book = await _book(vault)
        test_any_lifecycle_keeps_the_books_and_the_components_exact.book = book
    book.log = [f"from {await business_date.current()}"]
    first, rest = plan
    if os.environ.get("CUNXIN_PROPERTY_TRACE"):
        print(await business_date.current(), first, rest)
    for action in (first, *rest):
        book.log.append(f"{await business_date.current()} {action}")
        if not await _step(book, action, core, vault):
            problems = await violations(await business_date.current() - timedelta(days=1), policy=SHORT, after_eod=False)
            problems += await component_violations()
            assert problems == [], "\n".join([*book.log, *problems])
    if os.environ.get("CUNXIN_PROPERTY_TRACE"):
        print("\n".join(book.log))
