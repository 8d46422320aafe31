"""The credit-report authorisation (征信查询授权书) signed at the visit: hand signature + a live face check.

The borrower signs on the pad right after a passed face match started for this step; the sheet
(the authorisation text, the signature, name, time, place and the face check's id) is stored as
a PNG document of kind AUTHORISATION in the e-archive and filed with `record_authorisation`.
"""

from __future__ import annotations

import io
from dataclasses import replace
from datetime import date, datetime, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from tortoise.transactions import in_transaction

from app.domain import visit as flow
from app.domain.visit_file import Authorisation
from app.models import CreditAuthorisation, Customer
from app.domain.vocabulary import DocumentKind
from app.services.actor import Actor
from app.services.contracts import FaceChecks
from app.services.contracts import stamps
from app.services.contracts.pad_image import check_signature_png
from app.services.documents import MediaStore, store_document
from app.services.risk import record_authorisation
from app.services.visits.common import VisitPolicy, check_open, complete_step, own_visit
from app.services.visits.people import require_passed_face

SHEET_SIZE = (960, 600)
TEXT = (
    "个人征信查询授权书",
    "本人同意并授权贷款机构向金融信用信息基础数据库查询本人信用报告，",
    "用于贷款审批及贷后管理，并报送本人信用信息。",
)


def authorisation_sheet(signature_png: bytes, *, name: str, masked_id: str, institution: str, signed_at: datetime, tz: str,
                        lat: float | None, lng: float | None, face_id: UUID) -> bytes:
    """The signed sheet as a PNG: the authorisation text, then the hand signature with who/when/where under it."""
    signature = check_signature_png(signature_png)
    local = signed_at.astimezone(ZoneInfo(tz))
    place = f"{lat:.5f}, {lng:.5f}" if lat is not None and lng is not None else "—"
    lines = (*TEXT, f"被授权机构：{institution}", f"授权人：{name}（{masked_id}）",
             f"签署时间：{local:%Y-%m-%d %H:%M:%S}  地点：{place}", f"现场人脸核验：{face_id}")
    sheet = stamps.appearance_image(signature, lines, size=SHEET_SIZE)
    buf = io.BytesIO()
    sheet.save(buf, "PNG")
    return buf.getvalue()


async def sign_authorisation(
    *, actor: Actor, visit_id: UUID, signature_png: bytes, face_verification_id: UUID | None, face_checks: FaceChecks,
    media: MediaStore, policy: VisitPolicy, institution: str, tz: str, today: date, now: datetime,
) -> CreditAuthorisation:
    """File the borrower's signed authorisation; refused without a passed face check for this step."""
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.AUTHORISATION)
    vid = await require_passed_face(visit, stage="authorisation", who=flow.BORROWER, verification_id=face_verification_id, face_checks=face_checks)
    customer = await Customer.get(id=visit.customer_id)
    sheet = authorisation_sheet(signature_png, name=customer.name, masked_id=customer.id_number_masked, institution=institution,
                                signed_at=now, tz=tz, lat=visit.lat, lng=visit.lng, face_id=vid)
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        check_open(visit, flow.AUTHORISATION)
        doc = await store_document(actor=actor, media=media, data=sheet, kind=DocumentKind.AUTHORISATION, content_type="image/png",
                                   title="个人征信查询授权书（签名）", customer_id=customer.id, max_bytes=policy.max_upload_bytes)
        row = await record_authorisation(actor=actor, customer_id=customer.id, signed_at=now,
                                         valid_until=today + timedelta(days=policy.authorisation_days), document_id=doc.id)
        signed = Authorisation(id=row.id, document=doc.id, face_verification=vid, valid_until=row.valid_until)
        await complete_step(actor, visit, flow.AUTHORISATION, now=now, file=replace(visit.file, authorisation=signed))
    return row
