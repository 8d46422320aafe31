"""Photos of the customer's documents and assets, by category, into the e-archive (content-addressed)."""

from __future__ import annotations

from dataclasses import replace
from datetime import datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain import visit as flow
from app.domain.error_codes import VisitCode
from app.domain.errors import ValidationError
from app.models import Document
from app.domain.vocabulary import DocumentKind
from app.services.actor import Actor
from app.services.documents import MediaStore, store_document
from app.services.identity_checks import check_upload, sniff_content_type
from app.services.visits.common import VisitPolicy, check_open, complete_step, own_visit, save

MAX_PHOTOS = 40
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")


async def add_photo(*, actor: Actor, visit_id: UUID, category: str, data: bytes, media: MediaStore, policy: VisitPolicy) -> Document:
    """Store one photo (JPEG/PNG/WebP) under its category; its title names the category."""
    label, kind = flow.photo_category(category)
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.PHOTOS)
    check_upload(data, max_bytes=policy.max_upload_bytes, field="photo", what="照片")
    content_type = sniff_content_type(data)
    if content_type not in IMAGE_TYPES:
        raise ValidationError("照片必须是 JPEG、PNG 或 WebP 图片", code=VisitCode.NOT_AN_IMAGE, field="photo")
    if len(visit.file.photos.items) >= MAX_PHOTOS:
        raise ValidationError(f"每次走访最多上传 {MAX_PHOTOS} 张照片", code=VisitCode.TOO_MANY_PHOTOS, field="photo")
    async with in_transaction():
        doc = await store_document(
            actor=actor, media=media, data=data, kind=DocumentKind(kind), content_type=content_type, title=f"走访照片：{label}",
            customer_id=visit.customer_id, max_bytes=policy.max_upload_bytes,
        )
        visit = await own_visit(actor, visit_id, lock=True)
        file = visit.file
        await save(visit, file=replace(file, photos=file.photos.with_photo(doc.id, category)))
    return doc


async def finish_photos(*, actor: Actor, visit_id: UUID, now: datetime) -> None:
    """The photos step is done once at least one photo is on file."""
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        check_open(visit, flow.PHOTOS)
        file = visit.file
        if not file.photos.items:
            raise ValidationError("请至少拍摄一张资料或资产照片（如户口簿、房屋）", code=VisitCode.NO_PHOTOS, field="photo")
        await complete_step(actor, visit, flow.PHOTOS, file=replace(file, photos=file.photos.finished()), now=now)
