"""跨日冲正 (issue 17, value-dated part): a counter repayment reversed after end-of-days have run. The closed days from its
value date are recomputed as the close would have run them without it (penalty, compound, days past due, class) and the
difference is posted on the reversal date. Checked three ways: the worked example of docs/lending.md §4 to the fen, a twin
loan that never had the repayment and went through the same closes (the reversed loan must now be exactly it), and
ledger-check, reconcile and the lifecycle property test's principal and interest identities clean through further
end-of-days. Run on PostgreSQL too (money)."""

import uuid
from datetime import timedelta

import pytest

from app.config import Settings
from app.domain.classification import DEFAULT_POLICY, ClassificationPolicy, LoanClass
from app.domain.errors import Conflict, ValidationError
from app.domain.vocabulary import InstallmentStatus
from app.models import BankCard, CoreInstruction, CreditLine, EodRun, Installment, LedgerEntry, LedgerTransaction, Loan, LoanClassChange
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.customers.identifiers import card_fields
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.reconcile import reconcile_day
from app.services.lending.repayment import prepay, repay
from app.services.lending.reversal import propose_reversal
from app.wiring import classification_policy
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_lifecycle_properties import component_violations
from tests.services.lending.test_classification_state import FAILS, PAYS, _actor, _owed
from tests.services.lending.test_reversal import MC, NOW, _draw, _last, _reverse

TWIN_FAILS = "6217000010010002"  # a second borrower whose card has no money either (sandbox: …0002)

# docs/lending.md §4, worked example: 12 000.00 yuan, 12 months, equal installments at 4.5 %, penalty rate 4.5 % × 1.5.
# Installment 1 (979.54 principal + 45.00 interest) falls due on 2026-12-27 and is not paid; after the closes of the 27th,
# 28th and 29th the borrower pays 1 025.12 at the counter on the 30th (979.54 + 45.00 + penalty 0.55 + compound 0.03);
# the closes of the 30th to 2027-01-02 run; on 2027-01-03 the repayment is found booked in error and reversed.
EXAMPLE = [
    # (figure, value)
    ("repaid at the counter on 2026-12-30", 102_512),
    ("penalty of the 3 closes before it", 55),  # round(97 954 × 4.5 % × 1.5 / 360 × 3) = round(55.10)
    ("compound of the 3 closes before it", 3),  # round(4 500 × 4.5 % × 1.5 / 360 × 3) = round(2.53)
    ("penalty the 4 closes 12-30..01-02 would have charged", 74),  # round(Σ 7 days = 128.56) = 129, minus the 55 posted
    ("compound the 4 closes would have charged", 3),  # round(Σ 7 days = 5.91) = 6, minus the 3 posted
    ("penalty the 4 closes actually charged", 0),  # nothing was overdue after the repayment
    ("owed on 2027-01-03 after the reversal", 102_589),  # 979.54 + 45.00 + 1.29 + 0.06
    ("days past due after the reversal", 6),  # 2027-01-02 − 2026-12-27
]


async def _close(core, vault, days: int, policy: ClassificationPolicy = DEFAULT_POLICY) -> None:
    for _ in range(days):
        await run_eod(core=core, vault=vault, policy=policy)
        closed = await business_date.current() - timedelta(days=1)
        assert await ledger_check(today=closed) == []
        assert await reconcile_day(closed, core=core) == []
        assert await component_violations() == []  # the principal and interest identities of the lifecycle property test


async def _set_card(loan, vault, number) -> None:
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, number))


async def _figures(loan_id):
    """What the close and the reversal must agree on: each installment's figures and status, the loan's."""
    loan = await Loan.get(id=loan_id)
    rows = await Installment.filter(loan_id=loan_id).order_by("number").values_list(
        "number", "principal_fen", "interest_fen", "penalty_fen", "compound_fen", "paid_principal_fen", "paid_interest_fen", "paid_penalty_fen",
        "paid_compound_fen", "status")
    return rows, (loan.outstanding_principal_fen, loan.overdue_principal_fen, loan.overdue_interest_fen, loan.accrued_interest_fen,
                  loan.penalty_fen, loan.compound_fen, loan.penalty_carry, loan.compound_carry, loan.days_past_due, loan.classification)


