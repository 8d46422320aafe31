"""A core-banking money call and what it came to: done, refused or unknown (处理中).

An unknown answer (timeout, HTTP error) is never shown as failed: it is asked again with
`status(reference)` at once; if that is still unknown the instruction stays `pending`
(处理中) and app/services/lending/core_outcomes.py settles it later.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from app import clock
from app.integrations.core_banking import CoreBanking, Outcome, TransferResult
from app.models import CoreInstruction
from app.domain.vocabulary import CoreOutcome

IN_FLIGHT_MESSAGE = "自动扣款处理中，请稍后再试（本期款项正在从您的银行卡扣收，请勿重复还款）"
PENDING_DEBIT_MESSAGE = "扣款处理中：核心系统暂未返回结果，请勿重复还款，稍后可在借据页查看结果"

OUTCOMES = {Outcome.DONE: CoreOutcome.DONE, Outcome.REFUSED: CoreOutcome.REFUSED, Outcome.UNKNOWN: CoreOutcome.PENDING}


async def settle(core: CoreBanking, reference: str, result: TransferResult) -> TransferResult:
    """The best-known result: an unknown answer is asked again once through 查询交易状态."""
    if result.unknown:
        return await core.status(reference)
    return result


async def record(
    *, reference: str, kind: str, purpose: str, loan_id: UUID | str | None, amount_fen: int, on: date, result: TransferResult,
    payload: dict | None = None,
) -> CoreInstruction:
    """The instruction and its outcome, written with the booking (call inside the caller's transaction)."""
    outcome = OUTCOMES[result.outcome]
    return await CoreInstruction.create(
        reference=reference, kind=kind, purpose=purpose, loan_id=loan_id, amount_fen=amount_fen, business_on=on, outcome=outcome,
        core_ref=result.core_ref, reason=result.reason[:128], payload=payload or {},
        resolved_at=None if outcome is CoreOutcome.PENDING else clock.now_utc(),
    )
