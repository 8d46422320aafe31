"""Idempotency: a money-moving call with a key runs once; a retry returns the first result.

The record is written in the same transaction as the operation, so a failed
operation leaves no record and a retry runs it again. Two concurrent calls
with one key: the second blocks on the unique index until the first commits,
then reads its result.

A key belongs to its caller and its operation: `caller_key` derives the key that is
stored (and sent to the core as the transfer reference) from the operation, the
caller and the client's key. Another caller replaying the same client key gets a
key of their own: neither the first caller's result nor a hint that the key was
used. `run_once` takes only such derived keys.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from typing import Any
from uuid import UUID, uuid5

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.domain.error_codes import CommonCode
from app.domain.errors import Conflict
from app.models import IdempotencyRecord
from app.services.actor import Actor

_NAMESPACE = UUID("6f1c2a4e-9b7d-5e3a-8c21-0d4b7f9e2a61")


class CallerKey(UUID):
    """A client's idempotency key bound to one caller and one operation."""

    __slots__ = ()


def caller_key(scope: str, actor: Actor, key: UUID) -> CallerKey:
    return CallerKey(int=uuid5(_NAMESPACE, f"{scope}|{actor_ref(actor)}|{key}").int)


def actor_ref(actor: Actor) -> str:
    return f"{actor.type.value}:{actor.id}"


def _hash(request: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(request, sort_keys=True, default=str).encode()).hexdigest()


async def _replay(scope: str, key: UUID, request_hash: str) -> dict | None:
    record = await IdempotencyRecord.get_or_none(scope=scope, key=key)
    if record is None:
        return None
    if record.request_hash != request_hash:
        raise Conflict("该幂等键已用于另一笔不同的请求", code=CommonCode.IDEMPOTENCY_KEY_REUSED, field="idempotency_key")
    return record.result


async def run_once(
    *, scope: str, key: CallerKey, actor: str, request: dict[str, Any], operation: Callable[[], Awaitable[dict]], expected: dict | None = None,
) -> dict:
    """Run `operation` (inside one transaction) unless this key already ran; return its result dict.

    `expected`: the result known before the operation runs (ids made in Python), stored with the record from the
    start so the record is written once; a different result is written over it."""
    if not isinstance(key, CallerKey):
        raise TypeError("run_once takes a caller_key(...), never the client's raw key")
    request_hash = _hash(request)
    first = await _replay(scope, key, request_hash)
    if first is not None:
        return first
    try:
        async with in_transaction():
            record = await IdempotencyRecord.create(scope=scope, key=key, actor=actor, request_hash=request_hash, result=expected)
            result = await operation()
            if result != expected:
                record.result = result
                await record.save(update_fields=["result"])
    except IntegrityError:
        first = await _replay(scope, key, request_hash)
        if first is None:
            raise
        return first
    return result
