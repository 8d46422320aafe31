"""A capture's upload runs once: the PAD sends each photo with a key made when it was taken.

The offline queue on the tablet (ui/static/js/offline.js) may send a capture again when it did not
see the answer to the first try (the signal dropped after the server had it). A repeated key from
the same officer for the same operation is the same upload: nothing is stored a second time.

The key is claimed (a committed `IdempotencyRecord` with no result) before the upload runs, so a
second try that arrives while the first is still being stored also stores nothing; the result is
written when the upload is done, and the claim is removed if the upload is refused, so the
officer can send that capture again. Keys are bound to the officer and the operation
(`caller_key`): another officer's key never matches.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID

from tortoise.exceptions import IntegrityError

from app.domain.error_codes import CommonCode
from app.domain.errors import Conflict
from app.models import IdempotencyRecord
from app.services.actor import Actor
from app.services.lending.idempotency import actor_ref, caller_key

Upload = Callable[[], Awaitable[dict[str, Any]]]


def _hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


async def upload_once(*, actor: Actor, scope: str, key: UUID | None, request: dict[str, Any], upload: Upload) -> dict[str, Any] | None:
    """Run `upload` unless this officer already sent this key for `scope`; return its result (None while the first try runs)."""
    if key is None:
        return await upload()
    stored_key, request_hash = caller_key(scope, actor, key), _hash(request)
    try:
        record = await IdempotencyRecord.create(scope=scope, key=stored_key, actor=actor_ref(actor), request_hash=request_hash)
    except IntegrityError:
        first = await IdempotencyRecord.get(scope=scope, key=stored_key)
        if first.request_hash != request_hash:
            raise Conflict("该上传编号已用于另一张照片", code=CommonCode.IDEMPOTENCY_KEY_REUSED, field="upload_key") from None
        return first.result
    try:
        result = await upload()
    except BaseException:
        await record.delete()
        raise
    record.result = result
    await record.save(update_fields=["result"])
    return result
