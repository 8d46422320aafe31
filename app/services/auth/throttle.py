"""Officer sign-in throttling: per-account and per-address delays, claimed atomically.

Every attempt first *claims* a slot with one conditional UPDATE (…`SET failed_logins =
failed_logins + 1 … WHERE next attempt is due RETURNING failed_logins`): the attempt is
counted as a failure before the password is checked, and a success gives it back. While
a delay runs, the UPDATE matches no row and the password is not checked at all, so
concurrent guesses cannot all be checked, and no read-modify-write can clear a delay
that another request has just set.

A delay, not a lock: after FREE failures the next attempt waits a few seconds, growing
to at most a few minutes (ACCOUNT_DELAYS), so someone guessing at an officer's account
cannot lock the officer out for long. The per-address counter (ADDRESS_DELAYS) slows
one client guessing at many accounts; it forgets failures older than ADDRESS_WINDOW.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from uuid import UUID

from app.sql import execute, fetch, is_postgres

ACCOUNT_FREE = 5
# (failures at least, delay before the next attempt), highest first
ACCOUNT_DELAYS = ((20, timedelta(minutes=5)), (10, timedelta(minutes=1)), (ACCOUNT_FREE + 1, timedelta(seconds=15)))
ADDRESS_FREE = 20
ADDRESS_DELAYS = ((100, timedelta(minutes=5)), (50, timedelta(minutes=1)), (ADDRESS_FREE + 1, timedelta(seconds=10)))
ADDRESS_WINDOW = timedelta(hours=1)


def _timestamp(param: str) -> str:
    return f"CAST({param} AS TIMESTAMPTZ)" if is_postgres() else param  # a CASE branch has no type on PostgreSQL


def _delay_sql(count: str, tiers: tuple[tuple[int, timedelta], ...], now: datetime, prefix: str) -> tuple[str, dict]:
    """`CASE WHEN <count> >= n THEN :until … ELSE NULL END` with the times as parameters."""
    whens, params = [], {}
    for i, (at_least, delay) in enumerate(tiers):
        whens.append(f"WHEN {count} >= {int(at_least)} THEN {_timestamp(f':{prefix}{i}')}")
        params[f"{prefix}{i}"] = now + delay
    return f"CASE {' '.join(whens)} ELSE NULL END", params


async def claim_account(officer_id: UUID, *, now: datetime) -> int | None:
    """Count one attempt on the account; None while its delay runs (then check nothing)."""
    delay, params = _delay_sql("failed_logins + 1", ACCOUNT_DELAYS, now, "t")
    rows = await fetch(
        f"UPDATE officer SET failed_logins = failed_logins + 1, locked_until = {delay} "
        "WHERE id = :id AND (locked_until IS NULL OR locked_until <= :now) RETURNING failed_logins",
        id=str(officer_id), now=now, **params,
    )
    return rows[0]["failed_logins"] if rows else None


async def account_succeeded(officer_id: UUID) -> None:
    await execute("UPDATE officer SET failed_logins = 0, locked_until = NULL WHERE id = :id", id=str(officer_id))


async def claim_address(ip: str, *, now: datetime) -> int | None:
    """Count one attempt from the address; None while its delay runs."""
    fresh = "CASE WHEN login_ip_throttle.updated_at < :since THEN 1 ELSE login_ip_throttle.failures + 1 END"
    delay, params = _delay_sql(f"({fresh})", ADDRESS_DELAYS, now, "t")
    rows = await fetch(
        "INSERT INTO login_ip_throttle (ip, failures, next_at, updated_at) VALUES (:ip, 1, NULL, :now) "
        f"ON CONFLICT (ip) DO UPDATE SET failures = {fresh}, next_at = {delay}, updated_at = :now "
        "WHERE login_ip_throttle.next_at IS NULL OR login_ip_throttle.next_at <= :now RETURNING failures",
        ip=ip[:64], now=now, since=now - ADDRESS_WINDOW, **params,
    )
    return rows[0]["failures"] if rows else None


async def address_succeeded(ip: str) -> None:
    """A right password from the address gives its claimed attempt back, and the delay that attempt armed.

    The claim succeeded only because no delay was running, and while the one it armed runs no
    other claim succeeds: clearing `next_at` restores the state before the claim.
    """
    await execute("UPDATE login_ip_throttle SET failures = failures - 1, next_at = NULL WHERE ip = :ip AND failures > 0", ip=ip[:64])
