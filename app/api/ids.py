"""Global IDs at the edge: decode to our UUIDs or fail as a typed NOT_FOUND; `node(id:)` reads null for any bad id."""

from __future__ import annotations

from typing import Any
from uuid import UUID

from strawberry import relay
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


async def node_or_none(info: Any, value: str) -> relay.Node | None:
    """The object behind a global id, or None: a malformed id, a type that is not a Node, a key that is not a UUID
    and an object missing or out of the reader's scope all read as null (never revealing which)."""
    try:
        gid = GlobalID.from_id(value)
        UUID(gid.node_id)  # every Node of ours is keyed by a UUID
        gid.resolve_type(info)  # a GraphQL Node type, else GlobalIDValueError
    except (ValueError, TypeError):
        return None
    return await gid.resolve_node(info, required=False)
