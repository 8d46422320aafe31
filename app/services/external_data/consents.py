"""Consents to query an external source (外部数据查询授权): per customer, source and purposes, until they expire.

A consent belongs to the customer's member bank: it is filed under `customer.bank` and only ever found
through that customer record, so another bank's officer (who cannot reach the record) cannot use it.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta, timezone
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.errors import NotFound, ValidationError
from app.domain.external_data import ConsentPurpose, ExternalSource
from app.domain.vocabulary import DocumentKind
from app.models import Customer, Document, ExternalDataConsent
from app.services import audit
from app.services.actor import Actor
from app.services.documents import MediaStore, store_document
from app.services.risk.common import customer_in_scope, officer_id, require_staff


def check_purposes(purposes: Iterable[str]) -> list[str]:
    out = []
    for p in purposes:
        try:
            value = ConsentPurpose(p).value
        except ValueError:
            raise ValidationError(f"授权用途无效：{p}", field="purposes") from None
        if value not in out:
            out.append(value)
    if not out:
        raise ValidationError("授权须写明用途（授信申请或贷后监测）", field="purposes")
    return out


async def record_consent(
    *,
    actor: Actor,
    customer_id: UUID,
    source: ExternalSource | str,
    purposes: Iterable[str],
    signed_at: datetime,
    expires_at: datetime,
    document_id: UUID | None = None,
) -> ExternalDataConsent:
    """File a signed consent; `document_id` is the signed form in the e-archive (kind AUTHORISATION), if any."""
    require_staff(actor)
    try:
        source = ExternalSource(source)
    except ValueError:
        raise ValidationError(f"外部数据来源无效：{source}", field="source") from None
    kept = check_purposes(purposes)
    customer = await customer_in_scope(actor, customer_id)
    if expires_at <= signed_at:
        raise ValidationError("授权到期时间须晚于签署时间", field="expires_at")
    if document_id is not None:
        doc = await Document.get_or_none(id=document_id)
        if doc is None or doc.customer_id != customer.id:
            raise NotFound("授权书文件不存在", field="document_id")
        if doc.kind != DocumentKind.AUTHORISATION:
            raise ValidationError("该文件不是授权书", field="document_id")
    async with in_transaction():
        row = await ExternalDataConsent.create(
            customer=customer, bank_id=customer.bank_id, source=source, purposes=kept, signed_at=signed_at,
            expires_at=expires_at, document_id=document_id, officer_id=officer_id(actor),
        )
        await audit.record(actor, "external_consent.record", "external_data_consent", row.id, after={
            "customerId": str(customer.id), "source": source.value, "purposes": kept,
            "expiresAt": expires_at.isoformat(), "documentId": str(document_id) if document_id else None,
        })
    return row


async def revoke_consent(*, actor: Actor, consent_id: UUID, now: datetime) -> ExternalDataConsent:
    require_staff(actor)
    row = await ExternalDataConsent.get_or_none(id=consent_id)
    if row is None:
        raise NotFound("授权不存在", field="consent_id")
    await customer_in_scope(actor, row.customer_id)
    if row.revoked_at is None:
        async with in_transaction():
            await ExternalDataConsent.filter(id=row.id).update(revoked_at=now)
            await audit.record(actor, "external_consent.revoke", "external_data_consent", row.id, after={"revokedAt": now.isoformat()})
        await row.refresh_from_db()
    return row


async def valid_consent(*, customer_id: UUID, bank_id: UUID, source: ExternalSource, purpose: ConsentPurpose,
                        now: datetime) -> ExternalDataConsent | None:
    """The latest-expiring consent in force at `now` for this source and purpose, at this bank."""
    rows = await ExternalDataConsent.filter(
        customer_id=customer_id, bank_id=bank_id, source=ExternalSource(source), revoked_at__isnull=True,
        signed_at__lte=now, expires_at__gt=now,
    ).order_by("-expires_at")
    for row in rows:
        if ConsentPurpose(purpose).value in (row.purposes or []):
            return row
    return None


BEIJING = timezone(timedelta(hours=8))  # consent dates are shown as the customer signed them: Beijing time


async def why_no_consent(*, customer_id: UUID, bank_id: UUID, source: ExternalSource, purpose: ConsentPurpose, now: datetime) -> tuple[str, str]:
    """(reason code, Chinese statement) when there is no consent in force for the source and purpose: `expired`, `revoked`
    or `no_consent` — the latest consent that named the purpose tells which. Call it after `valid_consent` found none;
    a refusal appends what follows (「，不能查询」)."""
    source, purpose = ExternalSource(source), ConsentPurpose(purpose)
    what = f"{source.label}数据查询授权（用途：{purpose.label}）"
    rows = await ExternalDataConsent.filter(customer_id=customer_id, bank_id=bank_id, source=source, signed_at__lte=now).order_by("-expires_at")
    named = [r for r in rows if purpose.value in (r.purposes or [])]
    if named and named[0].revoked_at is not None:
        return "revoked", f"客户的{what}已撤回"
    if named and named[0].expires_at <= now:
        return "expired", f"客户的{what}已于 {named[0].expires_at.astimezone(BEIJING).date().isoformat()} 到期"
    return "no_consent", f"客户没有有效的{what}"


# --- a consent signed by the customer (the app, the PAD): one way to file it -----------------------------------

CHANNELS = {"app": "手机银行", "pad": "客户经理 PAD 现场签署"}


@dataclass(frozen=True, slots=True)
class SignedForm:
    """The signed authorisation as filed in the e-archive."""

    data: bytes
    content_type: str
    title: str


async def file_signed_consent(
    *, actor: Actor, customer: Customer, source: ExternalSource, purposes: list[str], signed_at: datetime, expires_at: datetime,
    form: SignedForm, media: MediaStore, channel: str, officer: UUID | None = None, max_bytes: int = 2 * 1024 * 1024,
) -> ExternalDataConsent:
    """Store the signed form (授权书) in the customer's e-archive and file the consent with it, audited with its channel.

    Every door a customer signs through uses this: the app (`online_credit.sign_source_consent`) and the PAD
    (`sign_consent_at_pad`). The door has checked who may sign and for whom."""
    if channel not in CHANNELS:
        raise ValueError(channel)
    doc = await store_document(actor=actor, media=media, data=form.data, kind=DocumentKind.AUTHORISATION, content_type=form.content_type,
                               title=form.title, customer_id=customer.id, max_bytes=max_bytes)
    async with in_transaction():
        row = await ExternalDataConsent.create(customer=customer, bank_id=customer.bank_id, source=source, purposes=purposes, signed_at=signed_at,
                                               expires_at=expires_at, document=doc, officer_id=officer)
        await audit.record(actor, "external_consent.record", "external_data_consent", row.id, after={
            "customerId": str(customer.id), "source": source.value, "purposes": purposes,
            "expiresAt": expires_at.isoformat(), "documentId": str(doc.id), "channel": channel,
        })
    return row
