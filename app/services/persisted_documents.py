"""Persisted documents imported from app builds (docs/mobile.md, "Trusted documents").

The door (`app/api/trusted_documents.py`) reads a manifest and checks every document against the
schema; this stores the checked documents under the manifest's name, finds a document by the id a
client sends, lists the manifests and retires one. Nothing here registers a document a client sent.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime

from tortoise.functions import Count, Max
from tortoise.transactions import in_transaction

from app.domain.errors import Conflict, NotFound, ValidationError
from app.models import PersistedDocument
from app.services import audit
from app.services.actor import Actor

MANIFEST_NAME = re.compile(r"[A-Za-z0-9][A-Za-z0-9._-]{0,63}")
_CHUNK = 500  # ids per IN (...) list: SQLite's variable limit


@dataclass(frozen=True, slots=True)
class ManifestOperation:
    id: str  # what the client sends
    name: str
    type: str  # query | mutation
    body: str


@dataclass(frozen=True, slots=True)
class StoredManifest:
    name: str
    documents: int
    imported_at: datetime


def check_manifest_name(name: str) -> str:
    if not MANIFEST_NAME.fullmatch(name):
        raise ValidationError("清单名称只能由字母、数字、点、下划线和连字符组成（最长 64 个字符），如 android-2.4.0", field="name")
    return name


async def import_manifest(*, actor: Actor, name: str, operations: list[ManifestOperation], now: datetime) -> int:
    """Store `operations` as manifest `name` (a manifest of that name is replaced); the number replaced.

    An id that an other stored manifest maps to a different text is refused (Conflict), nothing stored.
    """
    check_manifest_name(name)
    if not operations:
        raise ValidationError("清单中没有任何操作")
    by_id = {op.id: op for op in operations}
    async with in_transaction():
        clashes = []
        ids = list(by_id)
        for start in range(0, len(ids), _CHUNK):
            rows = await PersistedDocument.filter(document_id__in=ids[start:start + _CHUNK]).exclude(manifest=name).values("document_id", "manifest", "body")
            clashes += [r for r in rows if r["body"] != by_id[r["document_id"]].body]
        if clashes:
            listed = "；".join(f"{r['document_id']}（{by_id[r['document_id']].name}）在清单「{r['manifest']}」中是另一份文本" for r in clashes[:10])
            raise Conflict(f"清单「{name}」与已导入的清单冲突，未导入：{listed}")
        replaced = await PersistedDocument.filter(manifest=name).delete()
        await PersistedDocument.bulk_create([
            PersistedDocument(manifest=name, document_id=op.id, operation_name=op.name, operation_type=op.type, body=op.body, imported_at=now)
            for op in by_id.values()
        ])
        await audit.record(actor, "graphql.manifest_imported", "graphql_manifest", name, after={"documents": len(by_id), "replaced": replaced})
    return replaced


async def find_document(document_id: str) -> ManifestOperation | None:
    """The stored document a client asks for by id (any manifest: they agree), or None."""
    row = await PersistedDocument.filter(document_id=document_id).order_by("-imported_at").first().values("document_id", "operation_name", "operation_type", "body")
    if row is None:
        return None
    return ManifestOperation(id=row["document_id"], name=row["operation_name"], type=row["operation_type"], body=row["body"])


async def stored_documents() -> list[tuple[str, ManifestOperation]]:
    """Every imported document with the manifest it came in, by manifest and operation name."""
    rows = await PersistedDocument.all().order_by("manifest", "operation_name").values("manifest", "document_id", "operation_name", "operation_type", "body")
    return [(r["manifest"], ManifestOperation(id=r["document_id"], name=r["operation_name"], type=r["operation_type"], body=r["body"])) for r in rows]


async def stored_manifests() -> list[StoredManifest]:
    rows = await PersistedDocument.annotate(documents=Count("id"), at=Max("imported_at")).group_by("manifest").order_by("manifest").values("manifest", "documents", "at")
    return [StoredManifest(name=r["manifest"], documents=r["documents"], imported_at=r["at"]) for r in rows]


async def retire_manifest(*, actor: Actor, name: str) -> int:
    """Forget manifest `name` (the app release it came with is no longer served); the documents removed.

    A document also in another manifest stays known through that one.
    """
    async with in_transaction():
        removed = await PersistedDocument.filter(manifest=name).delete()
        if not removed:
            raise NotFound(f"没有名为「{name}」的已导入清单")
        await audit.record(actor, "graphql.manifest_retired", "graphql_manifest", name, after={"documents": removed})
    return removed
