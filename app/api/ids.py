"""Global IDs at the edge: decode to our UUIDs or fail as a typed NOT_FOUND."""

from __future__ import annotations

from uuid import UUID

from strawberry.relay import GlobalID

from app.domain.errors import NotFound


def decode_id(value: str, type_name: str, *, field: str) -> UUID:
    try:
        gid = GlobalID.from_id(value)
        if gid.type_name != type_name:
            raise ValueError(gid.type_name)
        return UUID(gid.node_id)
    except (ValueError, TypeError):
        raise NotFound("对象不存在", field=field) from None
