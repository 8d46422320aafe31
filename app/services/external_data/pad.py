"""A consent the customer signs on the officer's PAD (外部数据查询授权, 现场签署): the hand signature on a sheet with the
authorisation text, who, when and where, filed the app's way (`consents.file_signed_consent`)."""

from __future__ import annotations

import io
from collections.abc import Iterable
from datetime import datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from app.domain.errors import ValidationError
from app.domain.external_data import ConsentPurpose, ExternalSource
from app.domain.permissions import Action
from app.models import Bank, ExternalDataConsent
from app.services.actor import Actor
from app.services.contracts import stamps
from app.services.contracts.pad_image import check_signature_png
from app.services.documents import MediaStore
from app.services.external_data.consents import SignedForm, check_purposes, file_signed_consent
from app.services.permissions import require
from app.services.risk.common import customer_in_scope, officer_id, require_staff

PAD_TEXT = (
    "{source}数据查询授权书",
    "本人同意{institution}向{source}查询本人的{source}数据，",
    "用途：{purposes}，不用于其他用途；授权有效期至 {expires}。",
)


async def sign_consent_at_pad(
    *, actor: Actor, customer_id: UUID, source: ExternalSource | str, purposes: Iterable[str], signature_png: bytes, now: datetime,
    valid_days: int, media: MediaStore, lat: float | None = None, lng: float | None = None, tz: str = "Asia/Shanghai",
) -> ExternalDataConsent:
    """The customer signs the authorisation on the officer's PAD (hand signature): the signed sheet (text, signature, who,
    when, where) goes to the e-archive and the consent is filed as the app's is (`file_signed_consent`)."""
    require_staff(actor)
    require(actor, Action.VISIT_CONDUCT)  # signed in front of the officer, as at a visit
    try:
        source = ExternalSource(source)
    except ValueError:
        raise ValidationError(f"外部数据来源无效：{source}", field="source") from None
    kept = check_purposes(purposes)
    if not 1 <= valid_days <= 3 * 366:
        raise ValidationError("授权期限应为 1 天到 3 年", field="valid_days")
    customer = await customer_in_scope(actor, customer_id)
    bank = await Bank.get(id=customer.bank_id)
    expires = now + timedelta(days=valid_days)
    signature = check_signature_png(signature_png)
    local = now.astimezone(ZoneInfo(tz))
    place = f"{lat:.5f}, {lng:.5f}" if lat is not None and lng is not None else "—"
    labels = "、".join(ConsentPurpose(p).label for p in kept)
    lines = [line.format(source=source.label, institution=bank.legal_name, purposes=labels, expires=expires.astimezone(local.tzinfo).date().isoformat())
             for line in PAD_TEXT]
    lines += [f"授权人：{customer.name}（{customer.id_number_masked}）", f"签署时间：{local:%Y-%m-%d %H:%M:%S}  地点：{place}",
              f"经办客户经理：{actor.display_name}"]
    buf = io.BytesIO()
    stamps.appearance_image(signature, lines, size=(960, 600)).save(buf, "PNG")
    form = SignedForm(data=buf.getvalue(), content_type="image/png", title=f"{source.label}数据查询授权书（PAD 签名）")
    return await file_signed_consent(actor=actor, customer=customer, source=source, purposes=kept, signed_at=now, expires_at=expires, form=form,
                                     media=media, channel="pad", officer=officer_id(actor))
