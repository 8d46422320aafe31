"""online_credit_p95: server time from an online credit application to its answer (offer), 20 borrowers at once.

    .venv/bin/python bench/online_credit_p95.py [--clients 20] [--per-client 2] [--quiet-wait 30] [--keep]

Creates its own database (cunxin_bench_online on 127.0.0.1:5432), migrates and seeds it, then
through the services: `clients × (per-client + 1)` borrowers of the demo bank (own-bank default
card, ID sequences 100-… for which every sandbox source answers with rich data: docs/external-data.md)
and a token each, issued as SignInVerify does. Over HTTP, untimed: each borrower reads OnlineProducts,
signs the credit-report authorisation and the consents for 公积金, 保单 and 国网.

Timed: `CreditApply` by persisted-query hash for 公积金贷, 国网贷 and 保单贷 in turn — the bureau
check, the product's source query, the strategy and the stored decision, answered as an offer. The
server is `python -m app.cli serve` (one worker, shipped settings, sandbox sources and bureau). Each
client warms up with one borrower, then applies for its other borrowers; one request at a time per client.
Target (issue 20): p95 ≤ 2 s at 20 concurrent borrowers. Writes bench/results/online_credit_p95.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
import time
import uuid
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402
from bench.common import log, percentile, server  # noqa: E402
from bench.mobile_common import access_token, make_borrower, persisted_post  # noqa: E402

DB_NAME = "cunxin_bench_online"
TARGET_P95_S = 2.0
QUIET_WAIT = [30.0]
PRODUCTS = (("GJJ", "HOUSING_FUND"), ("GUOWANG", "STATE_GRID"), ("BAODAN", "INSURANCE"))


async def setup(count: int) -> list[dict]:
    from app.config import get_settings
    from app.crypto import Vault
    from app.db import init_db
    from app.services import business_date
    from app.wiring import Adapters

    settings = get_settings()
    vault = Vault(settings.secret())
    ctx = await init_db(settings)
    try:
        core = Adapters.from_settings(settings).core
        today = await business_date.current()
        people = []
        for k in range(count):
            customer, _ = await make_borrower(vault, k, loans=0, core=core, today=today)
            people.append({"token": await access_token(vault, customer.id)})
        log(f"{count} borrowers ready (business date {today})")
        return people
    finally:
        await ctx.close_connections()


def _field(answer: dict, name: str) -> dict | None:
    return (answer.get("data") or {}).get(name)


async def consent(client, person: dict) -> str | None:
    """Untimed: the bank's id, the credit-report authorisation and the three source consents; an error text or None."""
    products, _ = await persisted_post(client, "OnlineProducts", {}, person["token"])
    offer = _field(products, "onlineProducts")
    if not offer:
        return f"products: {str(products)[:300]}"
    person["bank"] = offer["bank"]["id"]
    signed, _ = await persisted_post(client, "CreditAuthorisationSign", {"input": {"agree": True, "bankId": person["bank"]}}, person["token"])
    if (_field(signed, "creditAuthorisationSign") or {"errors": [signed]})["errors"]:
        return f"authorisation: {str(signed)[:300]}"
    for _, source in PRODUCTS:
        done, _ = await persisted_post(client, "ExternalDataConsentSign", {"input": {"bankId": person["bank"], "source": source, "agree": True}}, person["token"])
        if (_field(done, "externalDataConsentSign") or {"errors": [done]})["errors"]:
            return f"consent {source}: {str(done)[:300]}"
    return None


async def apply(client, person: dict, product: str) -> dict:
    variables = {"input": {"bankId": person["bank"], "productCode": product, "idempotencyKey": str(uuid.uuid4())}}
    answer, elapsed = await persisted_post(client, "CreditApply", variables, person["token"])
    applied = _field(answer, "creditApply")
    if not applied or applied["errors"] or applied["application"]["status"] != "OFFERED":
        return {"error": f"{product}: {str(answer)[:300]}"}
    return {"product": product, "s": elapsed}


