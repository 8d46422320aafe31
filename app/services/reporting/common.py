"""What every report shares: filters, scope (which branches the caller may read), paging, SQL building.

Reports are computed in SQL (GROUP BY) through `app.sql` (named
parameters, SQLite and PostgreSQL). A fixed number of statements runs per report,
whatever the number of rows or groups.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from collections.abc import Callable
from typing import Any, Generic, TypeVar
from uuid import UUID

from app.domain.errors import ValidationError
from app.models import Branch, Officer, Village
from app.domain.vocabulary import ActorType
from app.services import audit
from app.services.actor import Actor
from app.services.auth.officers import branch_scope
from app.sql import fetch_reporting, is_postgres

MAX_PAGE = 100  # what one API page may ask for (app/api/pagination.py enforces it at the edge)
EXPORT_MAX = 100_000  # rows of one CSV download


class GroupBy(StrEnum):
    BANK = "bank"  # the member bank (法人行): a platform reader's report, one group per bank
    BRANCH = "branch"
    VILLAGE = "village"
    OFFICER = "officer"
    PRODUCT = "product"


GROUP_LABELS = {GroupBy.BANK: "法人行", GroupBy.BRANCH: "机构", GroupBy.VILLAGE: "村庄", GroupBy.OFFICER: "客户经理", GroupBy.PRODUCT: "产品"}


class Interval(StrEnum):
    DAY = "day"
    MONTH = "month"


INTERVAL_LABELS = {Interval.DAY: "按业务日期逐日", Interval.MONTH: "按自然月（业务日期所在月份）"}


@dataclass(frozen=True, slots=True)
class ReportFilter:
    bank_id: UUID | None = None  # one member bank: every branch of its tree
    branch_id: UUID | None = None  # the branch and every branch below it
    village_id: UUID | None = None
    officer_id: UUID | None = None
    product_id: UUID | None = None
    date_from: date | None = None  # inclusive; what the date means is said by each report
    date_to: date | None = None  # inclusive

    def __post_init__(self) -> None:
        if self.date_from and self.date_to and self.date_from > self.date_to:
            raise ValidationError("开始日期不能晚于结束日期", field="date_from")


@dataclass(frozen=True, slots=True)
class Page:
    offset: int = 0
    limit: int = MAX_PAGE
    after: tuple | None = None  # a keyset report's page: the sort key of the last row already read (offset stays 0)

    def __post_init__(self) -> None:
        if not 1 <= self.limit <= EXPORT_MAX:
            raise ValidationError(f"first 应在 1 到 {EXPORT_MAX} 之间", field="first")
        if self.offset < 0:
            raise ValidationError("分页游标无效", field="after")


EVERYTHING = Page(0, MAX_PAGE)  # the first page, as the API would ask for it
EXPORT = Page(0, EXPORT_MAX)
T = TypeVar("T")


@dataclass(frozen=True, slots=True)
class Rows(Generic[T]):
    rows: list[T]
    total_count: int  # rows (groups, periods) in the whole report, not just this page
    offset: int  # the position of the page's first row (0 on a keyset page, whose rows carry their keys instead)
    has_next: bool
    has_previous: bool
    keys: list[tuple] | None = None  # a keyset report: each row's sort key, what its cursor holds


@dataclass(frozen=True, slots=True)
class Scope:
    """Branches a report may read: None = all (system jobs), [] = nothing (out of scope or nobody)."""

    branch_ids: list[UUID] | None

    @property
    def empty(self) -> bool:
        return self.branch_ids is not None and not self.branch_ids


NOTHING = Scope([])


async def _denied(actor: Actor, report: str, entity: str, entity_id: UUID) -> Scope:
    await audit.record(actor, "report.scope_denied", entity, entity_id, after={"report": report})
    return NOTHING


async def report_scope(actor: Actor | None, filt: ReportFilter, *, report: str) -> Scope:
    """The actor's branches narrowed by the filter. Asking beyond them gives an empty report and an audit event."""
    if actor is None:
        return NOTHING
    if actor.type == ActorType.SYSTEM:
        branches = await branch_scope(filt.branch_id) if filt.branch_id else None
        if filt.bank_id is not None:
            bank = set(await Branch.filter(bank_id=filt.bank_id).values_list("id", flat=True))
            branches = bank if branches is None else branches & bank
        return Scope(sorted(branches)) if branches is not None else Scope(None)
    if actor.type not in (ActorType.OFFICER, ActorType.API_KEY):
        return NOTHING
    allowed = set(actor.branch_ids)
    if filt.bank_id is not None:  # a platform reader's one bank; another bank's reader gets nothing
        bank = set(await Branch.filter(bank_id=filt.bank_id).values_list("id", flat=True))
        if not bank & allowed:
            return await _denied(actor, report, "bank", filt.bank_id)
        allowed &= bank
    if filt.branch_id is not None:
        if filt.branch_id not in allowed:
            return await _denied(actor, report, "branch", filt.branch_id)
        allowed &= await branch_scope(filt.branch_id)
    if filt.village_id is not None:
        branch = await Village.filter(id=filt.village_id).values_list("branch_id", flat=True)
        if branch and branch[0] not in allowed:
            return await _denied(actor, report, "village", filt.village_id)
    if filt.officer_id is not None:
        branch = await Officer.filter(id=filt.officer_id).values_list("branch_id", flat=True)
        if branch and branch[0] not in allowed:
            return await _denied(actor, report, "officer", filt.officer_id)
    return Scope(sorted(allowed))


