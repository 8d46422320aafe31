"""The end-of-day lease: one holder at a time for a business date's close, across processes and hosts.

A close is many transactions and must survive kill -9, so neither a row lock nor a
transaction-level lock can hold it. The lease is two columns of the date's `eod_run`
row (`owner`, `heartbeat_at`), taken with one conditional UPDATE:

    UPDATE eod_run SET owner = me, heartbeat_at = now
     WHERE id = … AND (owner IS NULL OR heartbeat_at < now − ttl)

which one caller wins on SQLite and PostgreSQL alike (PostgreSQL re-checks the WHERE
after waiting for a concurrent writer's row lock). The holder renews it between steps
and debit batches; a holder that stops renewing (killed) loses it after `ttl`, and the
next caller takes it over and resumes after the last finished step. Every renewal is
conditional on still being the owner: a holder that was too slow learns it has lost
the lease (`LeaseLost`) before it records anything more.
"""

from __future__ import annotations

import logging
import os
import secrets
import socket
from dataclasses import dataclass
from datetime import date, timedelta
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.expressions import Q

from app import clock
from app.models import EodRun
from app.services import audit
from app.services.actor import SYSTEM

logger = logging.getLogger(__name__)

DEFAULT_TTL_SECONDS = 600
RUNNING = "日终正在运行"


class LeaseLost(RuntimeError):
    """Another caller took over this date's close (this holder stopped renewing for longer than the TTL)."""

    def __init__(self, business_on: date) -> None:
        super().__init__(f"{business_on.isoformat()} 的日终已被其他进程接管（本进程超过租约时限未续约），本进程停止")
        self.business_on = business_on


def new_owner() -> str:
    """Host, process and a random token: two callers in one process are two owners."""
    return f"{socket.gethostname()[:80]}:{os.getpid()}:{secrets.token_hex(6)}"


@dataclass(slots=True)
class Lease:
    run_id: UUID
    business_on: date
    owner: str

    def mine(self) -> Q:
        return Q(id=self.run_id, owner=self.owner)

    async def renew(self) -> None:
        """Move the heartbeat; raises LeaseLost when the lease is no longer ours."""
        if not await EodRun.filter(self.mine()).update(heartbeat_at=clock.now_utc()):
            raise LeaseLost(self.business_on)

    async def release(self) -> None:
        await EodRun.filter(self.mine()).update(owner=None, heartbeat_at=None)


async def run_row(business_on: date) -> EodRun:
    """The date's `eod_run` row, created when missing (two callers creating it at once get the same row)."""
    row = await EodRun.get_or_none(business_on=business_on)
    if row is not None:
        return row
    try:
        return await EodRun.create(business_on=business_on)
    except IntegrityError:
        return await EodRun.get(business_on=business_on)


async def acquire(business_on: date, *, ttl_seconds: int = DEFAULT_TTL_SECONDS) -> Lease | None:
    """Take the date's lease, or None while another holder's lease is live."""
    row = await run_row(business_on)
    now, owner = clock.now_utc(), new_owner()
    cutoff = now - timedelta(seconds=ttl_seconds)
    if not await EodRun.filter(Q(owner__isnull=True) | Q(heartbeat_at__lt=cutoff), id=row.id).update(owner=owner, heartbeat_at=now):
        return None
    if row.owner is not None and row.heartbeat_at is not None and row.heartbeat_at < cutoff:  # its holder stopped renewing
        logger.warning("eod %s: lease taken over after %s s without a heartbeat", business_on, ttl_seconds)
        await audit.record(SYSTEM, "eod.lease_takeover", "eod_run", row.id, after={"business_on": business_on.isoformat(), "ttl_seconds": ttl_seconds})
    return Lease(row.id, business_on, owner)

