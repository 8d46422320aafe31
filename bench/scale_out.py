"""scale_out: the PAD dashboard and the mobile home query against 1 and then 2 web processes behind one port.

    .venv/bin/python bench/scale_out.py [--clients 8] [--seconds 15] [--borrowers 6] [--keep]

Creates its own database (cunxin_bench_scale_out on 127.0.0.1:5432), migrates and seeds it, adds
`--borrowers` borrowers with 2 loans each and their access tokens (bench/mobile_common.py). Then
`cunxin serve --workers N` (uvicorn: N processes sharing one listening socket) for N = 1 and 2;
`--clients` concurrent clients for `--seconds` each: half of them an officer asking the PAD
dashboard (GET /, the password session; face login off), half a borrower posting the app's Me
query by its hash. Reported per N: requests/s, p95 per kind, and the CPU seconds spent by the
load generator (this process), the web processes and PostgreSQL's backends, to say where the
bottleneck is. Here everything shares 2 cores, so well under 2× is expected: the point is that
nothing serialises the processes (speed-up > 1). The OCR backlog with 1 and 2 ML workers is
bench/scale_out_ocr.py.
Writes bench/results/scale_out.json.
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import os
import re
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402
from bench.common import log, percentile, server, write_result  # noqa: E402
from bench.mobile_common import access_token, document, make_borrower  # noqa: E402

DB_NAME = "cunxin_bench_scale_out"
REDIS_URL = "redis://127.0.0.1:6379/8"
ME = document("Me")
ME_BODY = json.dumps({"variables": {}, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": hashlib.sha256(ME.encode()).hexdigest()}}})


async def setup(borrowers: int) -> list[str]:
    from app.config import get_settings
    from app.crypto import Vault
    from app.db import init_db
    from app.wiring import Adapters
    from app.services import business_date

    settings = get_settings()
    vault = Vault(settings.secret())
    ctx = await init_db(settings)
    try:
        core, today = Adapters.from_settings(settings).core, await business_date.current()
        tokens = []
        for k in range(borrowers):
            customer, _ = await make_borrower(vault, k, loans=2, core=core, today=today)
            tokens.append(await access_token(vault, customer.id))
        return tokens
    finally:
        await ctx.close_connections()


async def officer_client(base_url: str):
    import httpx

    client = httpx.AsyncClient(base_url=base_url, timeout=30)
    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    done = await client.post("/login", data={"username": "officer1", "password": "cunxin-demo-2026", "csrf_token": token})
    if done.status_code != 303:
        raise RuntimeError(f"login failed: {done.status_code}")
    return client


async def load(base_url: str, tokens: list[str], clients: int, seconds: float) -> dict:
    import httpx

    latencies: dict[str, list[float]] = {"dashboard": [], "mobile_home": []}
    errors = 0
    deadline = time.monotonic() + seconds

    async def officer() -> None:
        nonlocal errors
        client = await officer_client(base_url)
        try:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                response = await client.get("/")
                latencies["dashboard"].append(time.perf_counter() - t0)
                errors += response.status_code != 200
        finally:
            await client.aclose()

    async def borrower(token: str) -> None:
        nonlocal errors
        headers = {"Authorization": f"Bearer {token}", "Content-Type": "application/json"}
        async with httpx.AsyncClient(base_url=base_url, timeout=30) as client:
            while time.monotonic() < deadline:
                t0 = time.perf_counter()
                response = await client.post("/graphql", content=ME_BODY, headers=headers)
                latencies["mobile_home"].append(time.perf_counter() - t0)
                errors += response.status_code != 200 or bool(response.json().get("errors"))

    tasks = [officer() for _ in range(clients // 2)] + [borrower(tokens[i % len(tokens)]) for i in range(clients - clients // 2)]
    started = time.monotonic()
    await asyncio.gather(*tasks)
    elapsed = time.monotonic() - started
    total = sum(len(v) for v in latencies.values())
    return {
        "requests_per_second": round(total / elapsed, 1), "errors": errors,
        **{f"{k}_p95_ms": round(percentile(v, 95) * 1000, 1) for k, v in latencies.items()},
        **{f"{k}_requests": len(v) for k, v in latencies.items()},
    }


def _children_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (uvicorn's worker processes)."""
    total = pg.process_cpu(pid)
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for cpid in child.read_text().split():
            total += _children_cpu(int(cpid))
    return total


async def phase(workers: int, tokens: list[str], clients: int, seconds: float, log_dir: Path) -> dict:
    args = ["-m", "app.cli", "serve", "--workers", str(workers)]
    async with server(args, ready_path="/readyz", log_path=log_dir / f"web-{workers}.log") as (base_url, proc):
        await asyncio.sleep(2 if workers > 1 else 0.5)  # every process listening
        await load(base_url, tokens, clients, 3)  # warm-up: caches, pools, persisted documents
        me0, web0, db0 = resource.getrusage(resource.RUSAGE_SELF), _children_cpu(proc.pid), sum(map(pg.process_cpu, pg.backend_pids(DB_NAME)))
        result = await load(base_url, tokens, clients, seconds)
        me1, web1, db1 = resource.getrusage(resource.RUSAGE_SELF), _children_cpu(proc.pid), sum(map(pg.process_cpu, pg.backend_pids(DB_NAME)))
    cpu = {"load_generator": (me1.ru_utime + me1.ru_stime) - (me0.ru_utime + me0.ru_stime), "web": web1 - web0, "postgres": db1 - db0}
    result["cpu_seconds"] = {k: round(v, 1) for k, v in cpu.items()}
    requests = result["dashboard_requests"] + result["mobile_home_requests"]
    result["web_cpu_ms_per_request"] = round(cpu["web"] * 1000 / max(requests, 1), 1)
    result["load_average"] = round(os.getloadavg()[0], 2)  # other work on the machine during the phase
    result["bottleneck"] = max(cpu, key=cpu.get)
    log(f"{workers} web process(es): {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--clients", type=int, default=8)
    parser.add_argument("--seconds", type=float, default=15)
    parser.add_argument("--borrowers", type=int, default=6)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with pg.bench_database(DB_NAME, keep=args.keep) as var_dir:
        os.environ.update({"CUNXIN_REDIS_URL": REDIS_URL, "CUNXIN_FACE_LOGIN_REQUIRED": "false"})
        tokens = asyncio.run(setup(args.borrowers))
        one = asyncio.run(phase(1, tokens, args.clients, args.seconds, var_dir))
        two = asyncio.run(phase(2, tokens, args.clients, args.seconds, var_dir))
    speedup = round(two["requests_per_second"] / one["requests_per_second"], 2)
    result = write_result(
        "scale_out", speedup, "× requests/s (2 web processes / 1)", 1.0, speedup > 1.0 and one["errors"] == two["errors"] == 0,
        clients=args.clients, seconds=args.seconds, one_process=one, two_processes=two,
        ocr_backlog="bench/scale_out_ocr.py (bench/results/scale_out_ocr.json)",
        note="load generator, web processes and PostgreSQL share the same cores: well under 2× is expected",
    )
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