class Sql:
    """Collects named parameters while a statement is put together."""

    def __init__(self) -> None:
        self.params: dict[str, Any] = {}

    def param(self, value: Any) -> str:
        name = f"p{len(self.params)}"
        self.params[name] = str(value) if isinstance(value, UUID) else value
        return f":{name}"

    def within(self, column: str, scope: Scope) -> str:
        if scope.branch_ids is None:
            return "1 = 1"
        if not scope.branch_ids:
            return "1 = 0"
        return f"{column} IN ({', '.join(self.param(b) for b in scope.branch_ids)})"

    def equals(self, column: str, value: Any) -> str:
        return f"{column} = {self.param(value)}"

    def dates(self, column: str, filt: ReportFilter) -> list[str]:
        out = []
        if filt.date_from:
            out.append(f"{column} >= {self.param(filt.date_from)}")
        if filt.date_to:
            out.append(f"{column} <= {self.param(filt.date_to)}")
        return out

    async def fetch(self, sql: str) -> list[dict]:
        return await fetch_reporting(sql, **self.params)  # the read replica when configured


def period_sql(column: str, interval: Interval) -> str:
    """A date column as its period's text: 'YYYY-MM-DD' or 'YYYY-MM' (same on both databases)."""
    if is_postgres():
        return f"to_char({column}, '{'YYYY-MM-DD' if interval == Interval.DAY else 'YYYY-MM'}')"
    return f"strftime('{'%Y-%m-%d' if interval == Interval.DAY else '%Y-%m'}', {column})"


def as_int(value: Any) -> int:
    """SUM/COUNT results: int on SQLite, Decimal/int on PostgreSQL, None for no rows."""
    return int(value) if value is not None else 0


def as_uuid(value: Any) -> UUID | None:
    if value is None:
        return None
    return value if isinstance(value, UUID) else UUID(str(value))


def page_sql(sql: Sql, page: Page) -> str:
    return f"LIMIT {sql.param(page.limit)} OFFSET {sql.param(page.offset)}"


def after_key(sql: Sql, order: list[tuple[str, bool]], key: tuple | list) -> str:
    """The rows strictly after `key` in `order` ((expression, descending), the last one unique): the keyset condition."""
    values = [sql.param(v) for v in key]
    ors = []
    for i, (expression, descending) in enumerate(order):
        equal = [f"{e} = {values[j]}" for j, (e, _) in enumerate(order[:i])]
        ors.append("(" + " AND ".join([*equal, f"{expression} {'<' if descending else '>'} {values[i]}"]) + ")")
    return f"({' OR '.join(ors)})"


@dataclass(frozen=True, slots=True)
class Keyset:
    """The order of a report that can be long (villages, officers, customers), paged by keyset, not by offset.

    `columns` are (column of the report's statement, descending, type of its value) in ORDER BY order, the last
    one unique. A page is the rows strictly after the last row read (`Page.after`), so rows that change between
    two pages never shift a page; `name` is the list's cursor kind (app/domain/cursor.py)."""

    name: str
    columns: tuple[tuple[str, bool, type], ...]

    def key(self, row: dict) -> tuple:
        """A row's sort key, in plain JSON values (UUIDs as text, sums as int on both databases)."""
        return tuple(str(as_uuid(row[c])) if kind is UUID else kind(row[c]) for c, _, kind in self.columns)

    def parse(self, values: list) -> tuple | None:
        """A key handed back in a cursor, or None when it is not one of this order's keys."""
        out = []
        for value, (_, _, kind) in zip(values, self.columns, strict=True):
            if kind is UUID:
                try:
                    value = str(UUID(value))
                except (TypeError, ValueError, AttributeError):
                    return None
            elif not isinstance(value, kind) or isinstance(value, bool):
                return None
            out.append(value)
        return tuple(out)

    def statement(self, sql: Sql, inner: str, page: Page) -> str:
        """One page of `inner` (every row, each carrying the window totals over all of them) in this order;
        `keyset_rest` counts the rows from the page's first on, so the page knows whether more follow."""
        if page.offset:
            raise ValueError(f"{self.name} pages by keyset (Page.after), not by offset")
        where = f" WHERE {after_key(sql, [(f'k.{c}', d) for c, d, _ in self.columns], page.after)}" if page.after is not None else ""
        order = ", ".join(f"k.{c}{' DESC' if descending else ''}" for c, descending, _ in self.columns)
        return f"SELECT k.*, COUNT(*) OVER () AS keyset_rest FROM ({inner}) k{where} ORDER BY {order} LIMIT {sql.param(page.limit)}"


