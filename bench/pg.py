"""Helpers for the PostgreSQL benchmarks: a private database per run, created and dropped.

Loopback only: 127.0.0.1:5432, user postgres, trust auth (as on the CI and development
machines, see docs/stack.md#postgresql). Nothing here imports app code, so a benchmark can fix its
environment (CUNXIN_DATABASE_URL, CUNXIN_VAR_DIR, ...) before the first app import.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
HOST, PORT, USER = "127.0.0.1", 5432, "postgres"
# CUNXIN_BENCH_REDIS_URL: another Redis database when db 14 is taken (CI uses 14 and 15)
REDIS_URL = os.environ.get("CUNXIN_BENCH_REDIS_URL", "redis://127.0.0.1:6379/14")


def db_url(name: str) -> str:
    return f"postgres://{USER}@{HOST}:{PORT}/{name}"


def _pg(tool: str, *args: str) -> None:
    subprocess.run([tool, "-h", HOST, "-p", str(PORT), "-U", USER, *args], check=True, stdout=subprocess.DEVNULL)


def use_database(name: str) -> Path:
    """Point the app at `name` and a fresh var dir (call before importing app code)."""
    var_dir = Path(tempfile.mkdtemp(prefix=f"cunxin-{name}-"))
    os.environ.update(
        {
            "CUNXIN_ENV": "test",
            "CUNXIN_DATABASE_URL": db_url(name),
            "CUNXIN_VAR_DIR": str(var_dir),
            "CUNXIN_REDIS_URL": REDIS_URL,
            "CUNXIN_SECRET_KEY": "bench-secret-key-not-for-production",
        }
    )
    return var_dir


def app_cli(*args: str) -> float:
    """Run `python -m app.cli ARGS` in this environment; return its wall time."""
    started = time.perf_counter()
    subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=os.environ.copy(), check=True, stdout=subprocess.DEVNULL)
    return time.perf_counter() - started


@contextmanager
def bench_database(name: str, *, keep: bool = False):
    """Create `name` (dropping a leftover first), migrate and seed it; drop it and the var dir afterwards."""
    var_dir = use_database(name)
    _pg("dropdb", "--if-exists", "--force", name)
    _pg("createdb", name)
    try:
        app_cli("migrate")
        app_cli("seed-demo", "--empty", "--households", "1")
        yield var_dir
    finally:
        if keep:
            print(f"kept database {name} ({db_url(name)})", file=sys.stderr)
        else:
            _pg("dropdb", "--if-exists", "--force", name)
        shutil.rmtree(var_dir, ignore_errors=True)


# --------------------------------------------------------------------------- CPU accounting on a shared machine

CLK_TCK = os.sysconf("SC_CLK_TCK")


def process_cpu(pid: int) -> float:
    """utime + stime of a process in seconds (0 if it is gone)."""
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except (OSError, IndexError):
        return 0.0
    return (int(fields[11]) + int(fields[12])) / CLK_TCK


def machine_cpu() -> tuple[float, float]:
    """(busy, total) CPU seconds of the whole machine, all cores."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    idle = values[3] + values[4]
    return (sum(values) - idle) / CLK_TCK, sum(values) / CLK_TCK


def load1() -> float:
    return os.getloadavg()[0]


def wait_for_quiet(*, below: float = 1.0, max_wait: float = 60.0, log=print) -> dict:
    """Other sessions share this machine: wait (bounded) until the 1-minute load average drops."""
    started = time.monotonic()
    first = load1()
    while load1() >= below and time.monotonic() - started < max_wait:
        time.sleep(5)
    waited = time.monotonic() - started
    if waited > 1:
        log(f"waited {waited:.0f} s for a quieter machine (load {first:.2f} -> {load1():.2f})")
    return {"load1_before_wait": round(first, 2), "load1_at_start": round(load1(), 2), "waited_s": round(waited)}


class CpuMeter:
    """CPU used during a phase by named groups of processes, this process, and everything else on the machine.

    `groups` maps a name to a callable returning the pids to count (asked at the start and
    at the end; a pid seen only at the end counts in full).
    """

    def __init__(self, groups: dict | None = None) -> None:
        self.groups = groups or {}

    def _snapshot(self) -> dict[str, dict[int, float]]:
        return {name: {pid: process_cpu(pid) for pid in pids()} for name, pids in self.groups.items()}

    def __enter__(self):
        self.start = self._snapshot()
        self.self0 = time.process_time()
        self.busy0, self.total0 = machine_cpu()
        return self

    def __exit__(self, *exc) -> None:
        end = self._snapshot()
        self.used = {
            name: sum(cpu - self.start[name].get(pid, 0.0) for pid, cpu in end[name].items()) for name in self.groups
        }
        self.used["bench_process"] = time.process_time() - self.self0
        busy, total = machine_cpu()
        self.busy, self.total = busy - self.busy0, total - self.total0
        self.used["everything_else"] = self.busy - sum(self.used.values())

    def report(self, per: int | None = None) -> dict:
        out = {k: round((v / per * 1000) if per else v, 2) for k, v in self.used.items()}
        out["unit"] = "CPU ms per request" if per else "CPU s"
        out["machine_busy_share"] = round(self.busy / self.total, 3) if self.total else None
        out["everything_else_share_of_machine"] = round(self.used["everything_else"] / self.total, 3) if self.total else None
        return out


def backend_pids(dbname: str) -> list[int]:
    """PostgreSQL backends serving `dbname` (their process title names the database)."""
    pids = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
        except OSError:
            continue
        if title.startswith("postgres: ") and f" {dbname} " in title:
            pids.append(int(entry.name))
    return pids


def postgres_background_pids() -> list[int]:
    """The server's own processes (WAL writer, checkpointer, ...): shared by every database."""
    pids = []
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                title = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode(errors="replace")
            except OSError:
                continue
            if title.startswith("postgres: ") and "(" not in title and "[local]" not in title:
                pids.append(int(entry.name))
    return pids


def code_version() -> str:
    """The commit the app code was measured at (+ "dirty" when app/ has uncommitted changes)."""
    try:
        head = subprocess.run(["git", "rev-parse", "--short", "HEAD"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
        dirty = subprocess.run(["git", "status", "--porcelain", "--", "app"], cwd=ROOT, capture_output=True, text=True, check=True).stdout.strip()
    except (OSError, subprocess.CalledProcessError):
        return "unknown"
    return f"{head}+dirty" if dirty else head
