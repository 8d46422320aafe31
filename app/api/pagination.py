"""Relay-style connections with opaque offset cursors; `first` is capped at 100."""

from __future__ import annotations

import base64
from typing import Generic, TypeVar

import strawberry

from app.domain.error_codes import CommonCode
from app.domain.errors import ValidationError

T = TypeVar("T")
MAX_FIRST = 100


@strawberry.type(description="分页信息")
class PageInfo:
    has_next_page: bool
    end_cursor: str | None


@strawberry.type
class Edge(Generic[T]):
    cursor: str
    node: T


@strawberry.type
class Connection(Generic[T]):
    edges: list[Edge[T]]
    page_info: PageInfo
    total_count: int


def encode_cursor(offset: int) -> str:
    return base64.b64encode(f"offset:{offset}".encode()).decode()


def decode_cursor(cursor: str | None) -> int:
    if not cursor:
        return 0
    try:
        kind, _, value = base64.b64decode(cursor.encode(), validate=True).decode().partition(":")
        offset = int(value)
    except (ValueError, UnicodeDecodeError):
        raise ValidationError("分页游标无效", code=CommonCode.INVALID, field="after") from None
    if kind != "offset" or offset < 0:
        raise ValidationError("分页游标无效", code=CommonCode.INVALID, field="after")
    return offset + 1


def page_bounds(first: int, after: str | None) -> tuple[int, int]:
    if not 1 <= first <= MAX_FIRST:
        raise ValidationError(f"first 应在 1 到 {MAX_FIRST} 之间", code=CommonCode.INVALID, field="first")
    return decode_cursor(after), first


async def paginate(queryset, first: int, after: str | None, convert) -> Connection:
    """One COUNT and one page query, whatever the page size."""
    offset, limit = page_bounds(first, after)
    total = await queryset.count()
    rows = await queryset.offset(offset).limit(limit + 1)
    edges = [Edge(cursor=encode_cursor(offset + i), node=convert(row)) for i, row in enumerate(rows[:limit])]
    return Connection(
        edges=edges,
        page_info=PageInfo(has_next_page=len(rows) > limit, end_cursor=edges[-1].cursor if edges else None),
        total_count=total,
    )
