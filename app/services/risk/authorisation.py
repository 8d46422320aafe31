"""Credit-report authorisations (征信查询授权书): no bureau query without one on file."""

from __future__ import annotations

from datetime import date, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.errors import NotFound, ValidationError
from app.models import CreditAuthorisation, Document
from app.domain.vocabulary import DocumentKind
from app.services import audit
from app.services.actor import Actor
from app.services.risk.common import customer_in_scope, officer_id, require_staff


async def record_authorisation(
    *,
    actor: Actor,
    customer_id: UUID,
    signed_at: datetime,
    valid_until: date,
    document_id: UUID | None = None,
) -> CreditAuthorisation:
    """File a signed authorisation; `document_id` is the stored signed form (kind AUTHORISATION)."""
    require_staff(actor)
    customer = await customer_in_scope(actor, customer_id)
    if document_id is not None:
        doc = await Document.get_or_none(id=document_id)
        if doc is None or doc.customer_id != customer.id:
            raise NotFound("授权书文件不存在", field="document_id")
        if doc.kind != DocumentKind.AUTHORISATION:
            raise ValidationError("该文件不是征信查询授权书", field="document_id")
    if valid_until < signed_at.date():
        raise ValidationError("授权有效期不能早于签署日期", field="valid_until")
    async with in_transaction():
        row = await CreditAuthorisation.create(
            customer=customer,
            document_id=document_id,
            signed_at=signed_at,
            valid_until=valid_until,
            officer_id=officer_id(actor),
        )
        await audit.record(
            actor,
            "credit_authorisation.record",
            "credit_authorisation",
            row.id,
            after={"customerId": str(customer.id), "validUntil": valid_until.isoformat(), "documentId": str(document_id) if document_id else None},
        )
    return row


async def revoke_authorisation(*, actor: Actor, authorisation_id: UUID, now: datetime) -> CreditAuthorisation:
    require_staff(actor)
    row = await CreditAuthorisation.get_or_none(id=authorisation_id)
    if row is None:
        raise NotFound("授权书不存在", field="authorisation_id")
    await customer_in_scope(actor, row.customer_id)
    if row.revoked_at is None:
        async with in_transaction():
            await CreditAuthorisation.filter(id=row.id, revoked_at=None).update(revoked_at=now)
            await audit.record(actor, "credit_authorisation.revoke", "credit_authorisation", row.id, after={"revokedAt": now.isoformat()})
        await row.refresh_from_db()
    return row


async def valid_authorisation(customer_id: UUID, *, now: datetime, today: date) -> CreditAuthorisation | None:
    """The most recent authorisation signed by `now`, not revoked, valid through `today`."""
    return (
        await CreditAuthorisation.filter(customer_id=customer_id, revoked_at=None, signed_at__lte=now, valid_until__gte=today)
        .order_by("-signed_at")
        .first()
    )
