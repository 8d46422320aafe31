"""mobile_home: the app's home query (graphql/mobile/Me.graphql) on PostgreSQL, 20 concurrent clients, vs a hand-written baseline.

    .venv/bin/python bench/mobile_home.py [--clients 20] [--per-client 50] [--loans 3] [--quiet-wait 30] [--show-sql] [--keep]

Creates its own database (cunxin_bench_mobile_home on 127.0.0.1:5432), migrates and seeds it,
then through the services: `--clients` borrowers (own phone, own-bank default card, a checked
credit line) with `--loans` active loans each (the lending draw_down service), plus two more
borrowers with 1 and 10 loans for the statement count. Tokens are issued as SignInVerify does
after a good code (a bound device, a token family).

Statements per request: the Me query is run in this process through the app (create_app,
httpx.ASGITransport) with every asyncpg Connection call (execute/executemany/fetch/fetchrow/
fetchval/prepare, BEGIN/COMMIT included) counted, for the 1-loan and the 10-loan borrower.

HTTP phase: `python -m app.cli serve` (one worker, shipped settings) in a subprocess; each client
(httpx.AsyncClient, one connection, its own borrower's token) posts Me by its sha256 hash
(the persisted-query form the app uses) `--per-client` times after 3 warm-up requests.

Baseline phase: bench/mobile_home_baseline.py, a Starlette app with asyncpg (pool of 5, as
tortoise's default) served by uvicorn in a subprocess: checks the same token (HMAC via the
app's read_access_token, then the same liveness query), runs the same SQL statements the app
runs (captured above) and returns the same JSON; the bench checks the two answers are equal.
Targets: throughput ≥ 0.5 × baseline, p95 ≤ 100 ms, statements equal for 1 and 10 loans.
Writes bench/results/mobile_home.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402
from bench.common import log, percentile, server  # noqa: E402
from bench.mobile_common import access_token, document, make_borrower  # noqa: E402

DB_NAME = "cunxin_bench_mobile_home"
TARGET_RATIO = 0.5
TARGET_P95_MS = 100.0
ME = document("Me")
ME_HASH = hashlib.sha256(ME.encode("utf-8")).hexdigest()
BASELINE_STATEMENTS = 20  # bench/mobile_home_baseline.py, one per query it sends
ME_BODY = json.dumps({"variables": {}, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": ME_HASH}}})


# --------------------------------------------------------------------------- setup


async def setup(clients: int, loans: int) -> dict:
    from app.config import get_settings
    from app.crypto import Vault
    from app.db import init_db
    from app.wiring import Adapters
    from app.services import business_date

    settings = get_settings()
    vault = Vault(settings.secret())
    ctx = await init_db(settings)
    try:
        core = Adapters.from_settings(settings).core
        today = await business_date.current()
        t0 = time.perf_counter()
        tokens = []
        for k in range(clients):
            customer, _ = await make_borrower(vault, k, loans=loans, core=core, today=today)
            tokens.append(await access_token(vault, customer.id))
        one, _ = await make_borrower(vault, 700, loans=1, core=core, today=today)
        ten, _ = await make_borrower(vault, 701, loans=10, core=core, today=today)
        log(f"{clients + 2} borrowers, {clients * loans + 11} loans in {time.perf_counter() - t0:.1f} s (business date {today})")
        return {
            "tokens": tokens,
            "token_1_loan": await access_token(vault, one.id),
            "token_10_loans": await access_token(vault, ten.id),
            "settings": settings,
        }
    finally:
        await ctx.close_connections()


# --------------------------------------------------------------------------- statements per request


class StatementCounter:
    """Counts (and keeps) every statement sent through asyncpg connections while active."""

    METHODS = ("execute", "executemany", "fetch", "fetchrow", "fetchval", "prepare")

    def __init__(self) -> None:
        self.statements: list[str] = []
        self.active = False
        self._saved = {}

    def install(self) -> None:
        import asyncpg.connection

        cls = asyncpg.connection.Connection
        for name in self.METHODS:
            original = getattr(cls, name)
            self._saved[name] = original

            def wrapper(con, query, *args, __original=original, **kwargs):
                if self.active:
                    self.statements.append(" ".join(str(query).split()))
                return __original(con, query, *args, **kwargs)

            setattr(cls, name, wrapper)

    def uninstall(self) -> None:
        import asyncpg.connection

        for name, original in self._saved.items():
            setattr(asyncpg.connection.Connection, name, original)


async def count_statements(setup_data: dict) -> dict:
    import httpx

    from app.db import init_db
    from app.main import create_app

    counter = StatementCounter()
    ctx = await init_db(setup_data["settings"])
    counter.install()
    try:
        application = create_app(setup_data["settings"], manage_db=False)
        async with application.router.lifespan_context(application):
            transport = httpx.ASGITransport(app=application)
            async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as client:
                out = {}
                for label, token in (("1_loan", setup_data["token_1_loan"]), ("10_loans", setup_data["token_10_loans"])):
                    headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
                    await client.post("/graphql", content=ME_BODY, headers=headers)  # warm (first-use caches)
                    counter.statements.clear()
                    counter.active = True
                    response = await client.post("/graphql", content=ME_BODY, headers=headers)
                    counter.active = False
                    body = response.json()
                    if body.get("errors") or not body["data"]["me"]:
                        raise RuntimeError(f"Me failed: {str(body)[:300]}")
                    out[label] = {"count": len(counter.statements), "statements": list(counter.statements), "loans": body["data"]["me"]["loans"]["totalCount"]}
        return out
    finally:
        counter.uninstall()
        await ctx.close_connections()


# --------------------------------------------------------------------------- load phases


async def run_clients(base_url: str, path: str, tokens: list[str], per_client: int, warmup: int = 3) -> dict:
    import httpx

    latencies: list[float] = []
    failed: list[str] = []
    answers: dict[str, dict] = {}

    async def one(client, token: str, timed: bool) -> None:
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        t0 = time.perf_counter()
        response = await client.post(path, content=ME_BODY, headers=headers)
        elapsed = time.perf_counter() - t0
        body = response.json() if response.status_code == 200 else {}
        if body.get("errors") or not (body.get("data") or {}).get("me"):
            failed.append(f"{response.status_code} {str(body)[:200]}")
        else:
            answers[token] = body  # the last answer (the first request of a borrower also looks the card up)
        if timed:
            latencies.append(elapsed)

    async def client_run(client, token: str, n: int, timed: bool) -> None:
        for _ in range(n):
            await one(client, token, timed)

    clients = [httpx.AsyncClient(base_url=base_url, timeout=60.0, limits=httpx.Limits(max_connections=1)) for _ in tokens]
    try:
        await asyncio.gather(*(client_run(c, t, warmup, False) for c, t in zip(clients, tokens)))
        load = await asyncio.to_thread(pg.wait_for_quiet, log=log, max_wait=QUIET_WAIT[0])
        t0 = time.perf_counter()
        await asyncio.gather(*(client_run(c, t, per_client, True) for c, t in zip(clients, tokens)))
        wall = time.perf_counter() - t0
    finally:
        for c in clients:
            await c.aclose()
    n = len(latencies)
    return {
        "requests": n,
        "seconds": round(wall, 3),
        "rps": round(n / wall, 1),
        "p50_ms": round(percentile(latencies, 50) * 1000, 1),
        "p95_ms": round(percentile(latencies, 95) * 1000, 1),
        "p99_ms": round(percentile(latencies, 99) * 1000, 1),
        "max_ms": round(max(latencies) * 1000, 1),
        "failed": len(failed),
        "failures": failed[:3],
        "machine_load": load,
        "_answers": answers,
    }


QUIET_WAIT = [30.0]


def first_difference(a, b, path: str = "") -> str | None:
    if type(a) is not type(b):
        return f"{path}: app {a!r} / baseline {b!r}"
    if isinstance(a, dict):
        for k in sorted(set(a) | set(b)):
            d = first_difference(a.get(k), b.get(k), f"{path}.{k}")
            if d:
                return d
        return None
    if isinstance(a, list):
        if len(a) != len(b):
            return f"{path}: {len(a)} vs {len(b)} items"
        for i, (x, y) in enumerate(zip(a, b)):
            d = first_difference(x, y, f"{path}[{i}]")
            if d:
                return d
        return None
    return None if a == b else f"{path}: app {a!r} / baseline {b!r}"


async def bench(opts, var_dir: Path) -> None:
    from bench.common import write_result

    setup_data = await setup(opts.clients, opts.loans)
    statements = await count_statements(setup_data)
    counts = {k: v["count"] for k, v in statements.items()}
    resets = {k: sum(s.startswith("SELECT pg_advisory_unlock_all()") for s in v["statements"]) for k, v in statements.items()}
    log(f"statements per Me request: {counts}")
    if opts.show_sql:
        for k, v in statements.items():
            print(f"--- {k}", file=sys.stderr)
            for s in v["statements"]:
                print(s, file=sys.stderr)
    tokens = setup_data["tokens"]

    log(f"app phase: {opts.clients} clients × {opts.per_client} Me requests")
    async with server(["-m", "app.cli", "serve", "--workers", "1"], ready_path="/readyz", log_path=var_dir / "server.log") as (url, _):
        app_run = await run_clients(url, "/graphql", tokens, opts.per_client)
    log(f"app: { {k: v for k, v in app_run.items() if not k.startswith('_')} }")

    log("baseline phase: hand-written Starlette + asyncpg (bench/mobile_home_baseline.py)")
    env = os.environ.copy()
    baseline_args = ["bench/mobile_home_baseline.py", "--dsn", pg.db_url(DB_NAME)]
    async with server(baseline_args, ready_path="/ready", log_path=var_dir / "baseline.log", env=env) as (url, _):
        base_run = await run_clients(url, "/me", tokens, opts.per_client)
    log(f"baseline: { {k: v for k, v in base_run.items() if not k.startswith('_')} }")

    same = all(app_run["_answers"].get(t) == base_run["_answers"].get(t) for t in tokens)
    if not same:
        t = next(t for t in tokens if app_run["_answers"].get(t) != base_run["_answers"].get(t))
        log(f"answers differ: {first_difference(app_run['_answers'].get(t), base_run['_answers'].get(t))}")
    ratio = app_run["rps"] / base_run["rps"]
    ok_parts = {
        "same_statement_count_as_baseline": counts["1_loan"] == BASELINE_STATEMENTS,
        "ratio_at_least_0.5": ratio >= TARGET_RATIO,
        "p95_within_100ms": app_run["p95_ms"] <= TARGET_P95_MS,
        "statements_do_not_grow": counts["1_loan"] == counts["10_loans"],
        "same_json_as_baseline": same,
        "no_failed_request": app_run["failed"] == 0 and base_run["failed"] == 0,
    }
    for run in (app_run, base_run):
        run.pop("_answers")
    profile = None
    if not all(ok_parts.values()):  # where the time goes (bench/profiling.py)
        from bench.profiling import profile_requests

        headers = {"Authorization": f"Bearer {tokens[0]}", "Content-Type": "application/json"}

        async def send(client) -> None:
            await client.post("/graphql", content=ME_BODY, headers=headers)

        profile = await profile_requests(setup_data["settings"], send, requests=100)
        log(f"profile: {profile['share_by_part']}")
    result = write_result(
        "mobile_home",
        app_run["rps"],
        "req/s",
        round(TARGET_RATIO * base_run["rps"], 1),
        all(ok_parts.values()),
        p95_ms=app_run["p95_ms"],
        p95_target_ms=TARGET_P95_MS,
        baseline_rps=base_run["rps"],
        ratio=round(ratio, 3),
        ratio_target=TARGET_RATIO,
        statements={
            "1_loan": counts["1_loan"], "10_loans": counts["10_loans"],
            "of_which_pool_reset_1_loan": resets["1_loan"], "of_which_pool_reset_10_loans": resets["10_loans"],
            "baseline_per_request": BASELINE_STATEMENTS,
            "sql_1_loan": statements["1_loan"]["statements"],
        },
        ok_parts=ok_parts,
        clients=opts.clients,
        loans_per_borrower=opts.loans,
        app_code=pg.code_version(),
        http=app_run,
        baseline=base_run,
        profile=profile,
        note=(
            "target = 0.5 × baseline_rps. Me sent by its sha256 (persisted query). Client, server and PostgreSQL share"
            " the machine's 2 cores with other sessions (7 other helpers' tests, servers and browsers: see machine_load)."
            " Statements counted by wrapping asyncpg Connection calls in-process"
            " (BEGIN/COMMIT included)."
        ),
    )
    print(json.dumps(result, ensure_ascii=False)[:2000])


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--clients", type=int, default=20)
    args.add_argument("--per-client", type=int, default=50)
    args.add_argument("--loans", type=int, default=3)
    args.add_argument("--quiet-wait", type=float, default=30.0)
    args.add_argument("--show-sql", action="store_true")
    args.add_argument("--keep", action="store_true")
    opts = args.parse_args()
    QUIET_WAIT[0] = opts.quiet_wait
    with pg.bench_database(DB_NAME, keep=opts.keep) as var_dir:
        asyncio.run(bench(opts, var_dir))


if __name__ == "__main__":
    main()
