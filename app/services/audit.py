"""Audit events: written in the same transaction as the change they record."""

from __future__ import annotations

from typing import Any

from app.models import AuditEvent
from app.services.actor import Actor


async def record(
    actor: Actor,
    action: str,
    entity_type: str,
    entity_id: Any = None,
    *,
    before: dict | None = None,
    after: dict | None = None,
) -> AuditEvent:
    return await AuditEvent.create(
        actor_type=actor.type,
        actor_id=str(actor.id) if actor.id else None,
        action=action,
        entity_type=entity_type,
        entity_id=str(entity_id) if entity_id is not None else None,
        before=before,
        after=after,
        request_id=actor.request_id,
        ip=actor.ip,
    )
