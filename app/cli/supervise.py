"""`cunxin dev`'s supervisor: children that crash are started again (with backoff), not the whole stack stopped.

Each child is a name and a function that starts it (a `subprocess.Popen`). A child that exits
while the supervisor is running is logged and started again after 1, 2, 4 … 30 s (back to 1 s
once it has run for a minute). SIGTERM/SIGINT stop every child, in reverse order of start.
In production systemd does this job (deploy/).
"""

from __future__ import annotations

import signal
import subprocess
import time
from collections.abc import Callable
from dataclasses import dataclass, field

import typer

BACKOFF_MAX_SECONDS = 30.0
STABLE_AFTER_SECONDS = 60.0


@dataclass
class _Child:
    name: str
    start: Callable[[], subprocess.Popen]
    proc: subprocess.Popen | None = None
    started_at: float = 0.0
    failures: int = 0
    restart_at: float | None = None
    restarts: int = field(default=0)


class Supervisor:
    def __init__(self, *, echo: Callable[[str], None] = typer.echo, poll_seconds: float = 0.3) -> None:
        self.children: list[_Child] = []
        self.echo = echo
        self.poll_seconds = poll_seconds
        self.stopping = False

    def add(self, name: str, start: Callable[[], subprocess.Popen]) -> None:
        child = _Child(name, start)
        self._start(child)
        self.children.append(child)

    def _start(self, child: _Child) -> None:
        child.proc, child.started_at, child.restart_at = child.start(), time.monotonic(), None

    def stop(self, *_args: object) -> None:
        self.stopping = True

    def run(self, *, until: Callable[[], bool] = lambda: False) -> None:
        """Watch the children until SIGTERM/SIGINT (or `until()`), then stop them all."""
        signal.signal(signal.SIGTERM, self.stop)
        signal.signal(signal.SIGINT, self.stop)
        try:
            while not self.stopping and not until():
                self.tick()
                time.sleep(self.poll_seconds)
        finally:
            self.stop_all()

    def tick(self) -> None:
        now = time.monotonic()
        for child in self.children:
            if child.restart_at is not None:
                if now >= child.restart_at:
                    child.restarts += 1
                    self._start(child)
                continue
            code = child.proc.poll() if child.proc is not None else None
            if code is None:
                continue
            child.failures = 1 if now - child.started_at > STABLE_AFTER_SECONDS else child.failures + 1
            delay = min(2.0 ** (child.failures - 1), BACKOFF_MAX_SECONDS)
            child.restart_at = now + delay
            self.echo(f"{child.name} 已退出（代码 {code}），{delay:g} 秒后重新启动")

    def stop_all(self) -> None:
        for child in reversed(self.children):  # web and workers first, Redis last
            if child.proc is not None and child.proc.poll() is None:
                child.proc.send_signal(signal.SIGTERM)
        for child in reversed(self.children):
            if child.proc is None:
                continue
            try:
                child.proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                child.proc.kill()
