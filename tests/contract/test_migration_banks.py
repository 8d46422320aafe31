"""Migration 0022 turns a one-bank database (today's data shape) into platform + bank #1 (and 0023 gives
household members their village's bank).

A child process migrates an empty database to 0021, writes rows the way the code before banks did
(raw SQL: the models already carry the bank columns), migrates to the head and prints what it finds.
"""

import json
import os
import subprocess
import sys

from app.config import ROOT
from tests.conftest import ON_POSTGRES
from tests.contract.test_migrations import _fresh_database_url

UPGRADE = r'''
import asyncio, json, uuid
from tortoise import Tortoise, connections
from tortoise.migrations.api.migrate import migrate
from app.config import get_settings
from app.db import tortoise_config

FILL = {"int": 0, "big": 0, "boo": False, "jso": "[]", "dat": "2026-01-01", "tim": "2026-01-01 00:00:00+00:00",
        "var": "x", "cha": "x", "tex": "x", "cla": "x", "uui": None, "byt": b"", "blo": b"", "rea": 0, "dou": 0, "num": 0}

async def columns(db, table):
    """(name, type, not null) of each column, on SQLite or PostgreSQL."""
    if db.capabilities.dialect == "sqlite":
        rows = await db.execute_query_dict(f"PRAGMA table_info({table})")
        return [(r["name"], r["type"].lower(), bool(r["notnull"])) for r in rows]
    rows = await db.execute_query_dict(
        "SELECT column_name, data_type, is_nullable FROM information_schema.columns WHERE table_name = $1", [table])
    return [(r["column_name"], r["data_type"].lower(), r["is_nullable"] == "NO") for r in rows]

async def insert(db, table, **values):
    """One row: the given values, and a filler for every other NOT NULL column (tortoise defaults live in Python)."""
    for name, kind, not_null in await columns(db, table):
        if name not in values and not_null:
            values[name] = FILL[kind[:3]]
    names = list(values)
    pg = db.capabilities.dialect == "postgres"
    marks = ", ".join(f"${i + 1}" if pg else "?" for i in range(len(names)))
    params = [str(v) if isinstance(v, uuid.UUID) and not pg else v for v in values.values()]
    if pg:
        import datetime
        params = [datetime.date(2026, 1, 1) if v == "2026-01-01" else datetime.datetime(2026, 1, 1, tzinfo=datetime.UTC) if v == "2026-01-01 00:00:00+00:00" else v for v in params]
    await db.execute_query(f"INSERT INTO {table} ({', '.join(names)}) VALUES ({marks})", params)

async def main():
    config = tortoise_config(get_settings())
    await migrate(config=config, target="models.0021_post_loan_check")
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    db = connections.get("default")
    ids = {k: uuid.uuid4() for k in ("head", "xf010", "outlet", "product", "c1", "c2", "line", "loan", "t_loan", "t_eod", "rules",
                                     "officer", "village", "household", "member")}
    await insert(db, "branch", id=ids["head"], code="XF000", name="襄汾农商行", level="head", parent_id=None)
    await insert(db, "branch", id=ids["xf010"], code="XF010", name="襄汾农商行新城支行", level="branch", parent_id=ids["head"])
    await insert(db, "branch", id=ids["outlet"], code="XF011", name="新城分理处", level="outlet", parent_id=ids["xf010"])
    await insert(db, "product", id=ids["product"], code="BIANLI", name="便利贷", kind="revolving")
    await insert(db, "customer", id=ids["c1"], name="甲", id_number_hash="h1", branch_id=ids["xf010"])
    await insert(db, "customer", id=ids["c2"], name="乙", id_number_hash="h2", branch_id=ids["outlet"])
    await insert(db, "credit_line", id=ids["line"], customer_id=ids["c1"], product_id=ids["product"], branch_id=ids["xf010"])
    await insert(db, "loan", id=ids["loan"], credit_line_id=ids["line"], customer_id=ids["c1"], product_id=ids["product"], branch_id=ids["xf010"])
    await insert(db, "ledger_transaction", id=ids["t_loan"], kind="disbursement", loan_id=ids["loan"])
    await insert(db, "ledger_transaction", id=ids["t_eod"], kind="accrual", loan_id=None)
    await insert(db, "rule_set_version", id=ids["rules"], kind="reject", version="builtin-1", is_active=True)
    await insert(db, "officer", id=ids["officer"], username="o1", branch_id=ids["xf010"])
    await insert(db, "village", id=ids["village"], division_code="141023100201", branch_id=ids["xf010"], officer_id=ids["officer"])
    await insert(db, "household", id=ids["household"], village_id=ids["village"], household_no="001")
    await insert(db, "household_member", id=ids["member"], household_id=ids["household"], id_number_hash="h1")
    await Tortoise.close_connections()
    await migrate(config=config)
    await Tortoise.close_connections()
    await Tortoise.init(config=config)
    db = connections.get("default")
    q = db.execute_query_dict
    out = {
        "banks": await q("SELECT code, name, legal_name, kind, contract_prefix, head_branch_id FROM bank"),
        "branches": await q("SELECT id, code, level, parent_id, bank_id FROM branch ORDER BY code"),
        "products": await q("SELECT code, bank_id FROM product"),
        "customers": await q("SELECT name, bank_id FROM customer ORDER BY name"),
        "transactions": await q("SELECT kind, bank_id FROM ledger_transaction ORDER BY kind"),
        "rules": await q("SELECT version, bank_id FROM rule_set_version"),
        "members": await q("SELECT id_number_hash, bank_id FROM household_member"),
        "head_id": str(ids["head"]),
    }
    await Tortoise.close_connections()
    print(json.dumps(out, default=str, ensure_ascii=False))

async def run():
    try:
        await main()
    finally:
        await Tortoise.close_connections()  # or a failed migration leaves aiosqlite's thread holding the process

asyncio.run(run())
'''


