"""The outbox to the provincial credit system.

`enqueue_outbox` writes a message row in the caller's open transaction, so the message exists
if and only if the business change committed. A worker cron (`workers/default.py`) calls
`send_due_messages` every minute. A message follows the one job lifecycle (app/services/job_lifecycle):
pending → running → sent | dead with a reason. Each due message is claimed (running) with a
compare-and-set on its attempt count (two workers never send the same attempt), its next try is
pushed out by the back-off *before* sending, then it becomes `sent`, goes back to `pending` for a
retry, or `dead` (refused for good, or the last attempt failed). An attempt still running after
two minutes (the worker crashed mid-send) is freed for the next attempt, or made dead when it was
the last, by the default worker's reconciler. The receiver deduplicates on the message id
(`Idempotency-Key`): delivery is at least once. Admins list dead letters and retry them (重试).
"""

from __future__ import annotations

import hashlib
import logging
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from uuid import UUID, uuid4

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app import clock
from app.domain import idcard
from app.domain.errors import Conflict, NotFound
from app.domain.permissions import Action
from app.domain.money import yuan_str
from app.integrations.provincial import ProvincialCreditSystem, ProvincialRejected, ProvincialUnavailable
from app.models import Branch, Contract, CreditLine, Customer, OutboxMessage, Product
from app.models.outbox import OutboxKind, OutboxStatus
from app.services import audit
from app.services.actor import Actor
from app.services.org import bank_of_branch
from app.services.permissions import require

logger = logging.getLogger(__name__)

CUSTOMER_HASH_CONTEXT = "cunxin-provincial-v1:"
MAX_ERROR = 256


def customer_hash(customer: Customer) -> str:
    """A stable pseudonym for the provincial system, derived from the keyed lookup hash (not reversible)."""
    return hashlib.sha256((CUSTOMER_HASH_CONTEXT + customer.id_number_hash).encode()).hexdigest()


def _plaintext_ids(value: Any) -> bool:
    if isinstance(value, dict):
        return any(_plaintext_ids(v) for v in value.values())
    if isinstance(value, list | tuple):
        return any(_plaintext_ids(v) for v in value)
    if isinstance(value, str) and 15 <= len(value) <= 18:
        return idcard.is_valid(value)
    return False


async def enqueue_outbox(kind: OutboxKind | str, payload: dict[str, Any], *, key: str | None = None, now: datetime | None = None) -> OutboxMessage:
    """Add a message in the current transaction (call it inside the business change's `in_transaction()`).

    `key` names the business event ("line_granted:<line id>"): enqueueing the same event twice
    returns the first message. A payload holding a whole ID number is a bug and raises ValueError.
    """
    kind = OutboxKind(kind)
    if _plaintext_ids(payload):
        raise ValueError("outbox payloads must not carry plaintext ID numbers")
    key = key or f"{kind.value}:{uuid4()}"
    existing = await OutboxMessage.get_or_none(key=key)
    if existing is not None:
        return existing
    return await OutboxMessage.create(kind=kind, key=key, payload=payload, status=OutboxStatus.PENDING, next_attempt_at=now or clock.now_utc())


async def institution(branch_id: UUID) -> dict[str, Any]:
    """The member bank a message is about (the branch's): its institution code and legal name, for the provincial system."""
    bank = await bank_of_branch(branch_id)
    return {"institutionCode": bank.code if bank else None, "institutionName": bank.legal_name if bank else None}


async def line_granted_payload(line: CreditLine) -> dict[str, Any]:
    customer = await Customer.get(id=line.customer_id)
    product = await Product.get(id=line.product_id)
    branch = await Branch.get(id=line.branch_id)
    return {
        "lineId": str(line.id), "customerHash": customer_hash(customer), "idNumberMasked": customer.id_number_masked,
        "name": customer.name, "branchCode": branch.code, "productCode": product.code, "limit": yuan_str(line.limit_fen),
        "validFrom": line.valid_from.isoformat(), "validUntil": line.valid_until.isoformat(), "spreadBp": line.spread_bp,
        "grantedAt": line.granted_at.isoformat() if line.granted_at else None, **await institution(line.branch_id),
    }


