"""冲正 (reversal, issue 17): a repayment, prepayment or disbursement booked in error is reversed on its own business date by
compensating ledger transactions (never deleted), with the money back through the core (退款 / 收回) or applied to the
right loan (调账); the loan is restored exactly (balances, every installment, statuses), approving twice runs once, a
reversal after an end-of-day is value-dated (test_reversal_value_dated.py), and ledger-check stays clean. Figures to the fen (docs/lending.md)."""

import uuid
from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import Conflict, DomainError, ValidationError
from app.domain.maker_checker import CommandStatus, MakerCheckerPolicy
from app.domain.vocabulary import LoanStatus, OutboxKind
from app.models import CoreInstruction, CreditLine, Installment, LedgerEntry, LedgerTransaction, Loan, OutboxMessage
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.ledger import ledger_check
from app.services.lending.repayment import prepay, repay
from app.services.lending.reversal import propose_reversal
from app.services.maker_checker.commands import approve
from app.sql import fetch
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_classification_state import PAYS, _actor, _owed, _until

NOW = datetime(2027, 1, 1, tzinfo=UTC)
MC = MakerCheckerPolicy()
OTHER = "6217000010008888"  # a second borrower whose card pays


async def _draw(core, vault, *, card=PAYS, sequence=357, amount_fen=1_200_000, method="equal_installment"):
    _, line = await customer_with_line(vault, card=card, sequence=sequence)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=12, method=method,
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)


async def _state(loan_id):
    """Everything a reversal must put back: the loan's figures and statuses, every installment, its line's use, its ledger."""
    loan = await Loan.get(id=loan_id)
    keep = ("status", "outstanding_principal_fen", "overdue_principal_fen", "overdue_interest_fen", "accrued_interest_fen", "penalty_fen",
            "compound_fen", "days_past_due", "classification", "settled_on", "maturity_on")
    rows = await Installment.filter(loan_id=loan_id).order_by("number").values(
        "number", "due_on", "principal_fen", "interest_fen", "penalty_fen", "compound_fen", "paid_principal_fen", "paid_interest_fen",
        "paid_penalty_fen", "paid_compound_fen", "status", "paid_on")
    line = await CreditLine.get(id=loan.credit_line_id)
    ledger = {r["account"]: int(r["b"]) for r in await fetch(
        "SELECT account, SUM(debit_fen - credit_fen) AS b FROM ledger_entry WHERE loan_id = :l GROUP BY account", l=str(loan_id))}
    return {k: getattr(loan, k) for k in keep}, rows, line.used_fen, {k: v for k, v in ledger.items() if v}


async def _reverse(txn_id, *, mode="refund", target=None, core, vault, today):
    maker, checker = await _actor("officer1"), await _actor("approver")
    command = await propose_reversal(actor=maker, transaction_id=txn_id, mode=mode, target_loan_id=target, reason="柜员误操作，客户申请冲正",
                                     today=today, now=NOW, policy=MC)
    assert command.status == CommandStatus.PENDING
    done = await approve(actor=checker, command_id=command.id, today=today, now=NOW, seen=command.preview, ports={"core": core, "vault": vault})
    assert done.status == CommandStatus.APPROVED
    return done


async def _last(loan_id, kind):
    return await LedgerTransaction.filter(loan_id=loan_id, kind=kind).order_by("-created_at").first()


async def _clearing_of(txn_id) -> int:
    return sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(transaction_id=txn_id, account="clearing"))


# (case, the booking, its amount in fen, the loan's unpaid principal after the booking). The loan: 12 000.00 yuan, 12 months,
# equal installments at 4.5 %; its first installment (2026-12-27) is 1 024.54 = 979.54 principal + 45.00 interest
# (12 000.00 × 4.5 % / 12); the partial prepayment of 3 000.00 yuan is made on the day of the drawdown (no interest yet)
CASES = [
    ("repayment reversed the same day, refunded to the card", "repayment", 102_454, 1_102_046),
    ("prepayment reversed the same day, refunded to the card", "prepayment", 300_000, 900_000),
]