def test_todays_data_becomes_bank_one_under_the_platform(settings, tmp_path):
    # given a database at 0021 holding one bank's tree, a product, customers, a loan and ledger transactions
    url = _fresh_database_url(settings, tmp_path)
    env = {**os.environ, "CUNXIN_DATABASE_URL": url, "CUNXIN_PLATFORM_NAME": "临汾市农信中心", "CUNXIN_FIRST_BANK_CODE": "14102301"}
    # when it is migrated to the head
    run = subprocess.run([sys.executable, "-c", UPGRADE], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert run.returncode == 0, run.stderr
    found = json.loads(run.stdout.strip().splitlines()[-1])
    # then one bank #1 is headed by the old head branch, and the platform is above it
    [bank] = found["banks"]
    assert (bank["code"], bank["name"], bank["legal_name"], bank["kind"], bank["contract_prefix"]) == (
        "14102301", "襄汾农商行", "山西襄汾农村商业银行股份有限公司", "rural_commercial", "SX")
    assert str(bank["head_branch_id"]) == found["head_id"]
    branches = {b["code"]: b for b in found["branches"]}
    platform = branches.pop("PLATFORM")
    assert (platform["level"], platform["parent_id"], platform["bank_id"]) == ("platform", None, None)
    assert str(branches["XF000"]["parent_id"]) == str(platform["id"])
    assert {c: str(b["bank_id"]) for c, b in branches.items()} == dict.fromkeys(("XF000", "XF010", "XF011"), _bank_id(found))
    # and every per-bank row belongs to bank #1; the rule set stays the platform default
    assert [str(p["bank_id"]) for p in found["products"]] == [_bank_id(found)]
    assert [str(c["bank_id"]) for c in found["customers"]] == [_bank_id(found)] * 2
    assert [(t["kind"], str(t["bank_id"])) for t in found["transactions"]] == [("accrual", _bank_id(found)), ("disbursement", _bank_id(found))]
    assert [(r["version"], r["bank_id"]) for r in found["rules"]] == [("builtin-1", None)]
    assert [(m["id_number_hash"], str(m["bank_id"])) for m in found["members"]] == [("h1", _bank_id(found))]
    if ON_POSTGRES:
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", url.rpartition("/")[2]], check=True)


def _bank_id(found) -> str:
    return str(found["branches"][[b["code"] for b in found["branches"]].index("XF000")]["bank_id"])