async def contract_signed_payload(contract: Contract, *, sha256: str) -> dict[str, Any]:
    customer = await Customer.get(id=contract.customer_id)
    co = await Customer.get(id=contract.co_borrower_id) if contract.co_borrower_id else None
    line = await CreditLine.get(id=contract.credit_line_id)
    return {
        "contractId": str(contract.id), "contractNumber": contract.number, "lineId": str(contract.credit_line_id),
        "customerHash": customer_hash(customer), "idNumberMasked": customer.id_number_masked,
        "coBorrowerHash": customer_hash(co) if co else None, "limit": yuan_str(line.limit_fen),
        "annualRatePpm": contract.annual_rate_ppm, "signedOn": contract.contract_on.isoformat(),
        "sealedAt": contract.sealed_at.isoformat() if contract.sealed_at else None, "documentSha256": sha256,
        **await institution(line.branch_id),
    }


async def enqueue_line_granted(line: CreditLine, *, now: datetime | None = None) -> OutboxMessage:
    """The `line_granted` message for a line; call it inside the transaction that grants the line:

        async with in_transaction():
            line = await grant_credit_line(...)   # its own in_transaction() nests (a savepoint)
            await enqueue_line_granted(line)
    """
    return await enqueue_outbox(OutboxKind.LINE_GRANTED, await line_granted_payload(line), key=f"line_granted:{line.id}", now=now)


def backoff(attempt: int, *, base_seconds: int, max_seconds: int) -> timedelta:
    """Delay after failed attempt n (1-based): base, 2×base, 4×base, … capped."""
    return timedelta(seconds=min(max_seconds, base_seconds * 2 ** max(0, attempt - 1)))


@dataclass(frozen=True, slots=True)
class SendReport:
    sent: int = 0
    retried: int = 0
    dead: int = 0
    skipped: int = 0  # claimed by another worker first


async def send_due_messages(
    *,
    adapter: ProvincialCreditSystem,
    now: datetime,
    max_attempts: int,
    base_seconds: int,
    max_seconds: int,
    limit: int = 200,
) -> SendReport:
    """Send every message due at `now` (up to `limit`), one attempt each."""
    counts = {"sent": 0, "retried": 0, "dead": 0, "skipped": 0}
    due = await OutboxMessage.filter(status=OutboxStatus.PENDING, next_attempt_at__lte=now).order_by("next_attempt_at").limit(limit)
    for message in due:
        attempt = message.attempts + 1
        retry_at = now + backoff(attempt, base_seconds=base_seconds, max_seconds=max_seconds)
        claimed = await OutboxMessage.filter(id=message.id, status=OutboxStatus.PENDING, attempts=message.attempts).update(
            status=OutboxStatus.RUNNING, attempts=F("attempts") + 1, next_attempt_at=retry_at, started_at=now,
        )
        if not claimed:
            counts["skipped"] += 1
            continue
        mine = {"id": message.id, "status": OutboxStatus.RUNNING, "attempts": attempt}
        try:
            receipt = await adapter.send(message_id=message.id, kind=message.kind.value, payload=message.payload, attempt=attempt)
        except ProvincialRejected as exc:
            await OutboxMessage.filter(**mine).update(status=OutboxStatus.DEAD, last_error=exc.message[:MAX_ERROR])
            counts["dead"] += 1
            logger.warning("outbox %s %s rejected on attempt %s", message.id, message.kind.value, attempt)
            continue
        except Exception as exc:  # unavailable, or an adapter bug: either way this attempt failed
            error = exc.message if isinstance(exc, ProvincialUnavailable) else f"发送失败（{type(exc).__name__}）"
            final = attempt >= max_attempts
            update = {"last_error": error[:MAX_ERROR], "status": OutboxStatus.DEAD if final else OutboxStatus.PENDING}
            await OutboxMessage.filter(**mine).update(**update)
            counts["dead" if final else "retried"] += 1
            logger.info("outbox %s attempt %s failed%s", message.id, attempt, " (dead)" if final else "")
            continue
        await OutboxMessage.filter(**mine).update(status=OutboxStatus.SENT, sent_at=now, remote_ref=receipt.ref[:64], last_error=None)
        counts["sent"] += 1
    return SendReport(**counts)


def _require_admin(actor: Actor) -> None:
    require(actor, Action.OUTBOX_RESEND)


async def dead_letters(*, actor: Actor, limit: int = 100) -> list[OutboxMessage]:
    _require_admin(actor)
    return await OutboxMessage.filter(status=OutboxStatus.DEAD).order_by("-created_at").limit(limit)