@pytest.mark.parametrize(("case", "kind", "amount_fen", "principal_after"), CASES, ids=[c[0] for c in CASES])
async def test_a_booking_reversed_the_same_day_restores_the_loan_exactly(bank, core, vault, case, kind, amount_fen, principal_after):
    loan = await _draw(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    if kind == "repayment":
        await _until(core, vault, first.due_on)
    today = await business_date.current()
    before = await _state(loan.id)
    if kind == "repayment":
        owed = await _owed(loan.id, today)
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    else:
        await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=amount_fen, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    booking = await _last(loan.id, kind)
    assert await _clearing_of(booking.id) == amount_fen
    assert (await Loan.get(id=loan.id)).outstanding_principal_fen == principal_after
    assert await _state(loan.id) != before

    command = await _reverse(booking.id, core=core, vault=vault, today=today)

    assert await _state(loan.id) == before  # balances, installments, statuses and the line, to the fen
    mirror = await LedgerTransaction.get(reverses_id=booking.id)
    assert mirror.kind == "reversal" and mirror.business_on == today
    assert await _clearing_of(mirror.id) == -amount_fen
    refund = await CoreInstruction.get(reference=f"reversal:{booking.id}")
    assert (refund.kind, refund.amount_fen, refund.outcome) == ("refund", amount_fen, "done")
    assert command.result["core_reference"] == refund.reference
    assert await LedgerTransaction.filter(id=booking.id).exists()  # never deleted
    assert await OutboxMessage.filter(kind=OutboxKind.LOAN_REVERSED).count() == 1
    assert await ledger_check(today=today) == []


async def test_a_repayment_booked_to_the_wrong_loan_is_re_applied_to_the_right_one(bank, core, vault):
    wrong = await _draw(core, vault)
    right = await _draw(core, vault, card=OTHER, sequence=358)
    first = await Installment.get(loan_id=wrong.id, number=1)
    await _until(core, vault, first.due_on)
    today = await business_date.current()
    wrong_before, right_owed = await _state(wrong.id), await _owed(right.id, today)
    assert right_owed == 102_454
    await repay(actor=SYSTEM, loan_id=wrong.id, amount_fen=102_454, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    booking = await _last(wrong.id, "repayment")

    command = await _reverse(booking.id, mode="reapply", target=right.id, core=core, vault=vault, today=today)
    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}  # what the checker saw (docs/lending.md)
    assert figures["借据未还本金"] == (1_102_046, 1_200_000)
    assert figures["借据当前应还"] == (0, 102_454)
    assert figures["调入借据当前应还"] == (102_454, 0)
    assert figures["调入借据暂收款"] == (0, 0)

    assert await _state(wrong.id) == wrong_before
    assert command.result["suspense_fen"] == 0
    assert await _owed(right.id, today) == 0  # the right loan's first installment is paid: 979.54 yuan principal, 45.00 interest
    paid = await Installment.get(loan_id=right.id, number=1)
    assert (paid.status, paid.paid_principal_fen + paid.paid_interest_fen) == ("paid", 102_454)
    assert (await Loan.get(id=right.id)).outstanding_principal_fen == 1_102_046
    assert not await CoreInstruction.filter(reference=f"reversal:{booking.id}").exists()  # no money moved
    clearing = sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(account="clearing", loan_id__in=[wrong.id, right.id],
                                                                                 transaction__business_on=today))
    assert clearing == 102_454  # the one debit of the card, now on the right loan
    assert await ledger_check(today=today) == []


async def test_a_disbursement_reversed_the_same_day_cancels_the_loan_and_takes_the_money_back(bank, core, vault):
    loan = await _draw(core, vault)
    line_used = (await CreditLine.get(id=loan.credit_line_id)).used_fen
    assert line_used == 1_200_000
    booking = await _last(loan.id, "disbursement")

    await _reverse(booking.id, core=core, vault=vault, today=TODAY)

    loan = await Loan.get(id=loan.id)
    assert (loan.status, loan.outstanding_principal_fen) == (LoanStatus.CANCELLED, 0)
    assert (await CreditLine.get(id=loan.credit_line_id)).used_fen == 0
    back = await CoreInstruction.get(reference=f"reversal:{booking.id}")
    assert (back.kind, back.amount_fen, back.outcome) == ("debit", 1_200_000, "done")
    assert (await _state(loan.id))[3] == {}  # every account of the loan back to zero: principal, clearing
    assert await ledger_check(today=TODAY) == []


