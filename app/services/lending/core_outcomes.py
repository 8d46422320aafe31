"""Settling what the core did: pending (处理中) instructions, and money held in suspense (暂收款).

`resolve_pending` asks the core (`status`) about every instruction still 处理中 and books it:
a disbursement activates its loan (or cancels it when refused), a debit pays what is due on
its loan (any excess to suspense), a refund takes money out of suspense. `settle_suspense`
gives suspense back to the card (the default) or applies it to the next amount due when the
product says so (`excess_debit = "apply_next"`). Both are safe to run at any time, from a
worker's cron or from the day's close (`debit_due` runs them first).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app import clock
from app.crypto import Vault
from app.integrations.core_banking import CoreBanking, Outcome, TransferResult
from app.models import BankCard, CoreInstruction, DebitAttempt, Loan
from app.domain.vocabulary import CoreOutcome, LoanStatus
from app.domain.ledger import Account, Posting
from app.services import audit, business_date
from app.services.customers import identifiers
from app.services.actor import SYSTEM
from app.services.lending import ledger
from app.services.lending.drawdown import book_disbursement, cancel_disbursement
from app.services.lending.repayment import book_cash
from app.sql import fetch

logger = logging.getLogger(__name__)


async def _close(instruction: CoreInstruction, result: TransferResult) -> None:
    outcome = CoreOutcome.DONE if result.ok else CoreOutcome.REFUSED
    await CoreInstruction.filter(id=instruction.id).update(
        outcome=outcome, core_ref=result.core_ref, reason=result.reason[:128], resolved_at=clock.now_utc()
    )


async def book_done(instruction: CoreInstruction) -> None:
    """Book a movement the core confirmed (inside a transaction)."""
    on, ref = instruction.business_on, instruction.reference
    if instruction.purpose == "drawdown":
        loan = await Loan.get(id=instruction.loan_id)
        card = await BankCard.get(id=loan.card_id)
        await book_disbursement(loan, card.card_number_masked, ref, instruction.core_ref, on)
    elif instruction.purpose == "recovery":  # a written-off loan: principal back to the allowance, interest to income
        from app.services.lending.write_off import book_recovery

        await book_recovery(instruction.loan_id, instruction.amount_fen, on=on, reference=ref)
        await Loan.filter(id=instruction.loan_id, debit_in_flight=ref).update(debit_in_flight=None)
    elif instruction.kind == "debit":
        memo = "自动扣款" if instruction.purpose == "auto_debit" else "还款（核心系统确认）"
        await book_cash(instruction.loan_id, instruction.amount_fen, on=on, kind=instruction.purpose, memo=memo, core_reference=ref)
        await Loan.filter(id=instruction.loan_id, debit_in_flight=ref).update(debit_in_flight=None)
    elif instruction.kind == "refund":
        await _book_refund(instruction)


async def _book_refund(instruction: CoreInstruction) -> None:
    await ledger.post(
        kind="suspense_refund", business_on=instruction.business_on, loan_id=instruction.loan_id, memo="暂收款退回银行卡",
        core_reference=instruction.reference,
        postings=[Posting(Account.SUSPENSE, debit_fen=instruction.amount_fen), Posting(Account.CLEARING, credit_fen=instruction.amount_fen)],
    )
    await audit.record(SYSTEM, "loan.suspense_refund", "loan", instruction.loan_id, after={"amount_fen": instruction.amount_fen})


async def book_refused(instruction: CoreInstruction, reason: str) -> None:
    if instruction.purpose == "drawdown":
        await cancel_disbursement(await Loan.get(id=instruction.loan_id), reason)
    elif instruction.kind == "debit":
        await Loan.filter(id=instruction.loan_id, debit_in_flight=instruction.reference).update(debit_in_flight=None)


async def _attempt(instruction: CoreInstruction, ok: bool, reason: str) -> None:
    if instruction.purpose == "auto_debit":
        await DebitAttempt.create(loan_id=instruction.loan_id, business_on=instruction.business_on, amount_fen=instruction.amount_fen, ok=ok,
                                  reason=reason[:128])


async def resolve(instruction: CoreInstruction, result: TransferResult) -> bool:
    """Close one pending instruction with the core's answer; False while it is still unknown."""
    if result.outcome is Outcome.UNKNOWN:
        return False
    async with in_transaction():
        claimed = await CoreInstruction.filter(id=instruction.id, outcome=CoreOutcome.PENDING).update(outcome=CoreOutcome.DONE if result.ok else CoreOutcome.REFUSED)
        if not claimed:
            return True  # another process settled it
        await _close(instruction, result)
        instruction.core_ref = result.core_ref
        if result.ok:
            await book_done(instruction)
        else:
            await book_refused(instruction, result.reason)
        await _attempt(instruction, result.ok, result.reason)
    return True


