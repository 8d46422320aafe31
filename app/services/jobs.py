"""The job queue: the only module that talks to arq (maintenance-only upstream; keep it swappable).

Enqueue only after the transaction that created the record has committed. arq
refuses a `_job_id` that is queued, running or whose result is still kept;
`enqueue` reports that as False rather than silently dropping it.
"""

from __future__ import annotations

import json
from typing import Any, Protocol

from arq import create_pool
from arq.connections import ArqRedis, RedisSettings
from arq.jobs import Job

DEFAULT_QUEUE = "arq:default"
ML_QUEUE = "arq:ml"
HEARTBEAT_PREFIX = "cunxin:worker:"  # + "<queue>:<host>:<pid>", set by each running worker (workers/resilient.py)
HEARTBEAT_TTL_SECONDS = 60
PROGRESS_TTL_SECONDS = 2 * 3600


# What the queue knows of a job id: waiting (queued or deferred), running, finished (its result is
# kept: done, failed or given up) or unknown (never queued, result expired, or Redis lost it).
QUEUED, RUNNING, FINISHED, UNKNOWN = "queued", "running", "finished", "unknown"
_STATES = {"deferred": QUEUED, "queued": QUEUED, "in_progress": RUNNING, "complete": FINISHED, "not_found": UNKNOWN}


# A row's job ids: `<function>:<id>` for the first attempt, `<function>:<id>:<n>` after. The reconciler
# queues a lost job again as n + 1, up to `ATTEMPTS_PER_ROUND` attempts; an officer's 重试 starts a
# new round (the next multiple of it, plus one), so every attempt has an id arq has not seen.
ATTEMPTS_PER_ROUND = 3


def job_id_for(function: str, record_id: object, attempt: int = 1) -> str:
    return f"{function}:{record_id}" if attempt <= 1 else f"{function}:{record_id}:{attempt}"


def attempt_of(job_id: str) -> int:
    parts = job_id.split(":")
    return int(parts[2]) if len(parts) == 3 and parts[2].isdigit() else 1


def attempt_in_round(attempt: int) -> int:
    """1, 2, 3 within a round of `ATTEMPTS_PER_ROUND`."""
    return (attempt - 1) % ATTEMPTS_PER_ROUND + 1


def next_round(attempt: int) -> int:
    """The first attempt of the round after the one `attempt` belongs to (a 重试)."""
    return (attempt - 1) // ATTEMPTS_PER_ROUND * ATTEMPTS_PER_ROUND + ATTEMPTS_PER_ROUND + 1


PROGRESS_PREFIX = "cunxin:progress:"  # + job id: a running job's latest progress note (JSON), kept PROGRESS_TTL_SECONDS


class JobQueue(Protocol):
    async def enqueue(self, function: str, *, job_id: str, queue: str = DEFAULT_QUEUE, **kwargs: Any) -> bool: ...

    async def job_state(self, job_id: str, *, queue: str = DEFAULT_QUEUE) -> str: ...

    async def note_progress(self, job_id: str, note: dict[str, Any]) -> None:
        """A running job's latest progress (small JSON), for a page to poll; it never touches the database, so a job
        inside a long write transaction can report (SQLite has one writer)."""

    async def progress(self, job_id: str) -> dict[str, Any] | None: ...


class ArqJobQueue:
    """Connects on first use, so the web process starts (and /readyz answers 503) while Redis is down.

    Where Redis is (`RedisSettings`) comes from app/wiring.py `redis_settings`."""

    def __init__(self, settings: RedisSettings) -> None:
        self.settings = settings
        self._pool: ArqRedis | None = None

    async def pool(self) -> ArqRedis:
        if self._pool is None:
            self._pool = await create_pool(self.settings)
        return self._pool

    async def enqueue(self, function: str, *, job_id: str, queue: str = DEFAULT_QUEUE, **kwargs: Any) -> bool:
        job = await (await self.pool()).enqueue_job(function, _job_id=job_id, _queue_name=queue, **kwargs)
        return job is not None

    async def job_state(self, job_id: str, *, queue: str = DEFAULT_QUEUE) -> str:
        status = await Job(job_id, await self.pool(), _queue_name=queue).status()
        return _STATES[status.value]

    async def workers_seen(self) -> dict[str, int]:
        """Workers per queue whose heartbeat is younger than a minute."""
        seen = {DEFAULT_QUEUE: 0, ML_QUEUE: 0}
        async for key in (await self.pool()).scan_iter(match=f"{HEARTBEAT_PREFIX}*", count=200):
            queue = key.decode()[len(HEARTBEAT_PREFIX):].rsplit(":", 2)[0]
            seen[queue] = seen.get(queue, 0) + 1
        return seen

    async def note_progress(self, job_id: str, note: dict[str, Any]) -> None:
        await (await self.pool()).set(PROGRESS_PREFIX + job_id, json.dumps(note), ex=PROGRESS_TTL_SECONDS)

    async def progress(self, job_id: str) -> dict[str, Any] | None:
        raw = await (await self.pool()).get(PROGRESS_PREFIX + job_id)
        return json.loads(raw) if raw else None

    async def ping(self) -> bool:
        return bool(await (await self.pool()).ping())

    async def close(self) -> None:
        if self._pool is not None:
            await self._pool.aclose()
            self._pool = None
