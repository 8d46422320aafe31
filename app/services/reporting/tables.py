"""Flat read-only tables for reporting tools (issue 16): loans, installments, customers, credit lines, warnings, collection
tasks and the dimension lists (branches, villages, officers, products), one row per record, for a report key or staff.

- Scope: the reader's branches (a report key: its branch tree, so a key of one member bank sees that bank
  only), narrowed by `ReportFilter.bank_id` / `branch_id` (asking beyond them: empty and audited).
- Every row carries its member bank: id and institution code (金融机构代码).
- Keyset paging: the records with `updated_at` are ordered by (updated_at, id), the dimensions by id; the
  cursor is the last row's key. `updated_after` keeps rows changed after an instant (incremental sync:
  docs/reporting.md says what moves `updated_at`).
- PII: customers' ID numbers and phones are the masked copies; names are masked to the surname (张**). A report key
  with the PII scope (`cunxin report-key create … --pii`) also gets the whole name, ID number and phone, decrypted
  through the vault; every such page is audited (`report_customers.pii_read`: the key, which customers, how many).
- Rows are read with one statement (plus one COUNT) into dataclasses, never ORM objects.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime
from typing import Any
from uuid import UUID

from app.crypto import Vault
from app.domain import cursor
from app.domain.error_codes import CommonCode
from app.domain.errors import ValidationError
from app.domain.vocabulary import ActorType
from app.services import audit
from app.services.actor import Actor
from app.services.reporting.common import MAX_PAGE, ReportFilter, Sql, after_key, as_int, as_uuid, report_scope
from app.sql import is_postgres


@dataclass(frozen=True, slots=True)
class Table:
    name: str
    source: str  # FROM … with the aliases the columns use
    branch: str | None  # the row's branch column (scope); None: a bank-level row (`bk` is its bank)
    key: str  # the id column
    updated: str | None  # the updated_at column (None: a dimension, paged by id)
    columns: tuple[tuple[str, str], ...]  # (output name, SQL expression)


BANK = (("bank_id", "bk.id"), ("institution_code", "bk.code"))
# a loan `l`'s renewal (无还本续贷: loan_renewal is unique per new loan) and extension (展期: a loan_extension row exists only once
# approved), as subqueries of the page's statement; the SQL view reporting.loans uses the same expressions
RENEWED_FROM_SQL = "(SELECT rn.old_loan_id FROM loan_renewal rn WHERE rn.new_loan_id = l.id)"
IS_EXTENDED_SQL = "EXISTS (SELECT 1 FROM loan_extension ex WHERE ex.loan_id = l.id)"


def _masked_name(expr: str) -> str:
    length = "char_length" if is_postgres() else "length"
    left = f"left({expr}, 1)" if is_postgres() else f"substr({expr}, 1, 1)"
    stars = f"repeat('*', {length}({expr}) - 1)" if is_postgres() else f"substr('********************************', 1, {length}({expr}) - 1)"
    return f"CASE WHEN {length}({expr}) <= 1 THEN {expr} ELSE {left} || {stars} END"


def _tables() -> dict[str, Table]:
    return {
        "loans": Table(
            "loans",
            "loan l JOIN branch br ON br.id = l.branch_id JOIN bank bk ON bk.id = br.bank_id JOIN credit_line cl ON cl.id = l.credit_line_id"
            " JOIN product pr ON pr.id = l.product_id LEFT JOIN contract ct ON ct.credit_line_id = l.credit_line_id",
            "l.branch_id", "l.id", "l.updated_at",
            (("id", "l.id"), *BANK, ("branch_id", "l.branch_id"), ("branch_code", "br.code"), ("customer_id", "l.customer_id"),
             ("credit_line_id", "l.credit_line_id"), ("officer_id", "cl.officer_id"), ("product_id", "l.product_id"), ("product_code", "pr.code"),
             ("contract_number", "ct.number"), ("iou_number", "l.disbursement_ref"),
             ("loan_purpose", "pr.loan_purpose"), ("guarantee_method", "pr.guarantee_method"),
             ("is_agricultural", "pr.is_agricultural"), ("is_inclusive", "pr.is_inclusive"),
             ("principal_fen", "l.principal_fen"), ("annual_rate_ppm", "l.annual_rate_ppm"), ("lpr_tenor", "l.lpr_tenor"), ("spread_bp", "l.spread_bp"),
             ("method", "l.method"), ("term_months", "l.term_months"), ("start_on", "l.start_on"), ("maturity_on", "l.maturity_on"),
             ("status", "l.status"), ("classification", "l.classification"), ("outstanding_principal_fen", "l.outstanding_principal_fen"),
             ("overdue_principal_fen", "l.overdue_principal_fen"), ("overdue_interest_fen", "l.overdue_interest_fen"),
             ("days_past_due", "l.days_past_due"), ("settled_on", "l.settled_on"),
             ("renewed_from_loan_id", RENEWED_FROM_SQL), ("is_extended", IS_EXTENDED_SQL), ("created_at", "l.created_at"), ("updated_at", "l.updated_at")),
        ),
        "installments": Table(
            "installments",
            "installment i JOIN loan l ON l.id = i.loan_id JOIN branch br ON br.id = l.branch_id JOIN bank bk ON bk.id = br.bank_id",
            "l.branch_id", "i.id", "i.updated_at",
            (("id", "i.id"), *BANK, ("loan_id", "i.loan_id"), ("iou_number", "l.disbursement_ref"), ("number", "i.number"), ("due_on", "i.due_on"),
             ("principal_fen", "i.principal_fen"), ("interest_fen", "i.interest_fen"), ("penalty_fen", "i.penalty_fen"), ("compound_fen", "i.compound_fen"),
             ("paid_principal_fen", "i.paid_principal_fen"), ("paid_interest_fen", "i.paid_interest_fen"), ("paid_penalty_fen", "i.paid_penalty_fen"),
             ("paid_compound_fen", "i.paid_compound_fen"), ("status", "i.status"), ("paid_on", "i.paid_on"), ("updated_at", "i.updated_at")),
        ),
        "customers": Table(
            "customers",
            "customer c JOIN branch br ON br.id = c.branch_id JOIN bank bk ON bk.id = c.bank_id",
            "c.branch_id", "c.id", "c.updated_at",
            (("id", "c.id"), *BANK, ("branch_id", "c.branch_id"), ("branch_code", "br.code"), ("village_id", "c.village_id"),
             ("name_masked", _masked_name("c.name")), ("sex", "c.sex"), ("id_number_masked", "c.id_number_masked"), ("phone_masked", "c.phone_masked"),
             ("grade", "c.grade"), ("created_at", "c.created_at"), ("updated_at", "c.updated_at")),
        ),
        "credit_lines": Table(
            "credit_lines",
            "credit_line cl JOIN branch br ON br.id = cl.branch_id JOIN bank bk ON bk.id = br.bank_id JOIN product pr ON pr.id = cl.product_id"
            " LEFT JOIN contract ct ON ct.credit_line_id = cl.id",
            "cl.branch_id", "cl.id", "cl.updated_at",
            (("id", "cl.id"), *BANK, ("branch_id", "cl.branch_id"), ("branch_code", "br.code"), ("customer_id", "cl.customer_id"),
             ("officer_id", "cl.officer_id"), ("product_id", "cl.product_id"), ("product_code", "pr.code"), ("contract_number", "ct.number"),
             ("limit_fen", "cl.limit_fen"), ("used_fen", "cl.used_fen"), ("valid_from", "cl.valid_from"), ("valid_until", "cl.valid_until"),
             ("status", "cl.status"), ("spread_bp", "cl.spread_bp"), ("max_term_months", "cl.max_term_months"), ("granted_at", "cl.granted_at"),
             ("created_at", "cl.created_at"), ("updated_at", "cl.updated_at")),
        ),
        "warnings": Table(
            "warnings", "early_warning w JOIN branch br ON br.id = w.branch_id JOIN bank bk ON bk.id = br.bank_id", "w.branch_id", "w.id", "w.updated_at",
            (("id", "w.id"), *BANK, ("branch_id", "w.branch_id"), ("branch_code", "br.code"), ("customer_id", "w.customer_id"), ("loan_id", "w.loan_id"),
             ("officer_id", "w.officer_id"), ("kind", "w.kind"), ("severity", "w.severity"), ("warning_level", "w.level"), ("business_on", "w.business_on"),
             ("status", "w.status"), ("handled_at", "w.handled_at"), ("created_at", "w.created_at"), ("updated_at", "w.updated_at")),
        ),
        "collections": Table(
            "collections", "collection_task t JOIN branch br ON br.id = t.branch_id JOIN bank bk ON bk.id = br.bank_id", "t.branch_id", "t.id", "t.updated_at",
            (("id", "t.id"), *BANK, ("branch_id", "t.branch_id"), ("branch_code", "br.code"), ("loan_id", "t.loan_id"), ("customer_id", "t.customer_id"),
             ("officer_id", "t.officer_id"), ("status", "t.status"), ("opened_on", "t.opened_on"), ("opened_dpd", "t.opened_dpd"),
             ("closed_on", "t.closed_on"), ("close_reason", "t.close_reason"), ("next_action_on", "t.next_action_on"), ("source", "t.source"),
             ("action_count", "(SELECT COUNT(*) FROM collection_action a WHERE a.task_id = t.id)"),
             ("last_action_at", "(SELECT MAX(a.at) FROM collection_action a WHERE a.task_id = t.id)"), ("created_at", "t.created_at"),
             ("updated_at", "t.updated_at")),
        ),
        "branches": Table(
            "branches", "branch br JOIN bank bk ON bk.id = br.bank_id", "br.id", "br.id", None,
            (("id", "br.id"), *BANK, ("code", "br.code"), ("name", "br.name"), ("level", "br.level"), ("parent_id", "br.parent_id")),
        ),
        "villages": Table(
            "villages", "village v JOIN branch br ON br.id = v.branch_id JOIN bank bk ON bk.id = br.bank_id", "v.branch_id", "v.id", None,
            (("id", "v.id"), *BANK, ("branch_id", "v.branch_id"), ("division_code", "v.division_code"), ("name", "v.name"), ("town", "v.town"),
             ("county", "v.county"), ("officer_id", "v.officer_id")),
        ),
        "officers": Table(
            "officers", "officer o JOIN branch br ON br.id = o.branch_id JOIN bank bk ON bk.id = br.bank_id", "o.branch_id", "o.id", None,
            (("id", "o.id"), *BANK, ("branch_id", "o.branch_id"), ("username", "o.username"), ("display_name", "o.display_name"), ("role", "o.role"),
             ("is_active", "o.is_active")),
        ),
        "products": Table(
            "products", "product pr JOIN bank bk ON bk.id = pr.bank_id", None, "pr.id", None,
            (("id", "pr.id"), *BANK, ("code", "pr.code"), ("name", "pr.name"), ("kind", "pr.kind"), ("loan_purpose", "pr.loan_purpose"),
             ("guarantee_method", "pr.guarantee_method"), ("is_agricultural", "pr.is_agricultural"), ("is_inclusive", "pr.is_inclusive"),
             ("min_principal_fen", "pr.min_principal_fen"), ("max_principal_fen", "pr.max_principal_fen"), ("min_term_months", "pr.min_term_months"),
             ("max_term_months", "pr.max_term_months"), ("is_active", "pr.is_active")),
        ),
    }


TABLES = ("loans", "installments", "customers", "credit_lines", "warnings", "collections", "branches", "villages", "officers", "products")  # for docs and tests


@dataclass(frozen=True, slots=True)
class TablePage:
    rows: list[dict[str, Any]]  # each row's columns, typed (UUID, date, datetime, int, bool, str)
    has_next: bool
    total_count: int  # rows in scope matching the filters (every page)
    end_cursor: str | None
    start_cursor: str | None = None
    has_previous: bool = False  # the page was asked with a cursor


def encode_cursor(table: Table, row: dict[str, Any]) -> str:
    key: list[Any] = [str(row["id"])]
    if table.updated:
        stamp = row["updated_at"]
        key.insert(0, stamp.isoformat() if isinstance(stamp, datetime) else stamp)
    return cursor.encode(table.name, *key)


def decode_cursor(table: Table, after: str) -> list[Any]:
    key = cursor.decode(after, table.name, 2 if table.updated else 1)
    try:
        UUID(key[-1])
        if table.updated and key[0] is not None and is_postgres():
            key[0] = datetime.fromisoformat(key[0])
    except (ValueError, TypeError, AttributeError):
        raise cursor.invalid() from None
    return key


def _stamp(value: datetime) -> Any:
    """An instant as the database compares it: a datetime (PostgreSQL) or tortoise's SQLite text."""
    value = value if value.tzinfo else value.replace(tzinfo=UTC)
    return value if is_postgres() else value.astimezone(UTC).isoformat(sep=" ")


