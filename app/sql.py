"""Raw SQL that runs on SQLite and PostgreSQL: named parameters and the few dialect differences."""

from __future__ import annotations

import re
from datetime import date
from typing import Any
from uuid import UUID

from tortoise import connections

from app.db import reporting_client

_NAMED = re.compile(r"(?<!:):([a-z_][a-z0-9_]*)")


def connection():
    return connections.get("default")


def reporting_connection():
    """The read replica for reports (CUNXIN_REPORTING_DATABASE_URL), or the primary when none is configured.

    Only report reads go there: analysts' queries cannot slow the tellers, and a replica a few
    seconds behind is fine for a report. It must be the same engine as the primary.
    """
    return reporting_client() or connections.get("default")


def is_postgres() -> bool:
    return connection().capabilities.dialect == "postgres"


def bind(sql: str, params: dict[str, Any]) -> tuple[str, list[Any]]:
    """`:name` placeholders → `$n` (asyncpg) or `?` (sqlite), with the values in order."""
    values: list[Any] = []
    postgres = is_postgres()
    index: dict[str, int] = {}

    def replace(match: re.Match) -> str:
        name = match.group(1)
        if postgres:
            if name not in index:
                values.append(params[name])
                index[name] = len(values)
            return f"${index[name]}"
        values.append(params[name])
        return "?"

    return _NAMED.sub(replace, sql), values


async def execute(sql: str, **params: Any) -> int:
    text, values = bind(sql, params)
    rows, _ = await connection().execute_query(text, values)
    return rows


async def fetch(sql: str, **params: Any) -> list[dict]:
    text, values = bind(sql, params)
    return await connection().execute_query_dict(text, values)


async def fetch_reporting(sql: str, **params: Any) -> list[dict]:
    """`fetch` on the reporting connection (the read replica when configured)."""
    text, values = bind(sql, params)
    return await reporting_connection().execute_query_dict(text, values)


def new_uuid() -> str:
    """SQL expression for a fresh UUID (as stored by tortoise's UUIDField)."""
    if is_postgres():
        return "gen_random_uuid()"
    return (
        "lower(hex(randomblob(4))) || '-' || lower(hex(randomblob(2))) || '-4' || substr(lower(hex(randomblob(2))), 2)"
        " || '-' || substr('89ab', 1 + (abs(random()) % 4), 1) || substr(lower(hex(randomblob(2))), 2)"
        " || '-' || lower(hex(randomblob(6)))"
    )


async def post_per_loan(txn_id: Any, account: str, table: str, debit: str, *, core_reference: str = "NULL") -> None:
    """One ledger line per loan row of `table`; `debit` is a signed SQL amount (positive: debit, negative: credit)."""
    await execute(
        f"INSERT INTO ledger_entry (id, transaction_id, account, loan_id, debit_fen, credit_fen, core_reference)"
        f" SELECT {new_uuid()}, :txn, :account, loan_id, CASE WHEN ({debit}) > 0 THEN ({debit}) ELSE 0 END,"
        f" CASE WHEN ({debit}) < 0 THEN -({debit}) ELSE 0 END, {core_reference} FROM {table} WHERE ({debit}) <> 0",
        txn=str(txn_id), account=account,
    )


async def post_aggregate(txn_id: Any, account: str, table: str, debit: str) -> None:
    """One portfolio ledger line: the sum of the signed `debit` over the rows of `table` (positive: debit)."""
    await execute(
        f"INSERT INTO ledger_entry (id, transaction_id, account, loan_id, debit_fen, credit_fen)"
        f" SELECT {new_uuid()}, :txn, :account, NULL, CASE WHEN s > 0 THEN s ELSE 0 END, CASE WHEN s < 0 THEN -s ELSE 0 END"
        f" FROM (SELECT COALESCE(SUM({debit}), 0) AS s FROM {table}) t WHERE s <> 0",
        txn=str(txn_id), account=account,
    )


def of_bank(table: str, bank_id: Any) -> str:
    """The rows of a per-loan `table` whose loan is of the bank (a derived table for post_per_loan / post_aggregate)."""
    bank = str(UUID(str(bank_id)))  # a literal, checked to be a UUID
    return (f"(SELECT x.* FROM {table} x JOIN loan l ON l.id = x.loan_id JOIN branch b ON b.id = l.branch_id"
            f" WHERE b.bank_id = '{bank}') {table}_bank")


def days_between(later: str, earlier: str) -> str:
    """SQL for whole days from `earlier` to `later` (both date expressions)."""
    if is_postgres():
        return f"(({later})::date - ({earlier})::date)"
    return f"CAST(julianday({later}) - julianday({earlier}) AS INTEGER)"


def uuid_type() -> str:
    return "UUID" if is_postgres() else "CHAR(36)"


def now_sql() -> str:
    return "now()" if is_postgres() else "strftime('%Y-%m-%d %H:%M:%f+00:00', 'now')"


def as_uuid(value: Any) -> UUID | None:
    """A UUID column of a raw row: asyncpg gives UUIDs, SQLite text."""
    return None if value is None else value if isinstance(value, UUID) else UUID(str(value))


def as_date(value: Any) -> date | None:
    """A date column of a raw row: asyncpg gives dates, SQLite text ("2026-12-03" or a timestamp)."""
    if value is None or isinstance(value, date):
        return value
    return date.fromisoformat(str(value)[:10])
