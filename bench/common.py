"""What every benchmark shares: the result format (bench/results/<name>.json), logging, percentiles
and a `cunxin serve` subprocess. Imports no app code (bench.pg rules)."""

from __future__ import annotations

import asyncio
import json
import os
import platform
import signal
import socket
import statistics
import subprocess
import sys
import time
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = Path(__file__).resolve().parent / "results"


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def percentile(values: list[float], q: int) -> float:
    if len(values) < 2:
        return values[0] if values else 0.0
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


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


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def write_result(name: str, value: float, unit: str, target: float, ok: bool, **extra) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "name": name,
        "value": value,
        "unit": unit,
        "target": target,
        "ok": bool(ok),
        "machine": machine(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return result