def _typed(r: dict[str, Any]) -> dict[str, Any]:
    out = {}
    for k, v in r.items():
        if v is None:
            out[k] = None
        elif k == "id" or k.endswith("_id"):
            out[k] = as_uuid(v)
        elif k.endswith("_fen") or k in ("annual_rate_ppm", "spread_bp", "term_months", "days_past_due", "number", "max_term_months", "min_term_months",
                                                       "warning_level", "opened_dpd", "action_count"):
            out[k] = as_int(v)
        elif k.startswith("is_"):
            out[k] = bool(v)
        elif k.endswith("_on") or k in ("valid_from", "valid_until"):
            out[k] = v if isinstance(v, date) else date.fromisoformat(str(v)[:10])
        elif k.endswith("_at"):
            out[k] = v if isinstance(v, datetime) else datetime.fromisoformat(str(v))
        else:
            out[k] = v
    return out


PII_COLUMNS = (("pii_name", "c.name"), ("pii_id_number_enc", "c.id_number_enc"), ("pii_phone_enc", "c.phone_enc"))


def _reveals_pii(actor: Actor | None, table: str) -> bool:
    return table == "customers" and actor is not None and actor.type == ActorType.API_KEY and actor.pii_scope


async def _reveal(actor: Actor, rows: list[dict[str, Any]], vault: Vault | None) -> None:
    """Whole name, ID number and phone on each customer row for a PII-scoped key; the page's read is audited first."""
    if vault is None:
        raise RuntimeError("PII-scoped customer reads need the vault")
    if rows:
        ids = [str(as_uuid(r["id"])) for r in rows]
        await audit.record(actor, "report_customers.pii_read", "customer", None,
                           after={"count": len(ids), "customer_ids": ids, "fields": ["name", "id_number", "phone"]})
    for r in rows:
        r["name"] = r.pop("pii_name")
        r["id_number"] = vault.decrypt(bytes(r.pop("pii_id_number_enc")), context=b"id_number")
        phone = r.pop("pii_phone_enc")
        r["phone"] = vault.decrypt(bytes(phone), context=b"phone") if phone else None


