"""pad_pages_p95: the PAD pages' p95 latency with 10 officers working at once, over HTTP against a live server.

    .venv/bin/python bench/pad_pages_p95.py [--officers 10] [--rounds 12] [--think 0.5] [--stress-rounds 8] [--web-workers 1] [--keep]

PostgreSQL database cunxin_bench_pad (127.0.0.1:5432, created, migrated, seeded and dropped),
Redis 127.0.0.1:6379/13, one `cunxin serve` process (uvicorn, one worker), face login off
(the password session stands for the face login; its jobs are not what is measured).

Setup (in-process, through the services): `--officers` officers (客户经理, 新城支行), each with a
village of 30 households (head + spouse, a published pre-credit of ¥80,000) and one visit already
walked to the decision step (the ML results written as the worker would).

Timed phase A ("officers", the result): every officer logs in, does one untimed warm-up round,
then `--rounds` rounds, pausing a think time between pages (`--think` s, ±50 % jitter: a quick
officer on a tablet; 10 officers then ask ≈ 10/think pages per second). A round is what an
officer does between customers: the dashboard, the village, a household, a member's start page,
starting a visit (POST + the redirect target: the flow page at the ID-card step), a track post,
the decision-step page of the walked visit (risk decision, offer), the visit list and the day's
track page. Phase B ("saturation", reported beside): the same rounds with no think time, so 10
requests are in flight all the time: the server's throughput and the latency at saturation.
Job waits are not part of it: no request here waits for an OCR/face/PDF job.
Target: phase A p95 ≤ 100 ms over all timed requests. Writes bench/results/pad_pages_p95.json.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import sys
import time
from datetime import date
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402
from bench.common import log, percentile  # noqa: E402
from bench.visit_setup import REDIS_URL, Timer, household_with, login, start_server  # noqa: E402

DB_NAME = "cunxin_bench_pad"
TARGET_P95_MS = 100.0
HOUSEHOLDS = 30
PASSWORD = "cunxin-bench-2026"


async def setup(officers: int) -> list[dict]:
    from app.config import get_settings
    from app.crypto import Vault
    from app.db import init_db
    from app.domain import idcard
    from app.models import Branch, Village
    from app.domain.vocabulary import Role
    from app.services.auth import officers as auth
    from app.services.actor import SYSTEM
    from app.services.documents import MediaStore
    from tests.fakes import FakeJobQueue
    from tests.services.visits import helpers

    settings = get_settings()
    vault = Vault(settings.secret())
    ctx = await init_db(settings)
    plan = []
    try:
        branch = await Branch.get(code="XF010")
        started = time.perf_counter()
        for n in range(officers):
            officer = await auth.create_officer(actor=SYSTEM, username=f"bench{n:02d}", display_name=f"测试经理{n:02d}", password=PASSWORD,
                                                role=Role.OFFICER, branch_code="XF010")
            village = await Village.create(division_code=f"1410231099{n:02d}", name=f"测试{n:02d}村", town="新城镇", county="襄汾县", branch=branch,
                                           officer=officer, centroid_lat=35.8765 + n * 0.01, centroid_lng=111.4421)
            households = []
            for h in range(HOUSEHOLDS):
                birth = date(1960 + h % 30, 1 + n % 12, 1 + h % 28)
                head = ("王" + "建国志强卫东海军永红"[h % 10] + "甲乙丙丁戊己庚辛壬癸"[n % 10], idcard.make_number("141023", birth, 101 + 2 * n))
                spouse = ("李秀英", idcard.make_number("141023", birth, 102 + 2 * n))
                household, members = await household_with(vault, village=village, number=f"{h + 1:03d}", head=head, spouse=spouse, pre_credit_fen=80_000_00)
                households.append((household, members))
            # one visit walked to the decision step (the heaviest page of the flow)
            household, members = households[0]
            fam = helpers.Family(household=household, head=members[0], spouse=members[1],
                                 numbers={str(m.id): vault.decrypt(m.id_number_enc, context=b"id_number") for m in members})
            c = helpers.Ctx(who=await auth.actor_for(officer), vault=vault, media=MediaStore(settings.media_dir), queue=FakeJobQueue(),
                            policy=helpers.policy(), fam=fam)
            await helpers.walk_to_decision(c)
            plan.append({"username": officer.username, "officer_id": str(officer.id), "village_id": str(village.id),
                         "households": [(str(h.id), str(m[0].id)) for h, m in households[1:]], "decision_visit": str(c.visit_id)})
        log(f"{officers} officers, {officers * HOUSEHOLDS} households, {officers} walked visits in {time.perf_counter() - started:.1f} s")
    finally:
        await ctx.close_connections()
    return plan


async def officer_loop(base_url: str, who: dict, rounds: int, timer: Timer, warm: Timer, *, think: float, first: int, seed: int) -> None:
    import random

    import httpx

    rng = random.Random(seed)

    async def pause():
        if think > 0:
            await asyncio.sleep(think * rng.uniform(0.5, 1.5))

    async with httpx.AsyncClient(base_url=base_url, timeout=30, follow_redirects=False) as client:
        token = await login(client, who["username"], PASSWORD)
        headers = {"X-CSRF-Token": token}
        await pause()
        for r in range(rounds + 1):
            t = warm if r == 0 else timer
            household_id, member_id = who["households"][(first + r) % len(who["households"])]

            async def get(label, url, **kw):
                await pause()
                response = await t.call(label, client.get(url, **kw))
                assert response.status_code == 200, (label, url, response.status_code)
                return response

            await get("dashboard", "/")
            await get("village", f"/villages/{who['village_id']}")
            await get("household", f"/households/{household_id}")
            await get("visit_start_page", f"/members/{member_id}/visit")
            await pause()
            started = await t.call("visit_start_post", client.post(f"/members/{member_id}/visit", data={"lat": "35.8766", "lng": "111.4422", "accuracy": "10", "csrf_token": token}))
            assert started.status_code == 303, started.text[-500:]
            visit_url = started.headers["location"]
            await get("visit_page_idcard", visit_url)
            await pause()
            tracked = await t.call("track_post", client.post(f"{visit_url}/track", json={"points": [{"lat": 35.8767, "lng": 111.4423, "accuracy": 9}]}, headers=headers))
            assert tracked.status_code == 204
            await get("visit_page_decision", f"/visits/{who['decision_visit']}")
            await get("visit_list", "/visits")
            await get("officer_day", f"/officers/{who['officer_id']}/day")


def _phase(server, plan: list[dict], rounds: int, think: float, first: int) -> dict:
    timer, warm = Timer(), Timer()
    meter = pg.CpuMeter({"server": server.pids, "postgres_backends": lambda: pg.backend_pids(DB_NAME)})
    started = time.perf_counter()
    with meter:
        asyncio.run(_all(server.url, plan, rounds, timer, warm, think=think, first=first))
    wall = time.perf_counter() - started
    values = timer.all()
    return {
        "requests": len(values), "p50_ms": round(percentile(values, 50), 1), "p95_ms": round(percentile(values, 95), 1),
        "p99_ms": round(percentile(values, 99), 1), "max_ms": round(max(values), 1), "throughput_rps": round(len(values) / wall, 1),
        "think_s": think, "rounds": rounds, "pages": timer.table(), "cpu_s": meter.report(),
    }


def _print(name: str, phase: dict) -> None:
    log(f"{name}: p95 {phase['p95_ms']} ms, p50 {phase['p50_ms']} ms over {phase['requests']} requests, {phase['throughput_rps']} req/s (think {phase['think_s']} s)")
    for label, row in phase["pages"].items():
        log(f"  {label:22s} n={row['n']:4d} p50={row['p50_ms']:6.1f} p95={row['p95_ms']:6.1f} max={row['max_ms']:6.1f}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--officers", type=int, default=10)
    parser.add_argument("--rounds", type=int, default=12)
    parser.add_argument("--think", type=float, default=0.5, help="seconds between an officer's pages in phase A (±50 %%)")
    parser.add_argument("--stress-rounds", type=int, default=8)
    parser.add_argument("--web-workers", type=int, default=1)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    if args.rounds + args.stress_rounds + 2 > HOUSEHOLDS - 1:
        raise SystemExit(f"at most {HOUSEHOLDS - 3} rounds in all (one new visit per round)")
    with pg.bench_database(DB_NAME, keep=args.keep):
        os.environ["CUNXIN_REDIS_URL"] = REDIS_URL
        plan = asyncio.run(setup(args.officers))
        server = start_server(web_workers=args.web_workers)
        try:
            quiet = pg.wait_for_quiet(max_wait=120, log=log)
            officers = _phase(server, plan, args.rounds, args.think, first=0)
            _print("phase A (officers)", officers)
            saturation = _phase(server, plan, args.stress_rounds, 0.0, first=args.rounds + 1)
            _print("phase B (saturation)", saturation)
        finally:
            server.stop()
    from bench.common import write_result

    p95 = officers["p95_ms"]
    write_result(
        "pad_pages_p95", p95, "ms", TARGET_P95_MS, p95 <= TARGET_P95_MS,
        officers=args.officers, web_workers=args.web_workers, database="postgresql", machine_load=quiet,
        **{k: v for k, v in officers.items() if k != "pages"}, pages=officers["pages"], saturation=saturation,
        note=f"{args.officers} officers at once, {args.think} s think time (±50 %) between pages; 'saturation': the same with no think time. "
             "Excludes job waits (no request waits for OCR/face/PDF jobs).",
    )


async def _all(url: str, plan: list[dict], rounds: int, timer: Timer, warm: Timer, *, think: float, first: int) -> None:
    await asyncio.gather(*(officer_loop(url, who, rounds, timer, warm, think=think, first=first, seed=n) for n, who in enumerate(plan)))


if __name__ == "__main__":
    main()
