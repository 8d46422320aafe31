"""What an operations team watches, apart from the web process itself (/healthz/operations, /metrics).

Readiness (/readyz) is about one web process and its database, so a load balancer never drops
every web process because a worker is down. This is the rest: workers seen in the last minute
per queue, the oldest job still waiting, the outbox backlog and the last closed business date.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

from tortoise.functions import Max, Min

from app.models import EodRun, FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck, OutboxMessage
from app.models.identity import JobStatus, LivenessStatus
from app.models.outbox import OutboxStatus
from app.services.jobs import DEFAULT_QUEUE, ML_QUEUE

EOD_GRACE = timedelta(hours=1)  # the close at eod_hour has this long before it counts as late


@dataclass(frozen=True, slots=True)
class OperationsStatus:
    workers: dict[str, int]  # queue -> workers seen in the last minute (None when Redis is away: -1)
    oldest_pending_job_seconds: float | None  # identity jobs not finished yet
    outbox_pending: int
    outbox_dead: int
    oldest_outbox_seconds: float | None
    last_eod_on: date | None
    eod_late: bool

    @property
    def problems(self) -> list[str]:
        out = [f"no worker on {q}" for q in (DEFAULT_QUEUE, ML_QUEUE) if self.workers.get(q, 0) <= 0]
        return out + (["end-of-day late"] if self.eod_late else [])

    def to_json(self) -> dict:
        return {
            "status": "ok" if not self.problems else "degraded", "problems": self.problems,
            "workers": self.workers, "oldestPendingJobSeconds": self.oldest_pending_job_seconds,
            "outbox": {"pending": self.outbox_pending, "dead": self.outbox_dead, "oldestPendingSeconds": self.oldest_outbox_seconds},
            "lastEndOfDay": self.last_eod_on.isoformat() if self.last_eod_on else None, "endOfDayLate": self.eod_late,
        }


async def operations_status(*, workers: dict[str, int], now: datetime, tz: str, eod_hour: int) -> OperationsStatus:
    oldest_job = await _oldest_open_job(now)
    unsent = (OutboxStatus.PENDING, OutboxStatus.RUNNING)  # waiting for an attempt, or in one
    pending = await OutboxMessage.filter(status__in=unsent).count()
    dead = await OutboxMessage.filter(status=OutboxStatus.DEAD).count()
    first = (await OutboxMessage.filter(status__in=unsent).annotate(m=Min("created_at")).values_list("m", flat=True))
    last_eod = (await EodRun.filter(finished_at__isnull=False).annotate(m=Max("business_on")).values_list("m", flat=True))
    last_on = last_eod[0] if last_eod else None
    return OperationsStatus(
        workers=workers, oldest_pending_job_seconds=oldest_job, outbox_pending=pending, outbox_dead=dead,
        oldest_outbox_seconds=(now - first[0]).total_seconds() if first and first[0] else None,
        last_eod_on=last_on, eod_late=eod_late(last_on, now=now, tz=tz, eod_hour=eod_hour),
    )


def eod_late(last_on: date | None, *, now: datetime, tz: str, eod_hour: int) -> bool:
    """The close of day D runs at eod_hour local on D: past that plus the grace, D must be closed; before, D - 1."""
    local = now.astimezone(ZoneInfo(tz))
    due = local.replace(hour=eod_hour, minute=0, second=0, microsecond=0) + EOD_GRACE
    expected = local.date() if local >= due else local.date() - timedelta(days=1)
    return last_on is None or last_on < expected


async def _oldest_open_job(now: datetime) -> float | None:
    firsts = []
    for model in (IdCardRead, FaceVerification, FaceEnrolment):
        firsts += await model.filter(status__in=(JobStatus.PENDING, JobStatus.RUNNING)).annotate(m=Min("created_at")).values_list("m", flat=True)
    firsts += await LivenessCheck.filter(status__in=(LivenessStatus.PENDING, LivenessStatus.RUNNING), submitted_at__isnull=False).annotate(
        m=Min("submitted_at")).values_list("m", flat=True)
    found = [f for f in firsts if f is not None]
    return (now - min(found)).total_seconds() if found else None
