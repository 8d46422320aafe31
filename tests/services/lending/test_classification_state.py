"""Stateful five-tier classification (issue 11, fault 9): DPD floor, manual floor, the non-performing hold,
the observation and the approver's upgrade. Each end-of-day is followed by ledger-check."""

import uuid
from datetime import date, timedelta

import pytest

from app.domain.classification import ClassificationPolicy, DpdMapping, LoanClass
from app.domain.errors import DomainError
from app.models import AuditEvent, BankCard, ClassUpgradeProposal, Installment, Loan, LoanClassChange, LoanRisk
from app.domain.vocabulary import ActorType
from app.services import business_date
from app.services.actor import Actor, SYSTEM
from app.services.auth.officers import branch_scope
from app.services.lending.classification import decide_upgrade, set_floor
from app.services.lending.drawdown import draw_down
from app.services.lending.eod import run_eod
from app.services.lending.ledger import ledger_check
from app.services.lending.repayment import repay
from app.services.customers.identifiers import card_fields
from tests.factories import customer_with_line, officer
from tests.services.lending.conftest import TODAY

FAILS = "6217000010000002"  # sandbox: insufficient funds
PAYS = "6217000010009999"
# short floors so that a test reaches 次级 and 非应计 in days, not months (the mechanism is the same)
SHORT = ClassificationPolicy(mapping=DpdMapping(1, 4, 8, 12), nonaccrual_after_days=3, observation_months=1, observation_periods=2)


async def _loan(core, vault, *, card=FAILS, amount_fen=1_200_000, term=12):
    _, line = await customer_with_line(vault, card=card)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=term, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)


async def _days(core, vault, n, policy=None):
    for _ in range(n):
        await run_eod(core=core, vault=vault, **({"policy": policy} if policy else {}))
        assert await ledger_check(today=await business_date.current() - timedelta(days=1)) == []


async def _until(core, vault, day: date, policy=None):
    """End-of-day for every business date before `day` (the business date is then `day`)."""
    await _days(core, vault, (day - await business_date.current()).days, policy)


async def _actor(username: str) -> Actor:
    o = await officer(username)
    return Actor(type=ActorType.OFFICER, id=o.id, role=o.role, branch_ids=await branch_scope(o.branch_id), bank_id=o.branch.bank_id)


async def _owed(loan_id, through: date, numbers=None) -> int:
    rows = await Installment.filter(loan_id=loan_id, due_on__lte=through).exclude(status="paid")
    return sum(i.principal_fen + i.interest_fen + i.penalty_fen + i.compound_fen
               - i.paid_principal_fen - i.paid_interest_fen - i.paid_penalty_fen - i.paid_compound_fen
               for i in rows if numbers is None or i.number in numbers)


async def _state(loan_id):
    loan = await Loan.get(id=loan_id)
    return loan.days_past_due, LoanClass(loan.classification)


async def test_an_unpaid_loan_is_not_past_due_on_its_due_date_and_is_from_the_next_day(bank, core, vault):
    loan = await _loan(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, first.due_on + timedelta(days=1))  # end-of-day of the due date has run
    assert await _state(loan.id) == (0, LoanClass.NORMAL)
    await _days(core, vault, 1)
    assert await _state(loan.id) == (1, LoanClass.SPECIAL_MENTION)
    change = await LoanClassChange.get(loan_id=loan.id)
    assert (change.business_on, change.from_class, change.to_class, change.days_past_due, change.source) == (
        first.due_on + timedelta(days=1), LoanClass.NORMAL, LoanClass.SPECIAL_MENTION, 1, "eod")


async def test_grace_days_do_not_count_for_the_class(bank, core, vault):
    loan = await _loan(core, vault)
    first = await Installment.get(loan_id=loan.id, number=1)
    grace = ClassificationPolicy(grace_days=2)
    await _until(core, vault, first.due_on + timedelta(days=3), grace)
    assert await _state(loan.id) == (2, LoanClass.NORMAL)  # days past due are true; the class waits out the grace
    await _days(core, vault, 1, grace)
    assert await _state(loan.id) == (3, LoanClass.SPECIAL_MENTION)