async def _example(core, vault, policy: ClassificationPolicy = DEFAULT_POLICY):
    """The worked example's loan up to the reversal date, and its twin that was never repaid (closes under `policy`)."""
    loan = await _draw(core, vault, card=FAILS)
    twin = await _draw(core, vault, card=TWIN_FAILS, sequence=358)
    first = await Installment.get(loan_id=loan.id, number=1)
    assert (first.due_on, first.principal_fen, first.interest_fen) == (TODAY + timedelta(days=30), 97_954, 4_500)
    await _close(core, vault, (first.due_on - TODAY).days + 3, policy)  # closes through 12-29
    value_on = await business_date.current()
    await _set_card(loan, vault, PAYS)  # at the counter, from a card with money
    owed = await _owed(loan.id, value_on)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=value_on, core=core, vault=vault)
    booking = await _last(loan.id, "repayment")
    await _set_card(loan, vault, FAILS)
    await _close(core, vault, 4, policy)  # 12-30 .. 01-02
    return loan, twin, booking, owed, first


async def test_the_worked_example_to_the_fen_and_the_reversed_loan_is_the_loan_that_was_never_repaid(bank, core, vault):
    loan, twin, booking, owed, first = await _example(core, vault)
    today = await business_date.current()
    assert (booking.business_on, today) == (first.due_on + timedelta(days=3), first.due_on + timedelta(days=7))
    before_rev = await Loan.get(id=loan.id)
    assert (before_rev.days_past_due, before_rev.classification) == (0, LoanClass.NORMAL)

    command = await _reverse(booking.id, core=core, vault=vault, today=today)

    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}  # what the checker saw
    window = f"{booking.business_on.isoformat()} 至 {(today - timedelta(days=1)).isoformat()}"
    actual = {
        "repaid at the counter on 2026-12-30": owed,
        "penalty of the 3 closes before it": sum(e.credit_fen for e in await LedgerEntry.filter(transaction_id=booking.id, account="penalty_receivable")),
        "compound of the 3 closes before it": sum(e.credit_fen for e in await LedgerEntry.filter(transaction_id=booking.id, account="compound_receivable")),
        "penalty the 4 closes 12-30..01-02 would have charged": command.result["penalty_fen"],
        "compound the 4 closes would have charged": command.result["compound_fen"],
        "penalty the 4 closes actually charged": figures[f"{window} 日终计罚息（实计 → 重算）"][0],
        "owed on 2027-01-03 after the reversal": await _owed(loan.id, today),
        "days past due after the reversal": (await Loan.get(id=loan.id)).days_past_due,
    }
    assert actual == dict(EXAMPLE)
    assert figures[f"{window} 日终计罚息（实计 → 重算）"] == (0, 74)
    assert figures[f"{window} 日终计复利（实计 → 重算）"] == (0, 3)
    assert figures["借据当前应还"] == (0, 102_589)
    assert figures["逾期天数"] == ("0", "6")
    assert figures["五级分类"] == ("正常", "关注")

    # the reversed loan is now exactly the twin that went through the same closes unpaid
    assert await _figures(loan.id) == await _figures(twin.id)
    assert (await Installment.get(loan_id=loan.id, number=1)).status == InstallmentStatus.OVERDUE
    change = await LoanClassChange.filter(loan_id=loan.id, source="reversal").first()
    assert (change.from_class, change.to_class, change.days_past_due) == (LoanClass.NORMAL, LoanClass.SPECIAL_MENTION, 6)
    # compensating transactions only: the repayment mirrored, the difference posted today as a penalty accrual
    assert await LedgerTransaction.filter(id=booking.id).exists()
    mirror = await LedgerTransaction.get(reverses_id=booking.id)
    assert (mirror.kind, mirror.business_on) == ("reversal", today)
    extra = await LedgerTransaction.get(loan_id=loan.id, kind="penalty", business_on=today)
    lines = {(e.account, e.debit_fen, e.credit_fen) for e in await LedgerEntry.filter(transaction_id=extra.id)}
    assert lines == {("penalty_receivable", 74, 0), ("penalty_income", 0, 74), ("compound_receivable", 3, 0), ("compound_income", 0, 3)}
    refund = await CoreInstruction.get(reference=f"reversal:{booking.id}")
    assert (refund.kind, refund.amount_fen, refund.outcome) == ("refund", owed, "done")
    assert await ledger_check(today=today) == []

    assert await _extras(loan.id) == await _extras(twin.id)  # the repaid principal is used again on the line

    # the closes go on: both loans keep being charged alike, books and core agree every day
    await _close(core, vault, 3)
    assert await _figures(loan.id) == await _figures(twin.id)


