"""The hand-written baseline of bench/mobile_home.py: POST /me, Starlette + asyncpg, the app's Me JSON.

    .venv/bin/python bench/mobile_home_baseline.py --dsn postgres://... --port N

Runs the same SQL statements the app runs for graphql/mobile/Me.graphql (bench/mobile_home.py
captures them; here written once, explicitly, with the same WHERE/ORDER/LIMIT: 20 since the
person's records at every member bank and the per-bank offer, issue 15) on one pooled
connection per request (asyncpg pool of 5, tortoise's default size), and builds the same JSON.
The token is checked the app's way: HMAC + expiry (app.services.auth.borrowers.read_access_token,
pure) then the same liveness query. No GraphQL, no ORM, no per-statement pool round trip.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import base64
import sys
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import asyncpg  # noqa: E402
import uvicorn  # noqa: E402
from starlette.applications import Starlette  # noqa: E402
from starlette.requests import Request  # noqa: E402
from starlette.responses import JSONResponse, PlainTextResponse  # noqa: E402
from starlette.routing import Route  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.crypto import Vault  # noqa: E402
from app.domain.money import percent_str, yuan_str  # noqa: E402
from app.services.auth.borrowers import read_access_token  # noqa: E402
from app.services.customers.cards import NO_CARD, OWN_BANK_ONLY  # noqa: E402

LIVE = """SELECT 1 FROM refresh_token t LEFT OUTER JOIN customer_device d ON d.id = t.device_id
WHERE t.family_id = $1 AND t.customer_id = $2 AND t.device_id = $3 AND t.revoked_at IS NULL AND t.used_at IS NULL AND d.revoked_at IS NULL LIMIT 1"""
ID_HASH = "SELECT id_number_hash FROM customer WHERE id = $1 LIMIT 1"
RECORDS = "SELECT id FROM customer WHERE id_number_hash = $1"  # the person's records at every member bank
CUSTOMER = "SELECT id, name, id_number_masked, phone_masked FROM customer WHERE id = $1 LIMIT 1"
LINES_COUNT = "SELECT COUNT(*) FROM credit_line WHERE customer_id = ANY($1::uuid[])"
LOANS_COUNT = "SELECT COUNT(*) FROM loan WHERE customer_id = ANY($1::uuid[]) AND status = 'active'"
TODAY = "SELECT current_on FROM business_calendar WHERE id = 1 LIMIT 1"
CARDS = "SELECT id, card_number_masked, bank_name, branch_name, is_default FROM bank_card WHERE customer_id = $1 AND unbound_at IS NULL ORDER BY is_default DESC, bound_at DESC"
DEFAULT_CARD = "SELECT id, bank_name, branch_name FROM bank_card WHERE customer_id = $1 AND is_default AND unbound_at IS NULL LIMIT 1"
LOANS = """SELECT id, status, principal_fen, outstanding_principal_fen, annual_rate_ppm, maturity_on, days_past_due
FROM loan WHERE customer_id = ANY($1::uuid[]) AND status = 'active' ORDER BY created_at DESC, id LIMIT 21"""
LINES = """SELECT id, status, limit_fen, used_fen, valid_until, max_term_months, allowed_methods, product_id
FROM credit_line WHERE customer_id = ANY($1::uuid[]) ORDER BY created_at DESC, id LIMIT 21"""
UNPAID = """SELECT i.due_on FROM installment i LEFT OUTER JOIN loan l ON l.id = i.loan_id
WHERE l.customer_id = ANY($1::uuid[]) AND l.status = 'active' AND NOT i.status = 'paid' ORDER BY i.due_on LIMIT 1"""
LOOKUPS = "SELECT card_id, bank_name, branch_name, is_own_bank FROM card_lookup WHERE card_id = ANY($1::uuid[])"
LOOKUP = "SELECT bank_name, branch_name, is_own_bank, bank_id FROM card_lookup WHERE card_id = $1 LIMIT 1"
DUE = """SELECT i.loan_id, i.number, i.due_on, i.principal_fen - i.paid_principal_fen + i.interest_fen - i.paid_interest_fen
  + i.penalty_fen - i.paid_penalty_fen + i.compound_fen - i.paid_compound_fen AS owed
