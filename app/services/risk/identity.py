"""Online identity check (联网核查): ask the adapter, store the outcome, audit the number's use."""

from __future__ import annotations

from datetime import datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import idcard
from app.domain.error_codes import CreditCheckCode
from app.domain.errors import DomainError, ValidationError
from app.integrations.identity import IdentityCheck, IdentityCheckError, IdentityCheckTimeout
from app.models import Customer, IdentityVerification
from app.models.risk import IdentityOutcome
from app.services import audit
from app.services.actor import Actor
from app.services.risk.common import customer_in_scope, officer_id, require_staff


async def verify_identity(
    *,
    actor: Actor,
    identity_check: IdentityCheck,
    vault: Vault,
    now: datetime,
    customer_id: UUID | None = None,
    name: str | None = None,
    id_number: str | None = None,
    portrait: bytes | None = None,
) -> IdentityVerification:
    """Check a customer on file (by id) or a name + number typed or read by OCR.

    The outcome is stored in every case; a timeout or an unavailable service is then
    raised (IDENTITY_CHECK_TIMEOUT / IDENTITY_CHECK_FAILED): it is never a match.
    """
    require_staff(actor)
    customer: Customer | None = None
    if customer_id is not None:
        customer = await customer_in_scope(actor, customer_id)
        name = customer.name
        number = vault.decrypt(customer.id_number_enc, context=b"id_number")
        await audit.record(actor, "customer.id_number_use", "customer", customer.id, after={"purpose": "identity_check"})
    else:
        if not name or not name.strip():
            raise ValidationError("请填写姓名", field="name")
        number = idcard.normalize(id_number or "")
        if len(number) != 18:
            raise ValidationError("身份证号码应为 18 位", field="id_number")
        found = Customer.filter(id_number_hash=vault.lookup_hash(number))
        customer = await (found.filter(bank_id=actor.bank_id) if actor.bank_id is not None else found).first()  # within the acting bank
    name = name.strip()

    failure: DomainError | None = None
    try:
        result = await identity_check.check(name=name, id_number=number, portrait=portrait)
    except IdentityCheckTimeout as exc:
        outcome, code, message = IdentityOutcome.TIMEOUT, exc.code, exc.message
        failure = DomainError(f"联网核查超时，请稍后重试（{exc.message}）", code=CreditCheckCode.IDENTITY_CHECK_TIMEOUT)
    except IdentityCheckError as exc:
        outcome, code, message = IdentityOutcome.FAILED, exc.code, exc.message
        failure = DomainError(f"联网核查失败：{exc.message}", code=CreditCheckCode.IDENTITY_CHECK_FAILED)
    else:
        outcome = IdentityOutcome.MATCH if result.match else IdentityOutcome.MISMATCH
        code, message = result.code, result.message

    async with in_transaction():
        row = await IdentityVerification.create(
            customer=customer,
            name=name[:32],
            id_number_hash=vault.lookup_hash(number),
            id_number_masked=idcard.mask(number),
            with_portrait=bool(portrait),
            result=outcome,
            reason_code=code[:32],
            reason=message[:128],
            checked_at=now,
            officer_id=officer_id(actor),
        )
        await audit.record(
            actor,
            "identity.verify",
            "identity_verification",
            row.id,
            after={"result": outcome.value, "reasonCode": code, "idNumber": row.id_number_masked, "customerId": str(customer.id) if customer else None},
        )
    if failure is not None:
        raise failure
    return row