@pytest.mark.parametrize("setting", [("CUNXIN_CLASSIFICATION_GRACE_DAYS", "7"), ("CUNXIN_CLASSIFICATION_DPD_FLOORS", '{"special_mention_from": 7}')])
async def test_the_replay_classifies_with_the_policy_the_closes_used_not_the_default(bank, core, vault, monkeypatch, setting):
    """The worked example under a bank's own classification settings, where 6 days past due is still 正常 (the default
    policy says 关注): the reversed loan is replayed with the closes' policy, so it is again exactly its twin."""
    monkeypatch.setenv(*setting)
    policy = classification_policy(Settings())  # what the worker's and the CLI's close build from the settings
    assert policy.dpd_floor(6) == LoanClass.NORMAL and DEFAULT_POLICY.dpd_floor(6) == LoanClass.SPECIAL_MENTION
    loan, twin, booking, _, _ = await _example(core, vault, policy)
    today = await business_date.current()
    assert ClassificationPolicy.from_json((await EodRun.get(business_on=today - timedelta(days=1))).classification_policy) == policy

    command = await _reverse(booking.id, core=core, vault=vault, today=today)

    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}
    assert figures["逾期天数"] == ("0", "6")
    assert figures["五级分类"] == ("正常", "正常")
    assert ((await Loan.get(id=loan.id)).days_past_due, (await Loan.get(id=loan.id)).classification) == (6, LoanClass.NORMAL)
    assert not await LoanClassChange.filter(loan_id=loan.id, source="reversal").exists()
    assert await _figures(loan.id) == await _figures(twin.id)
    await _close(core, vault, 2, policy)
    assert await _figures(loan.id) == await _figures(twin.id)


async def test_after_an_end_of_day_a_revolving_prepayment_or_a_repayment_the_close_then_debited_is_refused_and_nothing_changes(bank, core, vault):
    loan = await _draw(core, vault, card=PAYS, method="revolving")
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=300_000, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    prepayment = await _last(loan.id, "prepayment")
    await _close(core, vault, 1)
    today = await business_date.current()
    with pytest.raises(ValidationError) as refused:
        await propose_reversal(actor=await _actor("officer1"), transaction_id=prepayment.id, mode="refund", reason="误操作", today=today,
                               now=NOW, policy=MC)
    assert refused.value.message.startswith("该笔提前还款记账于 2026-11-27，其后已经日终；随借随还借据的计息基数随还款变化")
    assert not await LedgerTransaction.filter(reverses_id=prepayment.id).exists()
    # a repayment that left arrears: the close tried to debit the rest (a debit attempt the recomputation cannot undo)
    other = await _draw(core, vault, card=TWIN_FAILS, sequence=358)
    first = await Installment.get(loan_id=other.id, number=1)
    await _close(core, vault, (first.due_on - today).days + 2)
    value_on = await business_date.current()
    await _set_card(other, vault, PAYS)
    await repay(actor=SYSTEM, loan_id=other.id, amount_fen=await _owed(other.id, value_on) - 100, idempotency_key=uuid.uuid4(), today=value_on,
                core=core, vault=vault)
    partial = await _last(other.id, "repayment")
    await _set_card(other, vault, TWIN_FAILS)
    await _close(core, vault, 1)
    with pytest.raises(ValidationError) as refused:
        await propose_reversal(actor=await _actor("officer1"), transaction_id=partial.id, mode="refund", reason="误操作",
                               today=await business_date.current(), now=NOW, policy=MC)
    assert "其后日终曾对该借据自动扣款" in refused.value.message
    assert not await LedgerTransaction.filter(reverses_id=partial.id).exists()


