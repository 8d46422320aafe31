"""job_roundtrip: upload → result in the database, minus the time spent in the model.

    .venv/bin/python bench/job_roundtrip.py [--rounds 20]

What is timed, per round: the service call the page makes (store the upload, create the row,
commit, enqueue on arq:ml), then polling the row until the worker has written a terminal status.
The worker records how long its model call took on the row (`model_ms`); the overhead is the
round trip minus that: queueing, the worker's poll delay, claiming the row, reading the file,
writing the result. Target ≤ 0.6 s (median). Two job kinds alternate: `verify_face` (an officer
login capture against an enrolment) and `read_id_card` (a rendered card).

A real `cunxin ml-worker` process runs the jobs. With no settings the bench uses a fresh SQLite
file and a private redis-server under a temporary folder; set CUNXIN_DATABASE_URL and
CUNXIN_REDIS_URL to measure on PostgreSQL and a Redis server (the schema is created from the
models in that database: use an empty one).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

TARGET_S = 0.6
_VAR = None if os.environ.get("CUNXIN_VAR_DIR") else Path(tempfile.mkdtemp(prefix="cunxin-bench-roundtrip-"))
if _VAR is not None:
    os.environ["CUNXIN_VAR_DIR"] = str(_VAR)
os.environ.setdefault("CUNXIN_SECRET_KEY", "bench-secret-key-not-for-production")
os.environ["CUNXIN_ENV"] = "test"

from tortoise import Tortoise  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.crypto import Vault  # noqa: E402
from app.db import init_db  # noqa: E402
from app.models import Branch, FaceVerification, IdCardRead, Officer  # noqa: E402
from app.domain.vocabulary import BranchLevel, Role  # noqa: E402
from app.models.identity import JobStatus  # noqa: E402
from app.services import business_date  # noqa: E402
from app.services.auth import officers as auth
from app.services import identity_checks as checks  # noqa: E402
from app.services.documents import MediaStore  # noqa: E402
from app.services.jobs import ArqJobQueue  # noqa: E402
from app.wiring import redis_settings  # noqa: E402
from bench.common import write_result  # noqa: E402
from tests.support.idcards import AS_OF, make_card  # noqa: E402
from tests.workers import face_images as fi  # noqa: E402

POLL_S = 0.005


def _start_worker(env: dict[str, str]) -> subprocess.Popen:
    proc = subprocess.Popen([sys.executable, "-m", "app.cli", "ml-worker"], cwd=ROOT, env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if "ml worker started" in line:
            return proc
        if not line and proc.poll() is not None:
            break
    proc.kill()
    raise RuntimeError("the ML worker did not start")


async def _wait(model, record_id) -> tuple[float, object]:
    while True:
        row = await model.get(id=record_id)
        if row.status in (JobStatus.DONE, JobStatus.FAILED):
            return time.perf_counter(), row
        await asyncio.sleep(POLL_S)


async def main(rounds: int) -> None:
    settings = get_settings()
    ctx = await init_db(settings)
    await Tortoise.generate_schemas(safe=True)
    branch = await Branch.create(code="BENCH", name="基准测试支行", level=BranchLevel.BRANCH)
    officer = await Officer.create(username="bench", display_name="基准", password_hash=auth.hash_password("bench-password-1"),
                                   role=Role.OFFICER, branch=branch)
    await Officer.filter(id=officer.id).update(
        face_embeddings_enc=checks.faces.seal_embeddings(Vault(settings.secret()), officer.id, [[0.1] * 128])
    )
    await business_date.set_current(AS_OF)
    actor = await auth.actor_for(officer)
    media = MediaStore(settings.media_dir)
    queue = ArqJobQueue(redis_settings(settings))
    face = fi.encode(fi.astronaut())
    cards = [make_card(seed)[0] for seed in range(4)]

    samples: dict[str, list[tuple[float, float]]] = {"verify_face": [], "read_id_card": []}
    for i in range(rounds + 2):  # the first two rounds warm up the worker and are not counted
        if i % 2 == 0:
            t0 = time.perf_counter()
            v = await checks.start_face_verification(actor=actor, media=media, queue=queue, purpose="officer_login",
                                                     probe=face + i.to_bytes(2, "big"), officer_id=officer.id, threshold=0.07)
            t1, row = await _wait(FaceVerification, v.id)
            kind = "verify_face"
        else:
            t0 = time.perf_counter()
            r = await checks.start_id_card_read(actor=actor, media=media, queue=queue, data=cards[i % 4] + i.to_bytes(2, "big"), side="front")
            t1, row = await _wait(IdCardRead, r.id)
            kind = "read_id_card"
        if row.status != JobStatus.DONE or row.model_ms is None:
            raise RuntimeError(f"{kind} did not finish: {row.status} {getattr(row, 'error', '')}")
        if i >= 2:
            samples[kind].append((t1 - t0, row.model_ms / 1000))
    await queue.close()
    await ctx.close_connections()

    overheads = sorted(total - model for rows in samples.values() for total, model in rows)
    median = statistics.median(overheads)
    p90 = overheads[min(len(overheads) - 1, int(0.9 * len(overheads)))]
    per_kind = {
        kind: {"overhead_median_s": round(statistics.median(t - m for t, m in rows), 3),
               "total_median_s": round(statistics.median(t for t, _ in rows), 3),
               "model_median_s": round(statistics.median(m for _, m in rows), 3), "rounds": len(rows)}
        for kind, rows in samples.items()
    }
    result = write_result(
        "job_roundtrip", round(median, 3), "s", TARGET_S, median <= TARGET_S,
        p90_s=round(p90, 3), max_s=round(overheads[-1], 3), rounds=len(overheads), per_job=per_kind,
        database="postgresql" if settings.db_url.startswith(("postgres", "asyncpg")) else "sqlite",
        redis="embedded" if settings.uses_embedded_redis else "server", worker_poll_delay_s=0.1,
    )
    print(f"job_roundtrip: median overhead {median:.3f} s (p90 {p90:.3f} s, {len(overheads)} jobs), target ≤ {TARGET_S} s: "
          f"{'ok' if result['ok'] else 'MISSED'}")
    for kind, numbers in per_kind.items():
        print(f"  {kind}: {numbers}")


def run() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=20)
    opts = parser.parse_args()
    settings = get_settings()
    children = []
    if settings.uses_embedded_redis:
        from app.embedded import start_redis

        children.append(start_redis(settings.var_dir, settings.redis_socket))
    try:
        if not settings.database_url:  # the worker needs the schema before it starts polling
            async def schema() -> None:
                ctx = await init_db(settings)
                await Tortoise.generate_schemas(safe=True)
                await ctx.close_connections()

            asyncio.run(schema())
        children.append(_start_worker(dict(os.environ)))
        asyncio.run(main(opts.rounds))
    finally:
        for child in reversed(children):
            child.terminate()
            try:
                child.wait(timeout=20)
            except subprocess.TimeoutExpired:
                child.kill()
        if _VAR is not None:
            shutil.rmtree(_VAR, ignore_errors=True)


if __name__ == "__main__":
    run()
