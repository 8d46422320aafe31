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
    has_next_page: bool = strawberry.field(description="之后是否还有数据")
    end_cursor: str | None = strawberry.field(description="本页最后一条的游标，作为下一页的 after；本页为空时为 null")


@strawberry.type(description="列表中的一条：对象及其游标")
class Edge(Generic[T]):
    cursor: str = strawberry.field(description="该条的游标（不透明字符串，只作 after 参数回传）")
    node: T = strawberry.field(description="对象")


@strawberry.type(description="分页列表（Relay 连接）：用 first / after 翻页")
class Connection(Generic[T]):
    edges: list[Edge[T]] = strawberry.field(description="本页各条，按列表的顺序")
    page_info: PageInfo = strawberry.field(description="分页信息")
    total_count: int = strawberry.field(description="符合条件的总条数（不止本页）")


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
