"""Prometheus metrics with the standard client library (`prometheus_client`).

Recorded where they happen: request latency by route (ui/metrics.py middleware), job durations
and failures by kind (every arq job, workers/resilient.py), end-of-day step durations
(app/services/lending/eod.py). State read at scrape time from the database and Redis: outbox
backlog, open identity jobs, workers seen, the last closed business date.

Several uvicorn processes (and workers on the same host): set PROMETHEUS_MULTIPROC_DIR (an empty
directory, the same for all of them, e.g. /run/cunxin/metrics) before they start; /metrics then
adds up every process's files (prometheus_client's multiprocess mode).
"""

from __future__ import annotations

import os
from collections.abc import Iterator

from prometheus_client import CONTENT_TYPE_LATEST, REGISTRY, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily
from prometheus_client.registry import Collector

from app.services.operations import OperationsStatus

CONTENT_TYPE = CONTENT_TYPE_LATEST
_SLOW = (0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 1800, 3600)

REQUEST_SECONDS = Histogram("cunxin_http_request_duration_seconds", "HTTP request latency by route template", ["method", "route", "status"])
JOB_SECONDS = Histogram("cunxin_job_duration_seconds", "arq job duration by kind and outcome", ["kind", "outcome"], buckets=_SLOW)
JOB_FAILURES = Counter("cunxin_job_failures_total", "Jobs that failed (raised, or ended their record failed) by kind and code", ["kind", "code"])
EOD_STEP_SECONDS = Histogram("cunxin_eod_step_duration_seconds", "End-of-day step duration", ["step"], buckets=_SLOW)


def job_kind(job_id: str | None, function: str) -> str:
    return function or (job_id or "unknown").split(":")[0]


class _StateCollector(Collector):
    def __init__(self, status: OperationsStatus) -> None:
        self.status = status

    def collect(self) -> Iterator[GaugeMetricFamily]:
        s = self.status
        workers = GaugeMetricFamily("cunxin_workers_seen", "Workers with a heartbeat in the last minute", labels=["queue"])
        for queue, count in sorted(s.workers.items()):
            workers.add_metric([queue], count)
        yield workers
        outbox = GaugeMetricFamily("cunxin_outbox_messages", "Provincial outbox messages by status", labels=["status"])
        outbox.add_metric(["pending"], s.outbox_pending)
        outbox.add_metric(["dead"], s.outbox_dead)
        yield outbox
        yield GaugeMetricFamily("cunxin_outbox_oldest_pending_seconds", "Age of the oldest pending outbox message", value=s.oldest_outbox_seconds or 0)
        yield GaugeMetricFamily("cunxin_oldest_pending_job_seconds", "Age of the oldest unfinished identity job", value=s.oldest_pending_job_seconds or 0)
        last = s.last_eod_on.toordinal() - 719163 if s.last_eod_on else 0  # days since 1970-01-01
        yield GaugeMetricFamily("cunxin_last_eod_business_date_days", "Last closed business date, days since 1970-01-01", value=last)
        yield GaugeMetricFamily("cunxin_eod_late", "1 when the day's close is late", value=1 if s.eod_late else 0)


def render(status: OperationsStatus) -> bytes:
    """The exposition text: this process's (or every process's) metrics, then the state read now."""
    if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        from prometheus_client import multiprocess

        recorded = CollectorRegistry()
        multiprocess.MultiProcessCollector(recorded)
    else:
        recorded = REGISTRY
    state = CollectorRegistry()
    state.register(_StateCollector(status))
    return generate_latest(recorded) + generate_latest(state)