async def resolve_pending(core: CoreBanking, *, limit: int = 1000) -> tuple[int, int]:
    """Ask the core about every 处理中 instruction; returns (settled, still pending)."""
    settled = waiting = 0
    for instruction in await CoreInstruction.filter(outcome=CoreOutcome.PENDING).order_by("created_at").limit(limit):
        if await resolve(instruction, await core.status(instruction.reference)):
            settled += 1
        else:
            waiting += 1
    if settled or waiting:
        logger.info("core instructions: %s settled, %s still pending", settled, waiting)
    return settled, waiting


SUSPENSE_SQL = """
SELECT e.loan_id, SUM(e.credit_fen - e.debit_fen) AS held, l.status, l.card_id, p.excess_debit
FROM ledger_entry e JOIN loan l ON l.id = e.loan_id JOIN product p ON p.id = l.product_id
WHERE e.account = 'suspense' GROUP BY e.loan_id, l.status, l.card_id, p.excess_debit HAVING SUM(e.credit_fen - e.debit_fen) <> 0
"""


async def suspense_balances() -> list[dict]:
    """Loans holding money in suspense (暂收款), with what they hold (fen)."""
    return [dict(r) for r in await fetch(SUSPENSE_SQL)]


async def settle_suspense(on: date, *, core: CoreBanking, vault: Vault) -> int:
    """Refund suspense to the card (default), or apply it to what is due where the product says so; returns fen refunded."""
    refunded = 0
    for row in await suspense_balances():
        held = int(row["held"])
        if held <= 0:
            continue
        if row["excess_debit"] == "apply_next" and row["status"] == LoanStatus.ACTIVE.value:
            async with in_transaction():
                await book_cash(row["loan_id"], held, on=on, kind="suspense_apply", memo="暂收款抵扣到期款项", core_reference=None, from_suspense=True)
            continue
        refunded += await _refund(row["loan_id"], row["card_id"], held, on, core=core, vault=vault)
    return refunded


async def _refund(loan_id, card_id, amount_fen: int, on: date, *, core: CoreBanking, vault: Vault) -> int:
    if await CoreInstruction.filter(loan_id=loan_id, kind="refund", outcome=CoreOutcome.PENDING).exists():
        return 0  # one refund at a time; the resolver settles it
    original = await CoreInstruction.filter(loan_id=loan_id, kind="debit", outcome=CoreOutcome.DONE).order_by("-created_at").first()
    if original is None or card_id is None:
        return 0
    n = await CoreInstruction.filter(loan_id=loan_id, kind="refund", business_on=on).count()
    try:  # recorded (committed) before the call: a crash leaves it pending for the resolver; a concurrent refund loses here
        instruction = await CoreInstruction.create(
            reference=f"refund:{loan_id}:{on.isoformat()}:{n + 1}", kind="refund", purpose="refund", loan_id=loan_id, amount_fen=amount_fen,
            business_on=on,
        )
    except IntegrityError:
        return 0
    card = await BankCard.get(id=card_id)
    number = await identifiers.reveal(vault, card.card_number_enc, kind="card_number", actor=SYSTEM, entity=("bank_card", card.id), purpose="refund")
    result = await core.refund(reference=instruction.reference, original_reference=original.reference, card_number=number, amount_fen=amount_fen)
    if result.unknown:
        result = await core.status(instruction.reference)
    await resolve(instruction, result)
    return amount_fen if result.ok else 0



@dataclass(frozen=True, slots=True)
class Settlement:
    settled: int
    pending: int
    refunded_fen: int


async def settle_core(*, core: CoreBanking, vault: Vault) -> Settlement:
    """One pass of the resolver (worker cron, `cunxin resolve-core`): pending instructions, then suspense, on the current business date."""
    settled, pending = await resolve_pending(core)
    refunded = await settle_suspense(await business_date.current(), core=core, vault=vault)
    return Settlement(settled, pending, refunded)
