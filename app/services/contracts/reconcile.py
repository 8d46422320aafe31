"""A contract whose PDF job the queue lost (or that ran too long) ends with a reason, so the officer can ask again.

A draft contract with a render job id and no error is "being rendered". When the queue no longer
knows that job (Redis restarted empty), or finished it without the contract being rendered (a
crash, a timeout), or the job was asked for more than `DEADLINE` ago, `error` gets the reason: the
visit's signing step then shows it with the form to render again (a new, versioned job id).
Runs in the default worker at start and every minute.
"""

from __future__ import annotations

import logging
from datetime import UTC, datetime, timedelta

from app.models import Contract
from app.models.contract import ContractStatus
from app.services.jobs import DEFAULT_QUEUE, QUEUED, RUNNING, JobQueue

logger = logging.getLogger(__name__)

DEADLINE = timedelta(minutes=10)
RENDER_LOST = "合同生成中断（服务重启或超时），请重新生成"


def requested_at(job_id: str) -> datetime | None:
    """The time in a `render_contract:<id>:<%Y%m%d%H%M%S%f>` job id (UTC), None when absent."""
    stamp = job_id.rsplit(":", 1)[-1]
    try:
        return datetime.strptime(stamp, "%Y%m%d%H%M%S%f").replace(tzinfo=UTC)
    except ValueError:
        return None


async def reconcile_contract_renders(*, queue: JobQueue, now: datetime, limit: int = 200) -> int:
    """Mark lost or overdue renders failed; returns how many."""
    failed = 0
    for contract in await Contract.filter(status=ContractStatus.DRAFT, render_job_id__isnull=False, error__isnull=True).limit(limit):
        asked = requested_at(contract.render_job_id)
        overdue = asked is not None and now - asked > DEADLINE
        if not overdue and await queue.job_state(contract.render_job_id, queue=DEFAULT_QUEUE) in (QUEUED, RUNNING):
            continue
        failed += await Contract.filter(
            id=contract.id, status=ContractStatus.DRAFT, render_job_id=contract.render_job_id, error__isnull=True,
        ).update(error=RENDER_LOST)
        logger.info("contract render %s %s: marked failed", contract.render_job_id, "overdue" if overdue else "lost by the queue")
    return failed