# docs/lending.md §4, second worked example (a prepayment reversed after end-of-days): the same loan, drawn on 2026-11-27; after
# the closes of 11-27..11-30 the borrower prepays 3 000.00 of principal on 12-01 with its interest since the drawdown; the
# closes of 12-01..12-04 accrue on 9 000.00; on 12-05 the prepayment is found booked in error and reversed.
PREPAYMENT_EXAMPLE = [
    ("interest of the 4 closes before the prepayment (the loan's 应计利息)", 600),  # 12 000.00 × 4.5 % / 360 = 1.50 a day
    ("prepaid principal", 300_000),
    ("interest on it since the drawdown, collected", 150),  # 3 000.00 × 4.5 % / 360 × 4 days
    ("debited from the card on 12-01", 300_150),
    ("accrued by the 4 closes 12-01..12-04 on 9 000.00", 450),  # 1.125 a day, posted half-up with the carry: 1.13 1.12 1.13 1.12
    ("they would have accrued on 12 000.00", 600),
    ("difference posted on 12-05 (Dr 应计利息, Cr 利息收入)", 150),
    ("the loan's 应计利息 after the reversal", 1_200),  # 8 days × 1.50
    ("refunded to the card", 300_150),
    ("unpaid principal after the reversal", 1_200_000),
    ("installment 1 after the reversal (principal + interest)", 102_454),
]


async def _extras(loan_id):
    loan = await Loan.get(id=loan_id)
    line = await CreditLine.get(id=loan.credit_line_id)
    return loan.interest_carry, loan.status, loan.maturity_on, line.used_fen


