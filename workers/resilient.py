"""Run an arq worker that outlives its dependencies.

arq's own `run_worker` exits when Redis goes away (and cannot start without it). Here the worker's
`on_startup` runs once (the database pool and the model process connect lazily or by themselves),
then an arq `Worker` is created and run; when Redis drops, the worker is closed, a line is
logged and a new one is started after a backoff (1, 2, 4 … 30 s), until SIGTERM/SIGINT. Each new
`Worker` runs its `run_at_startup` crons again: the reconciler looks at the queue right after
Redis returns. While it runs, the worker writes a heartbeat (`cunxin:worker:<queue>:<host>:<pid>`,
60 s TTL) that `/healthz/operations` counts.
"""

from __future__ import annotations

import asyncio
import dataclasses
import logging
import os
import signal
import socket
import time
from typing import Any

from arq.connections import RedisSettings
from arq.worker import Function, Retry, create_worker, func

from app import clock
from app.services import metrics
from app.services.jobs import HEARTBEAT_PREFIX, HEARTBEAT_TTL_SECONDS
from app.services.outage import dependency_down

logger = logging.getLogger(__name__)

BACKOFF_MAX_SECONDS = 30.0
HEARTBEAT_SECONDS = 15.0


def backoff(failures: int) -> float:
    """1, 2, 4, 8, 16, 30, 30 … seconds."""
    return min(2.0 ** max(failures - 1, 0), BACKOFF_MAX_SECONDS)


def run(settings_cls: Any, redis_settings: RedisSettings) -> None:
    asyncio.run(run_until_stopped(settings_cls, redis_settings))


async def run_until_stopped(settings_cls: Any, redis_settings: RedisSettings) -> None:
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGINT, signal.SIGTERM):
        loop.add_signal_handler(sig, stop.set)
    ctx: dict[str, Any] = {}
    settings = settings_cls.__dict__
    await settings["on_startup"](ctx)
    failures = 0
    try:
        while not stop.is_set():
            started = time.monotonic()
            error = await _run_once(settings_cls, redis_settings, ctx, stop)
            if error is None:
                return
            failures = 1 if time.monotonic() - started > 60 else failures + 1
            delay = backoff(failures)
            logger.warning("%s unavailable (%s): worker for %s reconnects in %.0f s", dependency_down(error) or "dependency",
                           type(error).__name__, settings["queue_name"], delay)
            try:
                await asyncio.wait_for(stop.wait(), delay)
            except TimeoutError:
                pass
    finally:
        await settings["on_shutdown"](ctx)


def instrumented(function: Any) -> Any:
    """An arq Function or CronJob whose coroutine records its duration and failures (app/services/metrics.py)."""
    inner, kind = function.coroutine, function.name

    async def timed(ctx: dict[str, Any], *args: Any, **kwargs: Any) -> Any:
        started, outcome = time.perf_counter(), "done"
        try:
            result = await inner(ctx, *args, **kwargs)
        except Retry:
            outcome = "retry"
            raise
        except BaseException as exc:
            outcome = "cancelled" if isinstance(exc, asyncio.CancelledError) else "failed"
            if outcome == "failed":
                metrics.JOB_FAILURES.labels(kind, type(exc).__name__).inc()
            raise
        finally:
            metrics.JOB_SECONDS.labels(kind, outcome).observe(time.perf_counter() - started)
        if isinstance(result, str) and result.startswith("failed "):  # the job ended its record failed, with a code
            metrics.JOB_FAILURES.labels(kind, result.split(" ", 1)[1][:32]).inc()
        return result

    timed.__qualname__ = timed.__name__ = getattr(inner, "__name__", kind)
    return dataclasses.replace(function, coroutine=timed)


async def _run_once(settings_cls: Any, redis_settings: RedisSettings, ctx: dict[str, Any], stop: asyncio.Event) -> BaseException | None:
    """One arq Worker until it stops (None) or loses Redis/PostgreSQL (the error). Other errors propagate."""
    settings = settings_cls.__dict__
    functions = [instrumented(f if isinstance(f, Function) else func(f)) for f in settings["functions"]]
    crons = [instrumented(c) for c in settings.get("cron_jobs") or []]
    worker = create_worker(settings_cls, redis_settings=redis_settings, ctx=ctx, on_startup=None, on_shutdown=None, handle_signals=False,
                           functions=functions, cron_jobs=crons)
    main = asyncio.create_task(worker.main())
    worker.main_task = main
    beat = asyncio.create_task(_heartbeat(worker))
    stopping = asyncio.create_task(stop.wait())
    try:
        await asyncio.wait({main, stopping}, return_when=asyncio.FIRST_COMPLETED)
    finally:
        stopping.cancel()
        beat.cancel()
    error = main.exception() if main.done() and not main.cancelled() else None
    if error is not None and dependency_down(error) is None:
        await _close(worker)
        raise error
    await _close(worker)
    return error if error is not None else None


async def _close(worker: Any) -> None:
    """Cancel what runs (a job of a lost queue is delivered again), close the pool; Redis may be gone."""
    worker.handle_sig(signal.SIGTERM)
    tasks = [t for t in worker.tasks.values() if not t.done()]
    if worker.main_task is not None and not worker.main_task.done():
        tasks.append(worker.main_task)
    await asyncio.gather(*tasks, return_exceptions=True)
    pool, worker._pool = worker._pool, None
    if pool is not None:
        try:
            await pool.delete(worker.health_check_key)
        except Exception:  # noqa: BLE001 - Redis is probably what went away
            pass
        await pool.close(close_connection_pool=True)


async def _heartbeat(worker: Any) -> None:
    key = f"{HEARTBEAT_PREFIX}{worker.queue_name}:{socket.gethostname()}:{os.getpid()}"
    while True:
        if worker._pool is None:
            await asyncio.sleep(0.5)
            continue
        try:
            await worker._pool.set(key, clock.now_utc().isoformat(), ex=HEARTBEAT_TTL_SECONDS)
        except Exception:  # noqa: BLE001 - the main loop notices a lost Redis and restarts
            return
        await asyncio.sleep(HEARTBEAT_SECONDS)
