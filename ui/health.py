"""Operations endpoints: /healthz/operations (JSON for a monitor) and /metrics (Prometheus text).

Neither is readiness: a load balancer uses /readyz (the web process and its database). These
report the rest — workers seen in the last minute, the oldest waiting job, the outbox backlog,
the last closed business date — so a monitor can alert on "no worker" and "end-of-day late".
`status` is "degraded" (HTTP 503) when a queue has no worker or the close is late.
"""

from __future__ import annotations

import logging

from starlette.requests import Request
from starlette.responses import JSONResponse, Response

from app import clock
from app.services import metrics
from app.services.operations import OperationsStatus, operations_status

logger = logging.getLogger(__name__)


async def _status(request: Request) -> OperationsStatus:
    settings = request.app.state.settings
    try:
        workers = await request.app.state.queue.workers_seen()
    except Exception as exc:  # Redis away: no worker can be seen either
        logger.warning("operations: redis unavailable (%s)", type(exc).__name__)
        workers = {}
    return await operations_status(workers=workers, now=clock.now_utc(), tz=settings.business_tz, eod_hour=settings.eod_hour)


async def operations(request: Request) -> JSONResponse:
    status = await _status(request)
    return JSONResponse(status.to_json(), status_code=200 if not status.problems else 503, headers={"Cache-Control": "no-store"})


async def metrics_endpoint(request: Request) -> Response:
    return Response(metrics.render(await _status(request)), media_type=metrics.CONTENT_TYPE)