async def test_a_prepayment_reversed_after_end_of_days_earns_its_interest_back_from_the_value_date_to_the_fen(bank, core, vault):
    loan = await _draw(core, vault)
    twin = await _draw(core, vault, card=TWIN_FAILS, sequence=358)  # the same loan, never prepaid
    await _close(core, vault, 4)  # 11-27 .. 11-30
    value_on = await business_date.current()
    accrued_before = (await Loan.get(id=loan.id)).accrued_interest_fen
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=300_000, idempotency_key=uuid.uuid4(), today=value_on, core=core, vault=vault)
    booking = await _last(loan.id, "prepayment")
    entries = await LedgerEntry.filter(transaction_id=booking.id)
    await _close(core, vault, 4)  # 12-01 .. 12-04
    today = await business_date.current()
    accrued_actual = (await Loan.get(id=loan.id)).accrued_interest_fen - accrued_before

    command = await _reverse(booking.id, core=core, vault=vault, today=today)

    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}  # what the checker saw
    window = f"{value_on.isoformat()} 至 {(today - timedelta(days=1)).isoformat()}"
    extra = await LedgerTransaction.get(loan_id=loan.id, kind="accrual", business_on=today)
    lines = {(e.account, e.debit_fen, e.credit_fen) for e in await LedgerEntry.filter(transaction_id=extra.id)}
    first = await Installment.get(loan_id=loan.id, number=1)
    actual = {
        "interest of the 4 closes before the prepayment (the loan's 应计利息)": accrued_before,
        "prepaid principal": sum(e.credit_fen for e in entries if e.account == "loan_principal"),
        "interest on it since the drawdown, collected": sum(e.credit_fen for e in entries if e.account == "interest_income"),
        "debited from the card on 12-01": sum(e.debit_fen for e in entries if e.account == "clearing"),
        "accrued by the 4 closes 12-01..12-04 on 9 000.00": accrued_actual,
        "they would have accrued on 12 000.00": figures[f"{window} 日终计提利息（实计 → 重算）"][1],
        "difference posted on 12-05 (Dr 应计利息, Cr 利息收入)": command.result["interest_fen"],
        "the loan's 应计利息 after the reversal": (await Loan.get(id=loan.id)).accrued_interest_fen,
        "refunded to the card": (await CoreInstruction.get(reference=f"reversal:{booking.id}")).amount_fen,
        "unpaid principal after the reversal": (await Loan.get(id=loan.id)).outstanding_principal_fen,
        "installment 1 after the reversal (principal + interest)": first.principal_fen + first.interest_fen,
    }
    assert (value_on, today) == (TODAY + timedelta(days=4), TODAY + timedelta(days=8))
    assert actual == dict(PREPAYMENT_EXAMPLE)
    assert lines == {("accrued_interest", 150, 0), ("interest_income", 0, 150)}
    assert figures[f"{window} 日终计提利息（实计 → 重算）"] == (450, 600)
    assert figures["借据应计利息"] == (1_050, 1_200)
    assert figures["借据未还本金"] == (900_000, 1_200_000)
    assert (command.result["penalty_fen"], command.result["compound_fen"]) == (0, 0)
    # the reversed loan is exactly the twin that went through the same closes never prepaid: schedule, balances, carries, line
    assert await _figures(loan.id) == await _figures(twin.id)
    assert await _extras(loan.id) == await _extras(twin.id)
    mirror = await LedgerTransaction.get(reverses_id=booking.id)
    assert (mirror.kind, mirror.business_on) == ("reversal", today)
    assert await ledger_check(today=today) == []
    await _close(core, vault, 3)  # the closes go on alike, books and core agree every day
    assert await _figures(loan.id) == await _figures(twin.id)
    assert await _extras(loan.id) == await _extras(twin.id)


