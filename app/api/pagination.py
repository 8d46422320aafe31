"""Relay-style connections with opaque versioned cursors (app/domain/cursor.py); `first` is capped at 100.

Long lists page by keyset (`paginate_keyset`): loans, credit lines and blacklist entries on (created_at DESC, id),
a borrower's applications on (applied_at DESC, id), the staff worklists on their own sort keys ending in id; short
lists by offset. Report lists build their connections in app/api/reporting/types.py (keyset for villages, officers
and customers, in SQL; the position for groups and periods)."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Generic, TypeVar
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


@dataclass(frozen=True)
class SortKey:
    """One term of a keyset order: a column (or an annotation of the queryset), its direction, and how its value
    comes back from a cursor (`parse` of the ISO / str form the cursor holds)."""

    field: str
    parse: Callable[[str], Any]
    descending: bool = False

    @property
    def order(self) -> str:
        return f"-{self.field}" if self.descending else self.field


ID_KEY = SortKey("id", UUID)
NEWEST_FIRST = (SortKey("created_at", datetime.fromisoformat, descending=True), ID_KEY)


def _cursor_value(value: Any) -> str:
    return value.isoformat() if hasattr(value, "isoformat") else str(value)


def _after(keys: Sequence[SortKey], values: Sequence[Any]) -> Q:
    """The rows strictly after `values` in the order of `keys`: beyond on the first key, or equal on it and beyond
    on the next, and so on (the keys must end in a unique one, so no two rows tie)."""
    branches = []
    for i, key in enumerate(keys):
        equal = {k.field: v for k, v in zip(keys[:i], values[:i])}
        branches.append(Q(**equal, **{f"{key.field}__{'lt' if key.descending else 'gt'}": values[i]}))
    return Q(*branches, join_type="OR")


async def paginate_keyset(queryset, first: int, after: str | None, convert, *, kind: str, keys: Sequence[SortKey]) -> Connection:
    """Keyset paging in the order of `keys` (non-null columns ending in a unique one), for lists that can be long.

    The cursor (list `kind`) holds the last row's key: the next page is the rows strictly after it in that order,
    so rows added or moved meanwhile never shift a page (an offset would skip or repeat a row).
    """
    check_first(first)
    total = await queryset.count()
    page = queryset.order_by(*(k.order for k in keys))
    if after:
        raw = cursor.decode(after, kind, len(keys))
        try:
            values = [key.parse(value) for key, value in zip(keys, raw)]
        except (TypeError, ValueError, AttributeError):
            raise cursor.invalid() from None
        page = page.filter(_after(keys, values))
    rows = await page.limit(first + 1)
    edges = [
        Edge(cursor=cursor.encode(kind, *(_cursor_value(getattr(row, k.field)) for k in keys)), node=convert(row))
        for row in rows[:first]
    ]
    return Connection(edges=edges, page_info=page_info(edges, has_next=len(rows) > first, has_previous=bool(after)), total_count=total)


async def paginate_newest_first(queryset, first: int, after: str | None, convert) -> Connection:
    """Keyset paging, newest first, in the order (created_at DESC, id ASC)."""
    return await paginate_keyset(queryset, first, after, convert, kind="created", keys=NEWEST_FIRST)