async def test_a_payment_never_moves_a_non_performing_loan_up_and_repaid_arrears_start_the_observation(bank, core, vault):
    loan = await _loan(core, vault)
    rows = await Installment.filter(loan_id=loan.id).order_by("number")
    await _until(core, vault, rows[0].due_on + timedelta(days=92))  # 91 days past due at the last end-of-day
    assert await _state(loan.id) == (91, LoanClass.SUBSTANDARD)
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    today = await business_date.current()
    # the three oldest installments in full: the earliest unpaid is now the fourth, one day past due
    paid = await _owed(loan.id, today, numbers={1, 2, 3})
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=paid, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    assert await _state(loan.id) == ((today - rows[3].due_on).days, LoanClass.SUBSTANDARD)
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, FAILS))  # tonight's auto-debit fails
    await _days(core, vault, 1)
    assert await _state(loan.id) == ((today - rows[3].due_on).days, LoanClass.SUBSTANDARD)  # end-of-day of `today`
    assert not await LoanRisk.filter(loan_id=loan.id, observing_since__not_isnull=True).exists()  # arrears remain
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    today = await business_date.current()
    rest = await _owed(loan.id, today)
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=rest, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    await _days(core, vault, 1)
    assert await _state(loan.id) == (0, LoanClass.SUBSTANDARD)  # all arrears repaid: held until an approver decides
    assert (await LoanRisk.get(loan_id=loan.id)).observing_since == today
    changes = await LoanClassChange.filter(loan_id=loan.id).order_by("business_on").values_list("to_class", flat=True)
    assert changes == [LoanClass.SPECIAL_MENTION, LoanClass.SUBSTANDARD]  # nothing moved it up
    assert not await ClassUpgradeProposal.filter(loan_id=loan.id).exists()