async def test_approving_twice_runs_once_and_a_booked_reversal_cannot_be_proposed_again(bank, core, vault):
    loan = await _draw(core, vault)
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=300_000, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    booking = await _last(loan.id, "prepayment")
    command = await _reverse(booking.id, core=core, vault=vault, today=TODAY)
    with pytest.raises(Conflict):
        await approve(actor=await _actor("approver"), command_id=command.id, today=TODAY, now=NOW, ports={"core": core, "vault": vault})
    assert await LedgerTransaction.filter(reverses_id=booking.id).count() == 1
    assert await CoreInstruction.filter(reference=f"reversal:{booking.id}").count() == 1
    with pytest.raises(Conflict) as again:
        await propose_reversal(actor=await _actor("officer1"), transaction_id=booking.id, mode="refund", reason="再次冲正", today=TODAY, now=NOW,
                               policy=MC)
    assert again.value.message == "该笔交易已冲正"


async def test_the_maker_cannot_check_and_a_request_checked_after_an_end_of_day_on_yesterday_s_effect_changes_nothing(bank, core, vault):
    """After an end-of-day the reversal is value-dated (test_reversal_value_dated.py): its effect is not the one the checker
    was shown the day before, so approving on that effect is refused and nothing changes; the checker looks again."""
    loan = await _draw(core, vault)
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=300_000, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    booking = await _last(loan.id, "prepayment")
    maker = await _actor("officer1")
    command = await propose_reversal(actor=maker, transaction_id=booking.id, mode="refund", reason="误操作", today=TODAY, now=NOW, policy=MC)
    with pytest.raises(DomainError):
        await approve(actor=maker, command_id=command.id, today=TODAY, now=NOW, ports={"core": core, "vault": vault})
    await _until(core, vault, TODAY + timedelta(days=1))
    today = await business_date.current()
    before = await _state(loan.id)
    with pytest.raises(Conflict) as at_check:
        await approve(actor=await _actor("approver"), command_id=command.id, today=today, now=NOW, seen=command.preview,
                      ports={"core": core, "vault": vault})
    assert at_check.value.message == "影响已变化，请重新查看后再审批"
    assert await _state(loan.id) == before
    assert not await LedgerTransaction.filter(reverses_id=booking.id).exists()


async def test_a_repayment_followed_by_an_extension_the_same_day_is_not_reversed_on_its_own(bank, core, vault):
    """A reversal puts the loan back as it was before the booking. When a lifecycle operation changed the loan after
    it the same day (an extension moves the schedule, a renewal settles the loan into a new one, a write-off takes it
    off the books), putting it back would silently undo that operation while its record stays: refused, nothing
    changes. Before, only money bookings after it were refused: an extension was undone and a renewal reversed into
    two live loans for one debt."""
    from app.services.lending.extension import propose_extension

    loan = await _draw(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, first.due_on)
    today = await business_date.current()
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=await _owed(loan.id, today), idempotency_key=uuid.uuid4(), today=today, core=core,
                vault=vault)
    booking = await _last(loan.id, "repayment")
    command = await propose_extension(actor=await _actor("officer1"), loan_id=loan.id, months=3, restructured=False, reason="经营周转困难",
                                      today=today, now=NOW, policy=MC)
    await approve(actor=await _actor("approver"), command_id=command.id, today=today, now=NOW)
    before = await _state(loan.id)
    with pytest.raises(DomainError) as refused:
        await propose_reversal(actor=await _actor("officer1"), transaction_id=booking.id, mode="refund", reason="柜员误操作", today=today,
                               now=NOW, policy=MC)
    assert "展期" in refused.value.message
    assert await _state(loan.id) == before
