"""Test doubles for the edges services talk to."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from typing import Any

from app.integrations.core_banking import SandboxCoreBanking
from app.services.jobs import DEFAULT_QUEUE, QUEUED, UNKNOWN


@dataclass
class Enqueued:
    function: str
    job_id: str
    queue: str
    kwargs: dict[str, Any]
    seen: Any = None  # what `on_enqueue` returned at the moment of the call


@dataclass
class FakeJobQueue:
    """Records enqueues instead of talking to Redis (the `JobQueue` protocol of app/services/jobs.py).

    Like arq it answers False for a job id it already holds. `on_enqueue` runs at the moment of
    the call (e.g. to look at the database from there); `fail` makes every call raise, as a
    Redis that is down does.
    """

    on_enqueue: Callable[[str, dict[str, Any]], Awaitable[Any]] | None = None
    fail: Exception | None = None
    jobs: list[Enqueued] = field(default_factory=list)
    states: dict[str, str] = field(default_factory=dict)  # job id -> QUEUED/RUNNING/FINISHED/UNKNOWN
    workers: dict[str, int] = field(default_factory=dict)  # queue -> workers seen in the last minute
    notes: dict[str, dict[str, Any]] = field(default_factory=dict)  # job id -> its latest progress note

    async def enqueue(self, function: str, *, job_id: str, queue: str = DEFAULT_QUEUE, **kwargs: Any) -> bool:
        if self.fail is not None:
            raise self.fail
        if any(job.job_id == job_id for job in self.jobs):
            return False
        seen = await self.on_enqueue(function, kwargs) if self.on_enqueue is not None else None
        self.jobs.append(Enqueued(function, job_id, queue, dict(kwargs), seen))
        return True

    async def job_state(self, job_id: str, *, queue: str = DEFAULT_QUEUE) -> str:
        """What a test set in `states`; a job enqueued here and not set otherwise is waiting."""
        if self.fail is not None:
            raise self.fail
        return self.states.get(job_id, QUEUED if job_id in self.ids() else UNKNOWN)

    async def note_progress(self, job_id: str, note: dict[str, Any]) -> None:
        if self.fail is not None:
            raise self.fail
        self.notes[job_id] = dict(note)

    async def progress(self, job_id: str) -> dict[str, Any] | None:
        if self.fail is not None:
            raise self.fail
        return self.notes.get(job_id)

    async def ping(self) -> bool:
        return True

    async def workers_seen(self) -> dict[str, int]:
        return dict(self.workers)

    async def close(self) -> None:
        return None

    def ids(self) -> list[str]:
        return [job.job_id for job in self.jobs]


class RecordingCore(SandboxCoreBanking):
    """The sandbox core, noting every money call it is asked to make (to prove a refused door made none)."""

    def __init__(self) -> None:
        super().__init__()
        self.calls: list[str] = []

    async def disburse(self, **kwargs):
        self.calls.append("disburse")
        return await super().disburse(**kwargs)

    async def debit(self, **kwargs):
        self.calls.append("debit")
        return await super().debit(**kwargs)
