"""Shared pieces of the mobile benchmarks (mobile_home, drawdown_journey_p95): borrowers, tokens, the server.

Imports no app code at module level (bench.pg rules): app imports happen inside the functions,
after pg.use_database has set the environment.
"""

from __future__ import annotations

import asyncio
import os
import signal
import socket
import statistics
import subprocess
import sys
import time
import uuid
from contextlib import asynccontextmanager
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOBILE = ROOT / "graphql" / "mobile"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def document(name: str) -> str:
    return (MOBILE / f"{name}.graphql").read_text(encoding="utf-8")


def percentile(values: list[float], q: int) -> float:
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def phone_for(k: int) -> str:
    return f"139{k:08d}"


async def make_borrower(vault, k: int, *, loans: int, core, today, limit_yuan: int = 300_000):
    """Customer k: own phone, default own-bank card, a checked line of `limit_yuan`, `loans` active loans."""
    from app.models import Customer
    from app.services.actor import SYSTEM
    from app.services.lending.drawdown import draw_down
    from app.services.people import phone_fields
    from tests.factories import customer_with_line

    customer, line = await customer_with_line(vault, limit_yuan=limit_yuan, card=f"62170000{k:04d}5678", sequence=100 + k, checked=True)
    await Customer.filter(id=customer.id).update(**phone_fields(vault, phone_for(k)))
    for n in range(loans):
        await draw_down(
            actor=SYSTEM, credit_line_id=line.id, amount=f"{1000 + 100 * n}.00", term_months=(6, 12, 24)[n % 3],
            method=("EQUAL_INSTALLMENT", "EQUAL_PRINCIPAL", "INTEREST_FIRST")[n % 3], idempotency_key=uuid.uuid4(),
            today=today, core=core, vault=vault,
        )
    return customer, line


async def access_token(vault, customer_id, *, hours: int = 2) -> str:
    """Issue a token pair as SignInVerify does after a good code (device bound, family opened)."""
    from app.models import CustomerDevice
    from app.services.borrower_auth import SignInPolicy, _issue, keyed_hash

    now = datetime.now(UTC)
    device = await CustomerDevice.create(
        customer_id=customer_id, device_hash=keyed_hash(vault, "device", f"bench-{customer_id}"), label="bench", bound_at=now, last_seen_at=now
    )
    policy = SignInPolicy(access_ttl=timedelta(hours=hours))
    pair = await _issue(customer_id, device, uuid.uuid4(), now=now, vault=vault, policy=policy)
    return pair.access_token


async def wait_ready(base_url: str, proc: subprocess.Popen, path: str = "/readyz", timeout: float = 60.0) -> None:
    import httpx

    deadline = time.monotonic() + timeout
    async with httpx.AsyncClient(base_url=base_url, timeout=2.0) as client:
        while time.monotonic() < deadline:
            if proc.poll() is not None:
                raise RuntimeError(f"server exited with {proc.returncode}")
            try:
                if (await client.get(path)).status_code == 200:
                    return
            except httpx.HTTPError:
                pass
            await asyncio.sleep(0.2)
    raise RuntimeError("server not ready in time")


@asynccontextmanager
async def server(args: list[str], *, ready_path: str, log_path: Path, env: dict | None = None):
    """A server subprocess on a free loopback port; yields (base_url, Popen); SIGTERM afterwards."""
    port = free_port()
    out = open(log_path, "wb")
    proc = subprocess.Popen([sys.executable, *args, "--port", str(port)], cwd=ROOT, env=env or os.environ.copy(), stdout=out, stderr=subprocess.STDOUT)
    try:
        base_url = f"http://127.0.0.1:{port}"
        await wait_ready(base_url, proc, ready_path)
        yield base_url, proc
    finally:
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            proc.kill()
            proc.wait()
        out.close()