async def test_a_payoff_reversed_after_its_due_date_passed_brings_the_loan_back_overdue_to_the_fen(bank, core, vault):
    """A full prepayment (结清) on 12-20; the first installment (12-27) falls due meanwhile on the settled loan; reversed on
    12-30 the loan is back, its first period's 45.00 interest due, installment 1 overdue three days with its penalty, and its
    next period accrued: exactly the twin that never paid and whose card had no money."""
    loan = await _draw(core, vault, card=FAILS)
    twin = await _draw(core, vault, card=TWIN_FAILS, sequence=358)
    await _close(core, vault, 23)  # 11-27 .. 12-19
    value_on = await business_date.current()
    await _set_card(loan, vault, PAYS)
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=None, payoff=True, idempotency_key=uuid.uuid4(), today=value_on, core=core, vault=vault)
    await _set_card(loan, vault, FAILS)
    booking = await _last(loan.id, "prepayment")
    assert await _clearing(booking.id) == 1_203_450  # 12 000.00 + 23 days × 1.50
    assert (await Loan.get(id=loan.id)).status == "settled"
    await _close(core, vault, 10)  # 12-20 .. 12-29
    today = await business_date.current()
    assert today == TODAY + timedelta(days=33)

    command = await _reverse(booking.id, core=core, vault=vault, today=today)

    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}
    window = f"{value_on.isoformat()} 至 {(today - timedelta(days=1)).isoformat()}"
    # 6 days × 1.50 + the period trued up to 45.00 (1.50) + 3 days on 11 020.46 (1.38 1.38 1.37)
    assert figures[f"{window} 日终计提利息（实计 → 重算）"] == (0, 1_463)
    assert figures[f"{window} 日终计罚息（实计 → 重算）"] == (0, 55)
    assert figures[f"{window} 日终计复利（实计 → 重算）"] == (0, 3)
    assert figures["借据状态"] == ("已结清", "未结清")
    assert figures["借据应计利息"] == (0, 413)
    assert (figures["逾期天数"], figures["五级分类"]) == (("0", "2"), ("正常", "关注"))
    assert (command.result["interest_fen"], command.result["penalty_fen"], command.result["compound_fen"]) == (1_463, 55, 3)
    extra = await LedgerTransaction.get(loan_id=loan.id, kind="accrual", business_on=today)
    lines = {(e.account, e.debit_fen, e.credit_fen) for e in await LedgerEntry.filter(transaction_id=extra.id)}
    # the payoff took the period's 34.50 out of 应计利息 (its mirror puts it back); tonight the loan holds 4.13 of it
    assert lines == {("interest_receivable", 4_500, 0), ("accrued_interest", 0, 3_037), ("interest_income", 0, 1_463)}
    assert await _owed(loan.id, today) == 97_954 + 4_500 + 55 + 3
    assert await _figures(loan.id) == await _figures(twin.id)
    assert await _extras(loan.id) == await _extras(twin.id)
    refund = await CoreInstruction.get(reference=f"reversal:{booking.id}")
    assert (refund.kind, refund.amount_fen, refund.outcome) == ("refund", 1_203_450, "done")
    assert await ledger_check(today=today) == []
    await _close(core, vault, 2)
    assert await _figures(loan.id) == await _figures(twin.id)
    assert await _extras(loan.id) == await _extras(twin.id)


async def _clearing(txn_id) -> int:
    return sum(e.debit_fen - e.credit_fen for e in await LedgerEntry.filter(transaction_id=txn_id, account="clearing"))


async def test_a_disbursement_reversed_after_end_of_days_cancels_the_loan_and_takes_back_every_accrual(bank, core, vault):
    loan = await _draw(core, vault)
    booking = await _last(loan.id, "disbursement")
    await _close(core, vault, 3)  # 11-27 .. 11-29: 3 × 1.50 accrued
    today = await business_date.current()
    assert (await Loan.get(id=loan.id)).accrued_interest_fen == 450

    command = await _reverse(booking.id, core=core, vault=vault, today=today)

    figures = {f["label"]: (f["before"], f["after"]) for f in command.preview["figures"]}
    assert figures["借据应计利息"] == (450, 0)
    assert figures["借据未还本金"] == (1_200_000, 0)
    assert figures["从借款人银行卡收回"] == (0, 1_200_000)
    assert command.result["interest_fen"] == -450
    loan = await Loan.get(id=loan.id)
    assert (loan.status, loan.outstanding_principal_fen, loan.accrued_interest_fen) == ("cancelled", 0, 0)
    assert (await CreditLine.get(id=loan.credit_line_id)).used_fen == 0  # the line is free again
    back = await CoreInstruction.get(reference=f"reversal:{booking.id}")
    assert (back.kind, back.amount_fen, back.outcome) == ("debit", 1_200_000, "done")
    taken = await LedgerTransaction.get(loan_id=loan.id, kind="accrual", business_on=today)
    lines = {(e.account, e.debit_fen, e.credit_fen) for e in await LedgerEntry.filter(transaction_id=taken.id)}
    assert lines == {("interest_income", 450, 0), ("accrued_interest", 0, 450)}  # compensating entries: the closes' stay
    assert await LedgerTransaction.filter(kind="accrual", business_on__lt=today).count() == 3
    assert await ledger_check(today=today) == []
    await _close(core, vault, 1)  # the next close leaves the cancelled loan alone, books and core agree
    assert (await Loan.get(id=loan.id)).accrued_interest_fen == 0


