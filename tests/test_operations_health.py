"""/healthz/operations and /metrics: workers, the oldest waiting job, the outbox, the last close, request and job timings."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest
from prometheus_client import REGISTRY
from prometheus_client.parser import text_string_to_metric_families

from app import clock
from app.models import EodRun, OutboxMessage
from app.models.outbox import OutboxKind, OutboxStatus
from app.services import metrics
from app.services.operations import eod_late
from tests.fakes import FakeJobQueue
from workers.resilient import instrumented

SHANGHAI = "Asia/Shanghai"


def at(local: str) -> datetime:
    """A Shanghai wall-clock time as UTC."""
    return datetime.fromisoformat(local + "+08:00").astimezone(UTC)


@pytest.mark.parametrize(("last", "now", "late"), [
    (date(2026, 12, 1), "2026-12-02T23:59", False),  # today's close (23:00) still within its hour of grace
    (date(2026, 12, 1), "2026-12-03T00:01", True),  # past it: 2 December should be closed
    (date(2026, 12, 2), "2026-12-03T00:01", False),
    (date(2026, 11, 30), "2026-12-02T10:00", True),  # yesterday's close is missing
    (None, "2026-12-02T10:00", True),
])
def test_end_of_day_is_late_after_its_hour_and_an_hour_of_grace(last, now, late):
    assert eod_late(last, now=at(now), tz=SHANGHAI, eod_hour=23) is late


async def _outbox(status: OutboxStatus, created: datetime, n: int) -> None:
    row = await OutboxMessage.create(kind=OutboxKind.LINE_GRANTED, key=f"line_granted:{status}:{n}", payload={}, status=status,
                                     next_attempt_at=created)
    await OutboxMessage.filter(id=row.id).update(created_at=created)


async def test_operations_reports_workers_the_outbox_and_the_last_close(app, client, db):
    now = clock.now_utc()
    app.state.queue = FakeJobQueue()
    # nothing running, nothing closed: degraded, and says why
    first = await client.get("/healthz/operations")
    assert first.status_code == 503
    assert first.json()["problems"] == ["no worker on arq:default", "no worker on arq:ml", "end-of-day late"]
    # given both workers seen, today's business date closed, an outbox backlog
    app.state.queue = FakeJobQueue(workers={"arq:default": 2, "arq:ml": 1})
    today = clock.local_today(SHANGHAI)
    await EodRun.create(business_on=today, finished_at=now)
    await EodRun.create(business_on=today + timedelta(days=1))  # started, not finished: not the last close
    await _outbox(OutboxStatus.PENDING, now - timedelta(minutes=10), 1)
    await _outbox(OutboxStatus.PENDING, now - timedelta(minutes=2), 2)
    await _outbox(OutboxStatus.DEAD, now - timedelta(days=1), 3)
    await _outbox(OutboxStatus.SENT, now - timedelta(days=2), 4)
    response = await client.get("/healthz/operations")
    body = response.json()
    assert response.status_code == 200 and body["status"] == "ok" and body["problems"] == []
    assert body["workers"] == {"arq:default": 2, "arq:ml": 1}
    assert body["lastEndOfDay"] == today.isoformat() and body["endOfDayLate"] is False
    assert (body["outbox"]["pending"], body["outbox"]["dead"]) == (2, 1)
    assert 600 <= body["outbox"]["oldestPendingSeconds"] < 660
    assert body["oldestPendingJobSeconds"] is None


def _families(text: str) -> dict:
    return {f.name: f for f in text_string_to_metric_families(text)}


async def test_metrics_are_scraped_with_the_prometheus_parser(app, client, db):
    app.state.queue = FakeJobQueue(workers={"arq:default": 1, "arq:ml": 0})
    await _outbox(OutboxStatus.PENDING, clock.now_utc(), 1)
    before = REGISTRY.get_sample_value("cunxin_http_request_duration_seconds_count", {"method": "GET", "route": "/healthz", "status": "200"}) or 0
    for _ in range(3):
        assert (await client.get("/healthz")).status_code == 200
    scraped = await client.get("/metrics")
    assert scraped.status_code == 200 and scraped.headers["content-type"].startswith("text/plain")
    families = _families(scraped.text)
    requests = {(s.labels["route"], s.labels["status"]): s.value for s in families["cunxin_http_request_duration_seconds"].samples
                if s.name.endswith("_count") and s.labels["method"] == "GET"}
    assert requests[("/healthz", "200")] == before + 3
    assert all("{" not in route or route.count("{") == route.count("}") for route, _ in requests)  # templates, not raw paths
    workers = {s.labels["queue"]: s.value for s in families["cunxin_workers_seen"].samples}
    assert workers == {"arq:default": 1.0, "arq:ml": 0.0}
    outbox = {s.labels["status"]: s.value for s in families["cunxin_outbox_messages"].samples}
    assert outbox == {"pending": 1.0, "dead": 0.0}
    assert families["cunxin_eod_late"].samples[0].value == 1.0
    for name in ("cunxin_job_duration_seconds", "cunxin_job_failures", "cunxin_eod_step_duration_seconds"):
        assert name in families  # declared even before the first job or close in this process


async def test_every_job_records_its_duration_and_its_failures_by_kind():
    from arq.worker import func

    async def read_id_card(ctx, read_id):
        return "failed BAD_IMAGE" if read_id == "bad" else "done"

    async def send_outbox(ctx):
        raise RuntimeError("boom")

    reads, sends = instrumented(func(read_id_card, name="read_id_card")), instrumented(func(send_outbox, name="send_outbox"))
    keys = [
        ("cunxin_job_duration_seconds_count", {"kind": "read_id_card", "outcome": "done"}),
        ("cunxin_job_failures_total", {"kind": "read_id_card", "code": "BAD_IMAGE"}),
        ("cunxin_job_failures_total", {"kind": "send_outbox", "code": "RuntimeError"}),
        ("cunxin_job_duration_seconds_count", {"kind": "send_outbox", "outcome": "failed"}),
    ]
    before = [REGISTRY.get_sample_value(*k) or 0 for k in keys]
    assert await reads.coroutine({}, "ok") == "done" and await reads.coroutine({}, "bad") == "failed BAD_IMAGE"
    with pytest.raises(RuntimeError):
        await sends.coroutine({})
    after = [REGISTRY.get_sample_value(*k) or 0 for k in keys]
    assert [a - b for a, b in zip(after, before)] == [2, 1, 1, 1]
    assert reads.name == "read_id_card" and reads.coroutine.__name__ == "read_id_card"
    assert metrics.job_kind("read_id_card:abc", "") == "read_id_card"
