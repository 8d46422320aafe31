"""Documents: files stored content-addressed (sha256) under the media root."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.error_codes import CommonCode
from app.domain.errors import NotFound, ValidationError
from app.models import Document
from app.domain.vocabulary import DocumentKind, VerifyStatus
from app.services import audit
from app.services.actor import Actor
from app.services.jobs import JobQueue


@dataclass(frozen=True, slots=True)
class MediaStore:
    root: Path

    def path_for(self, sha256: str) -> Path:
        return self.root / sha256[:2] / sha256[2:4] / sha256

    def put(self, data: bytes) -> str:
        digest = hashlib.sha256(data).hexdigest()
        path = self.path_for(digest)
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            tmp = path.with_suffix(".part")
            tmp.write_bytes(data)
            tmp.replace(path)  # atomic: a crash never leaves a half-written blob under its hash
        return digest

    def get(self, sha256: str) -> bytes:
        return self.path_for(sha256).read_bytes()


async def store_document(
    *,
    actor: Actor,
    media: MediaStore,
    data: bytes,
    kind: DocumentKind,
    content_type: str,
    title: str = "",
    customer_id: UUID | None = None,
    max_bytes: int,
    queue: JobQueue | None = None,
) -> Document:
    if not data:
        raise ValidationError("文件为空", field="file")
    if len(data) > max_bytes:
        raise ValidationError(f"文件超过 {max_bytes // (1024 * 1024)} MB 上限", field="file", code=CommonCode.TOO_LARGE)
    digest = media.put(data)
    async with in_transaction():
        doc = await Document.create(
            sha256=digest,
            kind=kind,
            content_type=content_type[:64],
            size_bytes=len(data),
            customer_id=customer_id,
            uploaded_by_id=actor.id if actor.is_officer else None,
            title=title[:128],
            verify_job_id=None,
        )
        await audit.record(actor, "document.store", "document", doc.id, after={"kind": kind.value, "sha256": digest})
    if queue is not None:
        job_id = f"verify_document:{doc.id}"
        if await queue.enqueue("verify_document", job_id=job_id, document_id=str(doc.id)):
            await Document.filter(id=doc.id).update(verify_job_id=job_id)
    return doc


async def verify_document(*, media: MediaStore, document_id: UUID, now: datetime) -> Document:
    """Re-read a stored file and check it still hashes to its address (idempotent)."""
    doc = await Document.get_or_none(id=document_id)
    if doc is None:
        raise NotFound("文档不存在", field="document_id")
    try:
        actual = hashlib.sha256(media.get(doc.sha256)).hexdigest()
    except FileNotFoundError:
        status, error = VerifyStatus.FAILED, "文件缺失"
    else:
        status, error = (VerifyStatus.OK, None) if actual == doc.sha256 else (VerifyStatus.FAILED, "文件内容与哈希不符")
    await Document.filter(id=doc.id).update(verify_status=status, verify_error=error, verified_at=now)
    await doc.refresh_from_db()
    return doc