FROM installment i LEFT OUTER JOIN loan l ON l.id = i.loan_id
WHERE l.customer_id = ANY($1::uuid[]) AND l.status = 'active' AND NOT i.status = 'paid' AND i.due_on <= $2"""
PRODUCTS_BY_ID = "SELECT id, code, name FROM product WHERE id = ANY($1::uuid[])"
MEMBER_CARDS = "SELECT id FROM bank_card WHERE customer_id = $1 AND unbound_at IS NULL AND verified_at IS NOT NULL ORDER BY is_default DESC, bound_at DESC"
MEMBER_LOOKUPS = "SELECT card_id, bank_id FROM card_lookup WHERE card_id = ANY($1::uuid[]) AND bank_id IS NOT NULL"
BANKS = "SELECT id, name FROM bank WHERE id = ANY($1::uuid[]) AND is_active"
BANK_PRODUCTS = """SELECT code, name, min_principal_fen, max_principal_fen, max_term_months, allowed_methods
FROM product WHERE is_active AND bank_id = $1 ORDER BY code"""


def gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


def mask_name(name: str) -> str:
    if len(name) <= 1:
        return name
    return name[0] + "*" if len(name) == 2 else name[0] + "*" * (len(name) - 2) + name[-1]


def methods(values) -> list[str]:
    return [v.upper() for v in (json.loads(values) if isinstance(values, str) else values)]


def build(pool, vault: Vault, lifespan) -> Starlette:
    async def me(request: Request) -> JSONResponse:
        auth = request.headers.get("authorization", "")
        claims = read_access_token(vault, auth.removeprefix("Bearer ").strip(), now=datetime.now(UTC))
        if claims is None:
            return JSONResponse({"data": {"me": None}})
        cid = claims.customer_id
        async with pool.acquire() as con:
            if await con.fetchval(LIVE, claims.family_id, cid, claims.device_id) is None:
                return JSONResponse({"data": {"me": None}})
            id_hash = await con.fetchval(ID_HASH, cid)
            records = list({cid, *(r["id"] for r in await con.fetch(RECORDS, id_hash))}) if id_hash else [cid]
            customer = await con.fetchrow(CUSTOMER, cid)
            if customer is None:
                return JSONResponse({"data": {"me": None}})
            lines_count = await con.fetchval(LINES_COUNT, records)
            loans_count = await con.fetchval(LOANS_COUNT, records)
            today = await con.fetchval(TODAY)
            cards = await con.fetch(CARDS, cid)
            default = await con.fetchrow(DEFAULT_CARD, cid)
            loans = await con.fetch(LOANS, records)
            lines = await con.fetch(LINES, records)
            first = await con.fetchval(UNPAID, records)
            lookups = {r["card_id"]: r for r in await con.fetch(LOOKUPS, [c["id"] for c in cards])} if cards else {}
            lookup = await con.fetchrow(LOOKUP, default["id"]) if default else None
            due_rows = []
            if first is not None:
                due_rows = await con.fetch(DUE, records, max(today, first))
            products = {r["id"]: r for r in await con.fetch(PRODUCTS_BY_ID, list({r["product_id"] for r in lines}))} if lines else {}
            banks, offered = {}, []
            if lookup is not None:
                member = [r["id"] for r in await con.fetch(MEMBER_CARDS, cid)]
                bank_of = {r["card_id"]: r["bank_id"] for r in await con.fetch(MEMBER_LOOKUPS, member)} if member else {}
                if lookup["bank_id"] is not None:
                    bank_of.setdefault(default["id"], lookup["bank_id"])
                banks = {r["id"]: r for r in await con.fetch(BANKS, list(set(bank_of.values())))}
                if lookup["is_own_bank"] and lookup["bank_id"] in banks:
                    offered = await con.fetch(BANK_PRODUCTS, lookup["bank_id"])

        next_due = None
        if first is not None:
            ordered = sorted(due_rows, key=lambda r: (r["due_on"], r["number"]))
            next_due = {
                "dueDate": first.isoformat(), "amount": yuan_str(sum(r["owed"] for r in due_rows)), "overdue": first < today,
                "loanIds": [gid("Loan", i) for i in dict.fromkeys(r["loan_id"] for r in ordered)],
            }
        if default is None:
            offer = {"bankName": None, "isOwnBank": False, "message": NO_CARD, "products": []}
        elif lookup is None:
            offer = {"bankName": None, "isOwnBank": False, "message": "暂时无法确认银行卡开户行，请稍后再试。", "products": []}
        elif not (lookup["is_own_bank"] and lookup["bank_id"] in banks):
            offer = {"bankName": lookup["bank_name"], "isOwnBank": lookup["is_own_bank"], "message": OWN_BANK_ONLY.format(bank=lookup["bank_name"]), "products": []}
        else:
            branch = lookup["branch_name"]
            offer = {
                "bankName": lookup["bank_name"], "isOwnBank": lookup["is_own_bank"],
                "message": f"开户行：{banks[lookup['bank_id']]['name']}{branch and '（' + branch + '）'}",
                "products": [
                    {
                        "code": p["code"], "name": p["name"], "minAmount": yuan_str(p["min_principal_fen"]), "maxAmount": yuan_str(p["max_principal_fen"]),
                        "maxTermMonths": p["max_term_months"], "methods": methods(p["allowed_methods"]),
                    }
                    for p in offered
                ],
            }

        def card(c) -> dict:
            lk = lookups.get(c["id"])
            return {
                "id": str(c["id"]), "numberMasked": c["card_number_masked"],
                "bankName": lk["bank_name"] if lk else c["bank_name"], "branchName": lk["branch_name"] if lk else c["branch_name"],
                "isOwnBank": lk["is_own_bank"] if lk else None, "isDefault": c["is_default"],
            }

        body = {
            "id": str(customer["id"]), "nameMasked": mask_name(customer["name"]), "phoneMasked": customer["phone_masked"],
            "idNumberMasked": customer["id_number_masked"],
            "creditLines": {
                "totalCount": lines_count,
                "edges": [
                    {
                        "node": {
                            "id": gid("CreditLine", r["id"]), "status": r["status"], "limit": yuan_str(r["limit_fen"]), "used": yuan_str(r["used_fen"]),
                            "available": yuan_str(r["limit_fen"] - r["used_fen"]), "validUntil": r["valid_until"].isoformat(),
                            "maxTermMonths": r["max_term_months"], "methods": methods(r["allowed_methods"]),
                            "product": {"code": products[r["product_id"]]["code"], "name": products[r["product_id"]]["name"]},
                        }
                    }
                    for r in lines[:20]
                ],
            },
            "loans": {
                "totalCount": loans_count,
                "edges": [
                    {
                        "node": {
                            "id": gid("Loan", r["id"]), "status": r["status"], "principal": yuan_str(r["principal_fen"]),
                            "outstandingPrincipal": yuan_str(r["outstanding_principal_fen"]), "annualRatePercent": percent_str(r["annual_rate_ppm"]),
                            "maturityDate": r["maturity_on"].isoformat(), "daysPastDue": r["days_past_due"],
                        }
                    }
                    for r in loans[:20]
                ],
            },
            "nextDue": next_due,
            "cards": [card(c) for c in cards],
            "onlineOffer": offer,
        }
        return JSONResponse({"data": {"me": body}})

    async def ready(request: Request) -> PlainTextResponse:
        return PlainTextResponse("ok")

    return Starlette(routes=[Route("/me", me, methods=["POST"]), Route("/ready", ready)], lifespan=lifespan)


def main() -> None:
    args = argparse.ArgumentParser()
    args.add_argument("--dsn", required=True)
    args.add_argument("--port", type=int, required=True)
    args.add_argument("--pool", type=int, default=5)
    opts = args.parse_args()
    vault = Vault(get_settings().secret())
    holder: dict = {}

    @contextlib.asynccontextmanager
    async def lifespan(app):
        holder["pool"] = await asyncpg.create_pool(opts.dsn, min_size=opts.pool, max_size=opts.pool)
        try:
            yield
        finally:
            await holder["pool"].close()

    class Lazy:  # the pool exists only once the loop runs
        def __getattr__(self, name):
            return getattr(holder["pool"], name)

    app = build(Lazy(), vault, lifespan)
    uvicorn.run(app, host="127.0.0.1", port=opts.port, log_level="warning", access_log=False)


if __name__ == "__main__":
    main()
