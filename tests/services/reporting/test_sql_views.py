"""The `reporting` schema for Metabase/Superset (issue 16): a read-only role selects from every view and nothing else,
and a role made for one bank sees only that bank."""

from __future__ import annotations

import os
from urllib.parse import urlsplit, urlunsplit

import asyncpg
import pytest

from app.models import Bank, Branch, Customer, Product
from app.services.lending.positions import write_positions
from app.services.reporting.sql_views import VIEWS, install_reporting_sql
from app.sql import execute
from tests.services.lending.conftest import TODAY, bank, core  # noqa: F401  (fixtures)
from tests.services.lending.test_books_per_bank import two_banks_with_a_loan_each

pytestmark = pytest.mark.postgres


def _dsn_as(settings, role: str) -> str:
    parts = urlsplit(settings.db_url)
    return urlunsplit(("postgresql", f"{role}:pw-{role}@{parts.hostname}:{parts.port or 5432}", parts.path, "", ""))


@pytest.fixture
async def roles(settings):
    """Role names unique to this database and process (roles are shared by every database of the server)."""
    made: list[str] = []
    base = f"rt_{urlsplit(settings.db_url).path.strip('/').replace('-', '_')[-20:]}_{os.getpid()}"

    def name(suffix: str) -> str:
        made.append(f"{base}_{suffix}")
        return made[-1]

    yield name
    for role in made:
        await execute(f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN"
                      f" EXECUTE 'DROP OWNED BY {role}'; EXECUTE 'DROP ROLE {role}'; END IF; END $$")


async def _select_all(conn) -> dict[str, list]:
    return {v.name: await conn.fetch(f"SELECT * FROM reporting.{v.name}") for v in VIEWS}


async def test_the_read_only_role_reads_every_view_and_nothing_else(bank, core, vault, settings, roles):
    # given a loan at each bank, their positions of the day, and the reporting schema with an all-banks role
    first, second, a, b = await two_banks_with_a_loan_each(vault, core)
    await write_positions(TODAY)
    role = roles("all")
    made = await install_reporting_sql(role=role, password=f"pw-{role}")
    assert made.password == f"pw-{role}" and set(made.views) == {v.name for v in VIEWS}
    conn = await asyncpg.connect(_dsn_as(settings, role))
    try:
        # every view in the schema is documented and selectable
        listed = {r["table_name"] for r in await conn.fetch("SELECT table_name FROM information_schema.views WHERE table_schema = 'reporting'")}
        assert listed == {v.name for v in VIEWS}
        undocumented = await conn.fetch(
            "SELECT c.relname, a.attname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace"
            " JOIN pg_attribute a ON a.attrelid = c.oid AND a.attnum > 0"
            " WHERE n.nspname = 'reporting' AND (col_description(c.oid, a.attnum) IS NULL OR obj_description(c.oid, 'pg_class') IS NULL)")
        assert undocumented == []
        rows = await _select_all(conn)
        assert all("bank_id" in dict(r) for v in rows.values() for r in v)
        assert {r["bank_id"] for r in rows["banks"]} == {first.id, second.id}
        assert {r["loan_id"] for r in rows["loans"]} == {a.id, b.id}
        assert {r["loan_id"] for r in rows["loan_positions"]} == {a.id, b.id}
        # the regulatory fields of the loan's product, on the loan and on its positions
        product = await Product.get(id=a.product_id)
        bank_of_a = await Bank.get(id=product.bank_id)
        for view in ("loans", "loan_positions"):
            seen = next(r for r in rows[view] if r["loan_id"] == a.id)
            assert (seen["loan_purpose"], seen["guarantee_method"], seen["is_agricultural"], seen["is_inclusive"]) == (
                product.loan_purpose, product.guarantee_method, product.is_agricultural, product.is_inclusive), view
        loan_row = next(r for r in rows["loans"] if r["loan_id"] == a.id)
        assert loan_row["institution_code"] == bank_of_a.code and loan_row["disbursement_ref"] == a.disbursement_ref
        # the positions also carry the contract and 借据 numbers and the institution codes (bank and branch), by join
        branch_of_a = await Branch.get(id=a.branch_id)
        for view in ("loans", "loan_positions"):
            seen = next(r for r in rows[view] if r["loan_id"] == a.id)
            assert (seen["institution_code"], seen["branch_code"], seen["iou_number"], seen["contract_number"]) == (
                bank_of_a.code, branch_of_a.code, a.disbursement_ref, loan_row["contract_number"]), view
        # customers: masked only
        customer = await Customer.get(id=a.customer_id)
        seen = next(r for r in rows["customers"] if r["customer_id"] == customer.id)
        assert seen["id_number_masked"] == customer.id_number_masked and "*" in seen["id_number_masked"]
        assert seen["name_masked"] != customer.name and seen["name_masked"][0] == customer.name[0]
        assert not {"id_number_enc", "phone_enc", "id_number_hash", "name"} & set(dict(seen))
        # no base table, no private table, no writing
        for sql in ("SELECT * FROM public.customer", "SELECT * FROM public.loan", "SELECT * FROM reporting_private.role_bank"):
            with pytest.raises(asyncpg.InsufficientPrivilegeError):
                await conn.fetch(sql)
        with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.ReadOnlySQLTransactionError)):
            await conn.execute("UPDATE reporting.banks SET name = 'x'")
        assert await conn.fetchval("SHOW default_transaction_read_only") == "on"
        with pytest.raises((asyncpg.InsufficientPrivilegeError, asyncpg.ReadOnlySQLTransactionError)):
            await conn.execute("CREATE TABLE reporting.mine (x int)")
    finally:
        await conn.close()


async def test_a_bank_role_sees_only_its_bank(bank, core, vault, settings, roles):
    first, second, a, b = await two_banks_with_a_loan_each(vault, core)
    await write_positions(TODAY)
    role = roles("yc")
    await install_reporting_sql(role=role, bank_code=second.code, password=f"pw-{role}")
    conn = await asyncpg.connect(_dsn_as(settings, role))
    try:
        rows = await _select_all(conn)
    finally:
        await conn.close()
    assert {r["bank_id"] for v in rows.values() for r in v} == {second.id}
    assert [r["loan_id"] for r in rows["loans"]] == [b.id]
    assert [r["loan_id"] for r in rows["loan_positions"]] == [b.id]
    assert all(r["bank_id"] == second.id for r in rows["branches"]) and rows["branches"]
    assert rows["customers"] and rows["installments"] and rows["products"]


async def test_running_it_again_keeps_the_roles_grants(bank, core, vault, settings, roles):
    await two_banks_with_a_loan_each(vault, core)
    role = roles("again")
    first = await install_reporting_sql(role=role, password=f"pw-{role}")
    again = await install_reporting_sql(role=role)  # e.g. after an upgrade: views replaced, the password kept
    assert first.password and again.password is None
    conn = await asyncpg.connect(_dsn_as(settings, role))
    try:
        assert len(await conn.fetch("SELECT * FROM reporting.loans")) == 2
    finally:
        await conn.close()
