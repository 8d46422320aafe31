"""Every core call has three outcomes: done, refused, unknown — and unknown is never shown as failed."""

import uuid

import httpx
import pytest

from app.domain.errors import DomainError
from app.integrations.core_banking import HttpCoreBanking, Outcome, SandboxCoreBanking
from app.models import CoreInstruction, Installment, LedgerEntry, Loan
from app.domain.vocabulary import CoreOutcome, LoanStatus
from app.services.actor import SYSTEM
from app.services.lending.core_outcomes import resolve_pending
from app.services.lending.drawdown import draw_down
from app.services.lending.ledger import ledger_check
from app.services.lending.reconcile import reconcile_day
from app.services.lending.repayment import repay
from tests.factories import customer_with_line
from tests.services.lending.conftest import TODAY


async def _draw(core, vault, card, amount_fen=500_000, key=None):
    _, line = await customer_with_line(vault, card=card)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=amount_fen, term_months=3, method="equal_installment",
                           idempotency_key=key or uuid.uuid4(), today=TODAY, core=core, vault=vault)


def _timeout_after_paying(paid: list[str]) -> httpx.MockTransport:
    """A gateway that pays the card, then loses the answer (read timeout); 查询交易状态 then says done."""

    def handler(request: httpx.Request) -> httpx.Response:
        if request.method == "POST":
            paid.append(request.read().decode())
            raise httpx.ReadTimeout("timed out", request=request)
        return httpx.Response(200, json={"ok": True, "core_ref": "CORE0001"})

    return httpx.MockTransport(handler)


async def test_a_disbursement_that_times_out_after_the_core_paid_ends_booked(bank, vault):
    paid: list[str] = []
    core = HttpCoreBanking("https://core.example", api_key="k", transport=_timeout_after_paying(paid))
    loan = await _draw(core, vault, "6217000010001234")
    assert len(paid) == 1
    loan = await Loan.get(id=loan.id)
    assert (loan.status, loan.disbursement_ref) == (LoanStatus.ACTIVE, "CORE0001")
    clearing = await LedgerEntry.get(loan_id=loan.id, account="clearing")
    assert (clearing.credit_fen, clearing.core_reference) == (500_000, (await CoreInstruction.get(loan_id=loan.id)).reference)
    assert await ledger_check(today=TODAY) == []


async def test_an_http_error_is_unknown_never_refused():
    def handler(request: httpx.Request) -> httpx.Response:
        return httpx.Response(502, text="bad gateway")

    core = HttpCoreBanking("https://core.example", api_key="k", transport=httpx.MockTransport(handler))
    result = await core.debit(reference="r1", card_number="6217000010001234", amount_fen=100)
    assert (result.outcome, result.ok) == (Outcome.UNKNOWN, False)
    assert (await core.status("r1")).outcome is Outcome.UNKNOWN


async def test_the_sandbox_books_are_shared_by_every_process(bank):
    first, other = SandboxCoreBanking(), SandboxCoreBanking()  # two processes' adapters over one database
    done = await first.debit(reference="ref-1", card_number="6217000010001234", amount_fen=1234)
    again = await other.debit(reference="ref-1", card_number="6217000010001234", amount_fen=1234)
    assert done.ok and again == done  # the same instruction: the first result, no second movement
    assert (await other.status("ref-1")).core_ref == done.core_ref
    assert [(j.reference, j.kind, j.amount_fen) for j in await other.journal(TODAY)] == [("ref-1", "debit", 1234)]
    assert (await other.status("never-sent")).outcome is Outcome.REFUSED


async def test_sandbox_timeout_after_booking_then_status_says_done(bank, vault):
    core = SandboxCoreBanking()
    lost = await core.debit(reference="ref-5", card_number="6217000010000005", amount_fen=700)
    assert lost.outcome is Outcome.UNKNOWN
    assert (await core.status("ref-5")).ok and [j.amount_fen for j in await core.journal(TODAY)] == [700]
    never = await core.debit(reference="ref-6", card_number="6217000010000006", amount_fen=700)
    assert never.outcome is Outcome.UNKNOWN and (await core.status("ref-6")).reason == "无此交易"


async def test_a_disbursement_still_unknown_is_processing_then_the_resolver_books_it(bank, core, vault):
    loan = await _draw(core, vault, "6217000010000007")  # sandbox: paid, answer lost, first status query lost too
    loan = await Loan.get(id=loan.id)
    assert loan.status == LoanStatus.DISBURSING  # 放款处理中, not 未放款
    assert not await LedgerEntry.filter(loan_id=loan.id).exists()
    assert await ledger_check(today=TODAY) == []
    breaks = await reconcile_day(TODAY, core=core)
    assert sorted(b.what for b in breaks) == ["处理中，结果未确认", "核心已记账（disburse），账务无分录"]
    assert await resolve_pending(core) == (1, 0)
    loan = await Loan.get(id=loan.id)
    assert loan.status == LoanStatus.ACTIVE and loan.disbursement_ref.startswith("SBX")
    assert sum(e.debit_fen for e in await LedgerEntry.filter(loan_id=loan.id, account="loan_principal")) == 500_000
    assert await reconcile_day(TODAY, core=core) == [] and await ledger_check(today=TODAY) == []


async def test_a_disbursement_the_core_never_received_is_refused_not_left_hanging(bank, core, vault):
    with pytest.raises(DomainError) as err:
        await _draw(core, vault, "6217000010000006")
    assert err.value.code == "DISBURSEMENT_FAILED" and "无此交易" in err.value.message
    assert not await Loan.all().exists() and await reconcile_day(TODAY, core=core) == []


async def test_a_repayment_still_unknown_says_processing_blocks_a_second_one_and_is_booked_later(bank, vault):
    core = SandboxCoreBanking()
    loan = await _draw(core, vault, "6217000010000007")
    await resolve_pending(core)
    first = await Installment.get(loan_id=loan.id, number=1)
    await Installment.filter(id=first.id).update(due_on=TODAY)  # due today, so there is something to repay
    owed = first.interest_fen + first.principal_fen
    await _make_interest_due(loan.id, first.interest_fen)
    with pytest.raises(DomainError) as err:
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=owed, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    assert err.value.code == "DEBIT_PENDING" and "处理中" in err.value.message and "未扣款" not in err.value.message
    with pytest.raises(DomainError) as again:
        await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=100, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    assert again.value.code == "DEBIT_IN_FLIGHT"
    assert await resolve_pending(core) == (1, 0)
    assert (await Installment.get(id=first.id)).status == "paid"
    assert (await Loan.get(id=loan.id)).debit_in_flight is None
    assert await ledger_check(today=TODAY) == [] and await reconcile_day(TODAY, core=core) == []
    assert (await CoreInstruction.get(purpose="repayment")).outcome == CoreOutcome.DONE


async def _make_interest_due(loan_id, interest_fen):
    """The first period's interest falls due (what end-of-day does on the due date)."""
    from app.domain.ledger import Account, Posting
    from app.services.lending import ledger

    await ledger.post(kind="interest_due", business_on=TODAY, loan_id=loan_id, memo="test",
                      postings=[Posting(Account.INTEREST_RECEIVABLE, debit_fen=interest_fen), Posting(Account.INTEREST_INCOME, credit_fen=interest_fen)])