async def test_a_disbursement_with_a_booking_after_it_is_not_reversed_after_end_of_days(bank, core, vault):
    loan = await _draw(core, vault)
    booking = await _last(loan.id, "disbursement")
    await _close(core, vault, 1)
    today = await business_date.current()
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=100_000, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    await _close(core, vault, 1)
    with pytest.raises(Conflict) as refused:
        await propose_reversal(actor=await _actor("officer1"), transaction_id=booking.id, mode="refund", reason="误操作",
                               today=await business_date.current(), now=NOW, policy=MC)
    assert refused.value.message.startswith("该借据放款（2026-11-27）后已有提前还款，不能冲正放款")
    assert not await LedgerTransaction.filter(reverses_id=booking.id).exists()


async def test_a_prepayment_booked_to_the_wrong_loan_is_re_applied_after_end_of_days_and_listed_on_the_loan_page(bank, core, vault):
    """调账 after end-of-days: the wrong loan is value-dated back (its principal earns its interest again), the money goes to
    the right loan with no core movement (nothing due there yet: its 暂收款)."""
    from app.services.lending.reversal import reversible_bookings

    wrong = await _draw(core, vault)
    right = await _draw(core, vault, card=TWIN_FAILS, sequence=358)
    await _close(core, vault, 4)
    value_on = await business_date.current()
    await prepay(actor=SYSTEM, loan_id=wrong.id, amount_fen=300_000, idempotency_key=uuid.uuid4(), today=value_on, core=core, vault=vault)
    booking = await _last(wrong.id, "prepayment")
    await _close(core, vault, 2)
    today = await business_date.current()
    listed = await reversible_bookings(actor=await _actor("officer1"), loan_id=wrong.id, today=today)
    assert [(t.id, amount) for t, amount in listed] == [(booking.id, 300_150)]  # an earlier day's booking, nothing after it

    command = await _reverse(booking.id, mode="reapply", target=right.id, core=core, vault=vault, today=today)

    assert (command.result["interest_fen"], command.result["suspense_fen"]) == (75, 300_150)  # 2 × 1.50 − (1.13 + 1.12)
    assert (await Loan.get(id=wrong.id)).outstanding_principal_fen == 1_200_000
    assert (await Loan.get(id=wrong.id)).accrued_interest_fen == 900  # 6 days × 1.50
    assert not await CoreInstruction.filter(reference=f"reversal:{booking.id}").exists()  # no money moved
    assert await ledger_check(today=today) == []
    await _close(core, vault, 1)


async def test_a_prepayment_that_shortened_the_term_is_reversed_after_end_of_days_with_its_dropped_rows_back(bank, core, vault):
    """keep_installment (缩短期限): the prepayment dropped the last rows; reversed value-dated they come back, and the loan is
    the twin never prepaid (schedule, maturity, balances, carries, line)."""
    from app.models import Product

    loan = await _draw(core, vault)
    twin = await _draw(core, vault, card=TWIN_FAILS, sequence=358)
    await Product.filter(id=loan.product_id).update(prepayment_mode="keep_installment")
    await _close(core, vault, 2)
    value_on = await business_date.current()
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=600_000, idempotency_key=uuid.uuid4(), today=value_on, core=core, vault=vault)
    booking = await _last(loan.id, "prepayment")
    assert await Installment.filter(loan_id=loan.id).count() < 12
    await _close(core, vault, 3)
    today = await business_date.current()

    command = await _reverse(booking.id, core=core, vault=vault, today=today)

    assert await Installment.filter(loan_id=loan.id).count() == 12
    assert command.result["interest_fen"] == 225  # 3 closes × 6 000.00 × 4.5 % / 360
    assert await _figures(loan.id) == await _figures(twin.id)
    assert await _extras(loan.id) == await _extras(twin.id)
    assert await ledger_check(today=today) == []
    await _close(core, vault, 1)
    assert await _figures(loan.id) == await _figures(twin.id)
