"""Relay-style connections with opaque versioned cursors (app/domain/cursor.py); `first` is capped at 100.

Long lists (loans, credit lines, blacklist entries) page by keyset on (created_at DESC, id); short lists by offset."""

from __future__ import annotations

from datetime import datetime
from typing import Generic, TypeVar
from uuid import UUID

import strawberry
from tortoise.expressions import Q

from app.domain import cursor
from app.domain.error_codes import CommonCode
from app.domain.errors import ValidationError

T = TypeVar("T")
MAX_FIRST = 100


@strawberry.type(description="分页信息（Relay）：向后翻页把 endCursor 作为下一次的 after")
class PageInfo:
    has_next_page: bool = strawberry.field(description="之后是否还有数据")
    has_previous_page: bool = strawberry.field(description="本页之前是否还有数据（带 after 翻到的页为 true，第一页为 false）")
    start_cursor: str | None = strawberry.field(description="本页第一条的游标；本页为空时为 null")
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
    """The cursor of the row at `offset` of an offset-paged list (short lists whose order has no unique key)."""
    return cursor.encode("offset", offset)


def decode_cursor(after: str | None) -> int:
    """The offset of the row after `after` (0 without a cursor)."""
    if not after:
        return 0
    (offset,) = cursor.decode(after, "offset", 1)
    if not isinstance(offset, int) or isinstance(offset, bool) or offset < 0:
        raise cursor.invalid()
    return offset + 1


def check_first(first: int) -> None:
    if not 1 <= first <= MAX_FIRST:
        raise ValidationError(f"first 应在 1 到 {MAX_FIRST} 之间", code=CommonCode.INVALID, field="first")


def page_bounds(first: int, after: str | None) -> tuple[int, int]:
    check_first(first)
    return decode_cursor(after), first


def page_info(edges: list, *, has_next: bool, has_previous: bool) -> PageInfo:
    return PageInfo(has_next_page=has_next, has_previous_page=has_previous,
                    start_cursor=edges[0].cursor if edges else None, end_cursor=edges[-1].cursor if edges else None)


async def paginate(queryset, first: int, after: str | None, convert) -> Connection:
    """Offset paging: one COUNT and one page query, whatever the page size."""
    offset, limit = page_bounds(first, after)
    total = await queryset.count()
    rows = await queryset.offset(offset).limit(limit + 1)
    edges = [Edge(cursor=encode_cursor(offset + i), node=convert(row)) for i, row in enumerate(rows[:limit])]
    return Connection(edges=edges, page_info=page_info(edges, has_next=len(rows) > limit, has_previous=offset > 0), total_count=total)


def _created_cursor(row) -> str:
    return cursor.encode("created", row.created_at.isoformat(), str(row.id))


async def paginate_newest_first(queryset, first: int, after: str | None, convert) -> Connection:
    """Keyset paging, newest first, in the order (created_at DESC, id ASC), for lists that can be long.

    The cursor holds the last row's (created_at, id): the next page is the rows strictly after it in that order,
    so rows added or moved meanwhile never shift a page (an offset would skip or repeat a row).
    """
    check_first(first)
    total = await queryset.count()
    page = queryset.order_by("-created_at", "id")
    if after:
        stamp, key = cursor.decode(after, "created", 2)
        try:
            at, pk = datetime.fromisoformat(stamp), UUID(key)
        except (TypeError, ValueError):
            raise cursor.invalid() from None
        page = page.filter(Q(created_at__lt=at) | Q(created_at=at, id__gt=pk))
    rows = await page.limit(first + 1)
    edges = [Edge(cursor=_created_cursor(row), node=convert(row)) for row in rows[:first]]
    return Connection(edges=edges, page_info=page_info(edges, has_next=len(rows) > first, has_previous=bool(after)), total_count=total)
