"""scale_out_ocr: an OCR backlog drained by 1 and then 2 ML workers (real models), PostgreSQL and Redis.

    .venv/bin/python bench/scale_out_ocr.py [--cards 20] [--keep]

Creates its own database (cunxin_bench_scale_out_ocr on 127.0.0.1:5432), migrates and seeds it,
and uses Redis db 7 on 127.0.0.1:6379 (CUNXIN_BENCH_OCR_REDIS_URL to change). For N = 1 and 2 it
starts N `cunxin ml-worker` processes (each with its model child process), warms each with one
read, then queues `--cards` ID-card photos at once (generated cards, tests/support/idcards.py,
as the ID-card page does: store, row, enqueue) and times until every row is done or failed.
Reported per N: seconds to drain, cards per second, jobs per worker (from the workers' logs),
the median time in the model (`model_ms`), and CPU seconds of the workers (with their model
children), PostgreSQL and this process, plus the machine's busy share, to say where the
bottleneck is. Everything shares 2 cores here, so well under 2× is expected: the point is that
nothing serialises the workers (speed-up > 1, both workers take jobs).
Writes bench/results/scale_out_ocr.json.
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from bench import pg  # noqa: E402
from bench.common import log, write_result  # noqa: E402

DB_NAME = "cunxin_bench_scale_out_ocr"
REDIS_URL = os.environ.get("CUNXIN_BENCH_OCR_REDIS_URL", "redis://127.0.0.1:6379/7")
JOB_LINE = re.compile(r"id card read ([0-9a-f-]{36}) ")


def _tree_cpu(pid: int) -> float:
    """CPU seconds of a process and its children (the worker's model process)."""
    total = pg.process_cpu(pid)
    for child in Path(f"/proc/{pid}/task").glob("*/children"):
        for cpid in child.read_text().split():
            total += _tree_cpu(int(cpid))
    return total


def _start_workers(n: int, log_dir: Path, phase: int) -> list[tuple[subprocess.Popen, Path]]:
    workers = []
    for k in range(n):
        path = log_dir / f"ml-worker-{phase}-{k}.log"
        proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ml-worker"], cwd=ROOT, env=os.environ.copy(),
                                stdout=open(path, "wb"), stderr=subprocess.STDOUT)
        workers.append((proc, path))
    deadline = time.monotonic() + 180
    while not all("ml worker started" in p.read_text(errors="replace") for _, p in workers):
        if time.monotonic() > deadline or any(proc.poll() is not None for proc, _ in workers):
            raise RuntimeError("an ML worker did not start: see " + ", ".join(str(p) for _, p in workers))
        time.sleep(0.2)
    return workers


def _stop(workers: list[tuple[subprocess.Popen, Path]]) -> None:
    for proc, _ in workers:
        proc.send_signal(signal.SIGTERM)
    for proc, _ in workers:
        try:
            proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()


async def _drain(cards: list[bytes]) -> tuple[float, list]:
    """Queue every card as the ID-card page does, then wait until every row has ended; (seconds, rows)."""
    from app.config import get_settings
    from app.db import init_db
    from app.models import IdCardRead, Officer
    from app.models.identity import JobStatus
    from app.services import identity_checks as checks
    from app.services.auth import officers as auth
    from app.services.documents import MediaStore
    from app.services.jobs import ArqJobQueue
    from app.wiring import redis_settings

    settings = get_settings()
    ctx = await init_db(settings)
    queue = ArqJobQueue(redis_settings(settings))
    try:
        actor = await auth.actor_for(await Officer.get(username="officer1"))
        media = MediaStore(settings.media_dir)
        started = time.perf_counter()
        ids = [(await checks.start_id_card_read(actor=actor, media=media, queue=queue, data=card, side="front")).id for card in cards]
        while await IdCardRead.filter(id__in=ids, status__in=(JobStatus.PENDING, JobStatus.RUNNING)).exists():
            await asyncio.sleep(0.05)
        elapsed = time.perf_counter() - started
        return elapsed, await IdCardRead.filter(id__in=ids)
    finally:
        await queue.close()
        await ctx.close_connections()


def phase(n: int, cards: list[bytes], warm: list[bytes], log_dir: Path) -> dict:
    workers = _start_workers(n, log_dir, n)
    try:
        asyncio.run(_drain(warm[:n]))  # each worker's model process loaded and warm
        pids = [proc.pid for proc, _ in workers]
        before = (sum(map(_tree_cpu, pids)), sum(map(pg.process_cpu, pg.backend_pids(DB_NAME))), time.process_time(), pg.machine_cpu())
        seconds, rows = asyncio.run(_drain(cards))
        after = (sum(map(_tree_cpu, pids)), sum(map(pg.process_cpu, pg.backend_pids(DB_NAME))), time.process_time(), pg.machine_cpu())
    finally:
        _stop(workers)
    done = {str(r.id) for r in rows}
    per_worker = [len(done & set(JOB_LINE.findall(path.read_text(errors="replace")))) for _, path in workers]
    cpu = {"ml_workers": after[0] - before[0], "postgres": after[1] - before[1], "bench_process": after[2] - before[2]}
    busy = (after[3][0] - before[3][0]) / max(after[3][1] - before[3][1], 1e-9)
    models = [r.model_ms for r in rows if r.model_ms is not None]
    result = {
        "seconds": round(seconds, 2), "cards_per_second": round(len(rows) / seconds, 2),
        "done": sum(r.status == "done" for r in rows), "failed": sum(r.status == "failed" for r in rows),
        "jobs_per_worker": per_worker, "model_ms_median": round(statistics.median(models)) if models else None,
        "cpu_seconds": {k: round(v, 1) for k, v in cpu.items()}, "machine_busy_share": round(busy, 2),
        "load_average": round(os.getloadavg()[0], 2), "bottleneck": max(cpu, key=cpu.get),
    }
    log(f"{n} ML worker(s): {result}")
    return result


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cards", type=int, default=20)
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    with pg.bench_database(DB_NAME, keep=args.keep) as var_dir:
        # a cold model process takes 20-30 s on this shared machine (load ≈ 10): with the production 20 s / 30 s the
        # first call of each worker is killed, and a job's restart of the model eats the next job's time; the bench
        # measures throughput, so it gives each call room (docs/operations.md, "Scaling the workers")
        os.environ.update({"CUNXIN_REDIS_URL": REDIS_URL, "CUNXIN_ML_MODEL_TIMEOUT_SECONDS": "120", "CUNXIN_ML_JOB_TIMEOUT_SECONDS": "300"})
        from tests.support.idcards import make_card

        cards = [make_card(7000 + i, side="front")[0] for i in range(2 * args.cards + 4)]  # distinct photos: no dedup
        one = phase(1, cards[:args.cards], cards[-4:-2], var_dir)
        two = phase(2, cards[args.cards:2 * args.cards], cards[-2:], var_dir)
    speedup = round(one["seconds"] / two["seconds"], 2)
    both_work = min(two["jobs_per_worker"]) > 0
    ok = speedup > 1.0 and both_work and one["failed"] == two["failed"] == 0
    result = write_result(
        "scale_out_ocr", speedup, "× drain speed (2 ML workers / 1)", 1.0, ok,
        cards=args.cards, one_worker=one, two_workers=two, model_timeout_s=120, job_timeout_s=300,
        note="an OCR backlog of ID-card photos; workers, their model processes, PostgreSQL and the bench share 2 cores "
             "(and the machine runs other work: load_average), so well under 2× is expected",
    )
    print(json.dumps(result, ensure_ascii=False, indent=2))


if __name__ == "__main__":
    main()
