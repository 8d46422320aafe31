"""Shared pieces of the mobile benchmarks (mobile_home, drawdown_journey_p95, online_credit_p95): borrowers, tokens and
persisted-query calls (the server: bench.common).

Imports no app code at module level (bench.pg rules): app imports happen inside the functions,
after pg.use_database has set the environment.
"""

from __future__ import annotations

import hashlib
import json
import time
import uuid
from datetime import UTC, datetime, timedelta
from functools import cache

from bench.common import ROOT

MOBILE = ROOT / "graphql" / "mobile"


def document(name: str) -> str:
    return (MOBILE / f"{name}.graphql").read_text(encoding="utf-8")


@cache
def document_hash(name: str) -> str:
    """The trusted document's sha256, the persisted-query id the app sends."""
    return hashlib.sha256(document(name).encode("utf-8")).hexdigest()


async def persisted_post(client, name: str, variables: dict, token: str) -> tuple[dict, float]:
    """One app operation by persisted-query hash: the answer (or the status and text of a non-200) and its round trip in s."""
    body = json.dumps({"variables": variables, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_hash(name)}}})
    t0 = time.perf_counter()
    response = await client.post("/graphql", content=body, headers={"Authorization": f"Bearer {token}", "Content-Type": "application/json"})
    elapsed = time.perf_counter() - t0
    data = response.json() if response.status_code == 200 else {"status": response.status_code, "text": response.text[:200]}
    return data, elapsed


def phone_for(k: int) -> str:
    return f"139{k:08d}"


async def make_borrower(vault, k: int, *, loans: int, core, today, limit_yuan: int = 300_000):
    """Customer k: own phone, default own-bank card, a checked line of `limit_yuan`, `loans` active loans."""
    from app.models import Customer
    from app.services.actor import SYSTEM
    from app.services.lending.drawdown import draw_down
    from app.services.customers.identifiers import phone_fields
    from tests.factories import customer_with_line

    customer, line = await customer_with_line(vault, limit_yuan=limit_yuan, card=f"62170000{k:04d}5678", sequence=100 + k, checked=True)
    await Customer.filter(id=customer.id).update(**phone_fields(vault, phone_for(k)))
    for n in range(loans):
        await draw_down(
            actor=SYSTEM, credit_line_id=line.id, amount_fen=(1000 + 100 * n) * 100, term_months=(6, 12, 24)[n % 3],
            method=("EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL", "INTEREST_FIRST")[n % 3], idempotency_key=uuid.uuid4(),
            today=today, core=core, vault=vault,
        )
    return customer, line


async def access_token(vault, customer_id, *, hours: int = 2) -> str:
    """Issue a token pair as SignInVerify does after a good code (device bound, family opened)."""
    from app.models import CustomerDevice
    from app.services.auth.borrowers import SignInPolicy, _issue, keyed_hash

    now = datetime.now(UTC)
    device = await CustomerDevice.create(
        customer_id=customer_id, device_hash=keyed_hash(vault, "device", f"bench-{customer_id}"), label="bench", bound_at=now, last_seen_at=now
    )
    policy = SignInPolicy(access_ttl=timedelta(hours=hours))
    pair = await _issue(customer_id, device, uuid.uuid4(), now=now, vault=vault, policy=policy)
    return pair.access_token