async def table_page(*, actor: Actor | None, table: str, filt: ReportFilter = ReportFilter(), first: int = MAX_PAGE, after: str | None = None,
                     updated_after: datetime | None = None, vault: Vault | None = None) -> TablePage:
    """One page of a flat table in the reader's scope (COUNT + one SELECT). Customers for a PII-scoped key: unmasked, audited."""
    spec = _tables().get(table)
    if spec is None:
        raise ValidationError("没有这张报表", code=CommonCode.INVALID, field="table")
    if not 1 <= first <= MAX_PAGE:
        raise ValidationError(f"first 应在 1 到 {MAX_PAGE} 之间", code=CommonCode.INVALID, field="first")
    if updated_after is not None and spec.updated is None:
        raise ValidationError("维度表没有更新时间，不能按 updatedAfter 筛选", code=CommonCode.INVALID, field="updated_after")
    key = decode_cursor(spec, after) if after else None
    scope = await report_scope(actor, ReportFilter(bank_id=filt.bank_id, branch_id=filt.branch_id), report=f"table.{table}")
    if scope.empty:
        return TablePage([], False, 0, None)
    sql = Sql()
    # a bank-level row (a product) is seen by a reader of any branch of its bank
    where = [sql.within(spec.branch, scope) if spec.branch else f"bk.id IN (SELECT bank_id FROM branch WHERE {sql.within('id', scope)})"]
    if updated_after is not None:
        where.append(f"{spec.updated} > {sql.param(_stamp(updated_after))}")
    total = as_int((await sql.fetch(f"SELECT COUNT(*) AS n FROM {spec.source} WHERE {' AND '.join(where)}"))[0]["n"])
    if key is not None:
        where.append(after_key(sql, [(spec.updated, False), (spec.key, False)] if spec.updated else [(spec.key, False)], key))
    order = f"{spec.updated}, {spec.key}" if spec.updated else spec.key
    pii = _reveals_pii(actor, table)
    select = ", ".join(f"{expr} AS {name}" for name, expr in spec.columns + (PII_COLUMNS if pii else ()))
    raw = await sql.fetch(f"SELECT {select} FROM {spec.source} WHERE {' AND '.join(where)} ORDER BY {order} LIMIT {sql.param(first + 1)}")
    rows = raw[:first]
    end = encode_cursor(spec, rows[-1]) if rows else None
    start = encode_cursor(spec, rows[0]) if rows else None
    typed = [_typed(r) for r in rows]
    if pii:
        assert actor is not None
        await _reveal(actor, typed, vault)
    return TablePage(typed, len(raw) > first, total, end, start, key is not None)