@dataclass(frozen=True, slots=True)
class Dimension:
    """How rows group: the key on the fact rows, and the table that names a key."""

    table: str
    code: str
    name: str


DIMENSIONS = {
    GroupBy.BANK: Dimension("bank", "code", "name"),
    GroupBy.BRANCH: Dimension("branch", "code", "name"),
    GroupBy.VILLAGE: Dimension("village", "division_code", "name"),
    GroupBy.OFFICER: Dimension("officer", "username", "display_name"),
    GroupBy.PRODUCT: Dimension("product", "code", "name"),
}

UNASSIGNED = {GroupBy.BANK: "（无法人行）", GroupBy.BRANCH: "（无机构）", GroupBy.VILLAGE: "（未归属村庄）", GroupBy.OFFICER: "（未指定客户经理）", GroupBy.PRODUCT: "（无产品）"}


def grouped_page_sql(inner: str, group_by: GroupBy, sql: Sql, page: Page, columns: list[str]) -> str:
    """Name and page the groups of `inner` (which yields `gkey` and `columns`), in one statement that also
    carries the number of groups (`groups_total`) and each column's grand total (`total_<column>`)."""
    dim = DIMENSIONS[group_by]
    figures = ", ".join(f"a.{c}, SUM(a.{c}) OVER () AS total_{c}" for c in columns)
    return (
        f"SELECT a.gkey, d.{dim.code} AS gcode, d.{dim.name} AS gname, {figures}, COUNT(*) OVER () AS groups_total"
        f" FROM ({inner}) a LEFT JOIN {dim.table} d ON d.id = a.gkey"
        f" ORDER BY CASE WHEN d.{dim.code} IS NULL THEN 1 ELSE 0 END, d.{dim.code}, a.gkey {page_sql(sql, page)}"
    )


@dataclass(frozen=True, slots=True)
class ReportPage:
    """One page of a report's rows as read, and the row carrying its totals (None when the report is empty)."""

    rows: list[dict]
    totals: dict | None
    keyset: Keyset | None = None

    def paged(self, items: list[T], page: Page) -> Rows[T]:
        """`items` (this page's rows, converted) with the report's row count and, for a keyset report, their keys."""
        total = as_int(self.totals["groups_total"]) if self.totals else 0
        previous = page.offset > 0 or page.after is not None
        if self.keyset is None:
            return Rows(items, total, page.offset, has_next=page.offset + len(items) < total, has_previous=previous)
        rest = as_int(self.rows[0]["keyset_rest"]) if self.rows else 0
        return Rows(items, total, 0, has_next=rest > len(items), has_previous=previous, keys=[self.keyset.key(r) for r in self.rows])

    def total(self, figures: Callable[[dict, str], Any], empty: Any) -> Any:
        """The grand total through the report's own converter (`total_<column>` columns), or `empty`."""
        return figures(self.totals, "total_") if self.totals else empty


async def fetch_report(
    actor: Actor | None, filt: ReportFilter, page: Page, *, report: str, statement: Callable[[Sql, Scope, Page], str], keyset: Keyset | None = None
) -> ReportPage:
    """Scope a report to the actor, then read one page with its totals in one statement.

    `statement(sql, scope, page)` yields the page's rows, each carrying `groups_total` and the
    `total_<column>` figures; with a `keyset` it yields every row, unordered, and the keyset pages it.
    A page past the end is empty, so only then a second statement reads the totals from the first
    page. Out of scope: an empty report, no statement at all."""
    scope = await report_scope(actor, filt, report=report)
    if scope.empty:
        return ReportPage([], None, keyset)

    async def read(p: Page) -> list[dict]:
        sql = Sql()
        text = statement(sql, scope, p)
        return await sql.fetch(keyset.statement(sql, text, p) if keyset else text)

    rows = await read(page)
    if rows:
        return ReportPage(rows, rows[0], keyset)
    if page.offset > 0 or page.after is not None:
        first = await read(Page(0, 1))
        return ReportPage([], first[0] if first else None, keyset)
    return ReportPage([], None, keyset)