async def run(base_url: str, people: list[dict], clients: int) -> tuple[list[dict], list[str], float, dict]:
    import httpx

    done: list[dict] = []
    failed: list[str] = []
    per_client = [people[k::clients] for k in range(clients)]  # the first of each client's borrowers warms up

    async def prepare(mine: list[dict]) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=1)) as client:
            for person in mine:
                if problem := await consent(client, person):
                    failed.append(problem)

    async def client_run(mine: list[dict], timed: bool) -> None:
        async with httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=1)) as client:
            for person in mine:
                for product, _ in PRODUCTS:
                    result = await apply(client, person, product)
                    if "error" in result:
                        failed.append(result["error"])
                    elif timed:
                        done.append(result)

    await asyncio.gather(*(prepare(mine) for mine in per_client))
    await asyncio.gather(*(client_run(mine[:1], False) for mine in per_client))  # warm-up
    if failed:
        raise RuntimeError(f"setup or warm-up failed: {failed[:2]}")
    load = await asyncio.to_thread(pg.wait_for_quiet, log=log, max_wait=QUIET_WAIT[0])
    t0 = time.perf_counter()
    await asyncio.gather(*(client_run(mine[1:], True) for mine in per_client))
    return done, failed, time.perf_counter() - t0, load


async def verify() -> dict:
    import asyncpg

    con = await asyncpg.connect(pg.db_url(DB_NAME))
    try:
        return {
            "applications": await con.fetchval("SELECT count(*) FROM credit_application"),
            "offered": await con.fetchval("SELECT count(*) FROM credit_application WHERE status = 'offered'"),
            "source_queries": await con.fetchval("SELECT count(*) FROM external_data_query"),
        }
    finally:
        await con.close()


async def bench(opts, var_dir: Path) -> None:
    from bench.common import write_result

    people = await setup(opts.clients * (opts.per_client + 1))
    log(f"{opts.clients} clients × {opts.per_client} borrowers × {len(PRODUCTS)} products (CreditApply)")
    async with server(["-m", "app.cli", "serve", "--workers", "1"], ready_path="/readyz", log_path=var_dir / "server.log") as (url, _):
        done, failed, wall, load = await run(url, people, opts.clients)
    checks = await verify()
    log(f"checks: {checks}")
    if failed:
        log(f"failures (first 3): {failed[:3]}")
    times = [d["s"] for d in done]
    p95 = percentile(times, 95)
    by_product = {p: round(percentile([d["s"] for d in done if d["product"] == p], 95) * 1000, 1) for p, _ in PRODUCTS}
    ok_parts = {"p95_within_2s": p95 <= TARGET_P95_S, "no_failed_application": not failed,
                "every_answer_stored": checks["offered"] == checks["applications"]}
    result = write_result(
        "online_credit_p95", round(p95, 3), "s", TARGET_P95_S, all(ok_parts.values()),
        p50_s=round(percentile(times, 50), 3), max_s=round(max(times), 3), applications=len(done), failed=len(failed), failures=failed[:3],
        clients=opts.clients, applications_per_s=round(len(done) / wall, 2), p95_ms_by_product=by_product, ok_parts=ok_parts, checks=checks,
        machine_load=load, app_code=pg.code_version(),
        note=("server time of CreditApply (bureau check, the product's source query, the strategy, the stored decision and offer) by"
              " persisted-query hash over loopback, sandbox bureau and sources; client, server and PostgreSQL share the machine."),
    )
    print(json.dumps(result, ensure_ascii=False))


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--clients", type=int, default=20)
    args.add_argument("--per-client", type=int, default=2)
    args.add_argument("--quiet-wait", type=float, default=30.0)
    args.add_argument("--keep", action="store_true")
    opts = args.parse_args()
    QUIET_WAIT[0] = opts.quiet_wait
    with pg.bench_database(DB_NAME, keep=opts.keep) as var_dir:
        asyncio.run(bench(opts, var_dir))


if __name__ == "__main__":
    main()