async def test_a_manual_floor_holds_overnight_and_only_an_approved_proposal_upgrades(bank, core, vault):
    loan = await _loan(core, vault, card=PAYS)
    approver, officer1 = await _actor("approver"), await _actor("officer1")
    with pytest.raises(DomainError) as err:
        await set_floor(actor=officer1, loan_id=loan.id, floor="doubtful", reason="  ", today=TODAY)
    assert err.value.code == "REASON_REQUIRED"
    customer = Actor(type=ActorType.CUSTOMER, id=loan.customer_id)
    with pytest.raises(DomainError) as err:
        await set_floor(actor=customer, loan_id=loan.id, floor="doubtful", reason="经营失败", today=TODAY)
    assert err.value.code == "FORBIDDEN"
    await set_floor(actor=officer1, loan_id=loan.id, floor="doubtful", reason="经营失败，担保人失联", today=TODAY)
    assert await _state(loan.id) == (0, LoanClass.DOUBTFUL)  # at once
    await _days(core, vault, 3, SHORT)
    assert await _state(loan.id) == (0, LoanClass.DOUBTFUL)  # end-of-day does not undo it
    change = await LoanClassChange.get(loan_id=loan.id)
    assert (change.source, change.reason, change.officer_id, change.to_class) == ("floor", "经营失败，担保人失联", officer1.id, LoanClass.DOUBTFUL)
    assert await AuditEvent.filter(action="loan.class_floor", entity_id=str(loan.id)).count() == 1
    # the floor is lifted; the loan stays 可疑 (non-performing) and, paying on time, is observed
    await set_floor(actor=approver, loan_id=loan.id, floor=None, reason="担保人已落实", today=await business_date.current())
    first, second = await Installment.filter(loan_id=loan.id, number__in=[1, 2]).order_by("number")
    await _until(core, vault, second.due_on, SHORT)
    assert await _state(loan.id) == (0, LoanClass.DOUBTFUL)
    since = (await LoanRisk.get(loan_id=loan.id)).observing_since
    assert since is not None and not await ClassUpgradeProposal.filter(loan_id=loan.id).exists()
    third = await Installment.get(loan_id=loan.id, number=3)
    # observation: the later of one month after it started and the second due date after it, each paid on time
    ends = max(since + timedelta(days=31), third.due_on if since >= first.due_on else second.due_on)
    await _until(core, vault, ends, SHORT)
    assert not await ClassUpgradeProposal.filter(loan_id=loan.id).exists()
    await _days(core, vault, 1, SHORT)  # end-of-day of the day the observation ends
    proposal = await ClassUpgradeProposal.get(loan_id=loan.id)
    assert (proposal.status, proposal.from_class, proposal.proposed_class, proposal.raised_on) == ("pending", LoanClass.DOUBTFUL, LoanClass.NORMAL, ends)
    await _days(core, vault, 2, SHORT)
    assert await _state(loan.id) == (0, LoanClass.DOUBTFUL)  # a proposal is not an upgrade
    today = await business_date.current()
    with pytest.raises(DomainError) as err:
        await decide_upgrade(actor=officer1, proposal_id=proposal.id, approve=True, today=today)
    assert err.value.code == "FORBIDDEN"
    with pytest.raises(DomainError) as err:
        await decide_upgrade(actor=approver, proposal_id=proposal.id, approve=True, to_class="loss", today=today)
    assert err.value.code == "INVALID_CLASS"
    decided = await decide_upgrade(actor=approver, proposal_id=proposal.id, approve=True, to_class="special_mention", note="经营恢复", today=today)
    assert (decided.status, decided.decided_class, decided.decided_by_id) == ("approved", LoanClass.SPECIAL_MENTION, approver.id)
    assert await _state(loan.id) == (0, LoanClass.SPECIAL_MENTION)
    with pytest.raises(DomainError) as err:
        await decide_upgrade(actor=approver, proposal_id=proposal.id, approve=True, today=today)
    assert err.value.code == "ALREADY_DECIDED"
    await _days(core, vault, 1, SHORT)
    assert await _state(loan.id) == (0, LoanClass.NORMAL)  # performing again: it follows its days past due
    last = await LoanClassChange.filter(loan_id=loan.id).order_by("-created_at").limit(2).values_list("source", "to_class")
    assert last == [("eod", LoanClass.NORMAL), ("upgrade", LoanClass.SPECIAL_MENTION)]


async def test_a_restructuring_floor_is_at_least_special_mention(bank, core, vault):
    loan = await _loan(core, vault, card=PAYS)
    with pytest.raises(DomainError) as err:
        await set_floor(actor=await _actor("approver"), loan_id=loan.id, floor="normal", kind="restructured", reason="展期", today=TODAY)
    assert err.value.code == "INVALID_CLASS"
    await set_floor(actor=await _actor("approver"), loan_id=loan.id, floor="special_mention", kind="restructured", reason="展期", today=TODAY)
    await _days(core, vault, 2)
    assert await _state(loan.id) == (0, LoanClass.SPECIAL_MENTION)


async def test_settling_a_loan_records_its_class_going_back_to_normal(bank, core, vault):
    loan = await _loan(core, vault, term=1)
    only = await Installment.get(loan_id=loan.id, number=1)
    await _until(core, vault, only.due_on + timedelta(days=3))
    assert await _state(loan.id) == (2, LoanClass.SPECIAL_MENTION)
    await BankCard.filter(id=loan.card_id).update(**card_fields(vault, PAYS))
    today = await business_date.current()
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=await _owed(loan.id, today), idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    await _days(core, vault, 1)
    loan = await Loan.get(id=loan.id)
    assert (loan.status, loan.classification) == ("settled", LoanClass.NORMAL)
    changes = await LoanClassChange.filter(loan_id=loan.id).order_by("created_at").values_list("source", "from_class", "to_class", "business_on")
    assert changes == [
        ("eod", LoanClass.NORMAL, LoanClass.SPECIAL_MENTION, only.due_on + timedelta(days=1)),
        ("settled", LoanClass.SPECIAL_MENTION, LoanClass.NORMAL, today),
    ]
