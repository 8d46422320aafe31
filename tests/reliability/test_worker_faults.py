"""Workers outlive Redis and PostgreSQL outages; every identity job ends done or failed after a crash or a lost queue.

Private servers (tests/reliability/conftest.py); the real `cunxin worker` / `cunxin ml-worker`
processes, killed and restarted the way an operator's supervisor (systemd) would.
"""

from __future__ import annotations

import asyncio
import os
import re
import signal
import time
import uuid

import asyncpg
import httpx
import pytest
import redis

from tests.support.idcards import make_card
from tests.support.private_services import free_port, wait_port

pytestmark = pytest.mark.postgres


def wait_until(check, *, timeout: float, every: float = 0.5, what: str = ""):
    deadline = time.monotonic() + timeout
    while True:
        value = check()
        if value:
            return value
        if time.monotonic() > deadline:
            raise AssertionError(f"not within {timeout} s: {what}")
        time.sleep(every)


def heartbeats(stack, queue: str) -> list[bytes]:
    try:
        return redis.Redis.from_url(stack.redis.url, socket_timeout=1).keys(f"cunxin:worker:{queue}:*")
    except redis.exceptions.ConnectionError:
        return []


def enqueue(stack, function: str, job_id: str, queue: str, **kwargs) -> None:
    from arq.connections import RedisSettings, create_pool

    async def go():
        pool = await create_pool(RedisSettings.from_dsn(stack.redis.url))
        await pool.enqueue_job(function, _job_id=job_id, _queue_name=queue, **kwargs)
        await pool.aclose()

    asyncio.run(go())


def job_status(stack, job_id: str, queue: str) -> str:
    from arq.connections import RedisSettings, create_pool
    from arq.jobs import Job

    async def go():
        pool = await create_pool(RedisSettings.from_dsn(stack.redis.url))
        try:
            return (await Job(job_id, pool, _queue_name=queue).status()).value
        finally:
            await pool.aclose()

    return asyncio.run(go())


def rows(stack, ids: list[str]) -> dict[str, tuple]:
    async def go():
        conn = await asyncpg.connect(stack.pg.url)
        try:
            found = await conn.fetch("SELECT id::text, status, error_code, error, job_id FROM id_card_read WHERE id::text = ANY($1)", ids)
        finally:
            await conn.close()
        return {r["id"]: (r["status"], r["error_code"], r["error"], r["job_id"]) for r in found}

    return asyncio.run(go())


def test_the_default_worker_starts_without_redis_and_outlives_a_30_s_redis_and_a_10_s_postgres_outage(stack):
    # given Redis is not up yet when the worker starts
    stack.redis.stop()
    worker = stack.start("worker", "worker")
    wait_until(lambda: re.search(r"redis unavailable \(\w+\): worker for arq:default reconnects in \d+ s", stack.log("worker")),
               timeout=60, what="the worker's log line about Redis")
    assert worker.poll() is None
    # when Redis comes up, the worker connects by itself and runs jobs
    stack.redis.start()
    wait_until(lambda: heartbeats(stack, "arq:default"), timeout=30, what="worker heartbeat after Redis started")
    enqueue(stack, "verify_document", "probe:1", "arq:default", document_id=str(uuid.uuid4()))
    wait_until(lambda: job_status(stack, "probe:1", "arq:default") == "complete", timeout=20, what="first job")
    # when Redis is away for 30 s (and comes back empty), the worker waits and reconnects
    stack.redis.stop()
    time.sleep(30)
    assert worker.poll() is None
    stack.redis.start()
    wait_until(lambda: heartbeats(stack, "arq:default"), timeout=45, what="heartbeat after the 30 s outage")
    enqueue(stack, "verify_document", "probe:2", "arq:default", document_id=str(uuid.uuid4()))
    wait_until(lambda: job_status(stack, "probe:2", "arq:default") == "complete", timeout=20, what="a job after the Redis outage")
    # when PostgreSQL is away for 10 s, the worker stays up and runs jobs again afterwards
    stack.pg.stop()
    time.sleep(10)
    assert worker.poll() is None
    stack.pg.start()
    enqueue(stack, "verify_document", "probe:3", "arq:default", document_id=str(uuid.uuid4()))
    wait_until(lambda: job_status(stack, "probe:3", "arq:default") == "complete", timeout=30, what="a job after the PostgreSQL outage")
    assert worker.poll() is None  # never restarted by hand


def _login(client: httpx.Client) -> str:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    assert client.post("/login", data={"username": "officer1", "password": "cunxin-demo-2026", "csrf_token": token}).status_code == 303
    return client.cookies["cunxin_csrf"]


def _upload(client: httpx.Client, csrf: str, image: bytes) -> str:
    sent = client.post("/identity/idcard", data={"csrf_token": csrf, "side": "front"}, files={"image": ("card.jpg", image, "image/jpeg")})
    assert sent.status_code == 303, sent.text
    return sent.headers["location"].rsplit("/", 1)[1]


def _status(stack, read_id: str) -> str:
    return rows(stack, [read_id])[read_id][0]


def test_identity_jobs_end_done_after_a_worker_is_killed_mid_job_and_after_redis_restarts_empty(stack):
    port = free_port()
    stack.start("web-ml", "serve", "--port", str(port))
    ml = stack.start("ml-worker", "ml-worker")
    wait_port(port, up=True)
    wait_until(lambda: heartbeats(stack, "arq:ml"), timeout=180, what="ML worker ready")
    card, _ = make_card(3, side="front")
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        csrf = _login(client)
        first = _upload(client, csrf, card)
        wait_until(lambda: _status(stack, first) == "done", timeout=90, what="a read with nothing broken")
        # when the ML worker is killed (SIGKILL) in the middle of a read, and started again as systemd would
        crashed = _upload(client, csrf, card)
        wait_until(lambda: _status(stack, crashed) == "running", timeout=30, every=0.05, what="the read running")
        os.kill(ml.pid, signal.SIGKILL)
        ml.wait()
        killed_at = time.monotonic()
        stack.start("ml-worker-2", "ml-worker")
        # then the read is run again and ends done within a minute (arq's job timeout is short)
        wait_until(lambda: _status(stack, crashed) in ("done", "failed"), timeout=120, what="the crashed read finished")
        assert _status(stack, crashed) == "done" and time.monotonic() - killed_at < 90
        # when a read is queued while no worker runs and Redis restarts without persistence (the queue is lost)
        stack.procs["ml-worker-2"].terminate()
        stack.procs["ml-worker-2"].wait(30)
        lost = _upload(client, csrf, card)
        assert rows(stack, [lost])[lost][3] == f"read_id_card:{lost}"
        stack.redis.stop()
        stack.redis.start()
        restarted_at = time.monotonic()
        stack.start("ml-worker-3", "ml-worker")
        # then the reconciler at worker start queues it again under a new id, and it ends done within a minute
        wait_until(lambda: _status(stack, lost) in ("done", "failed"), timeout=120, what="the lost read finished")
        status, code, error, job_id = rows(stack, [lost])[lost]
        assert (status, code, error, job_id) == ("done", None, None, f"read_id_card:{lost}:2")
        assert time.monotonic() - restarted_at < 90
    assert {r[0] for r in rows(stack, [first, crashed, lost]).values()} == {"done"}
    assert "reconciled jobs: 0 queued, 1 requeued, 0 failed" in stack.log("ml-worker-3")
