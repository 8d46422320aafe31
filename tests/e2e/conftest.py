"""A live server for browser tests: `cunxin serve` in a child process on the test database."""

from __future__ import annotations

import contextlib
import os
import shutil
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest

from app.config import ROOT

ARTIFACTS = ROOT / "test-artifacts"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--headless",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for_line(proc: subprocess.Popen, needle: str, timeout: float) -> str:
    """Read the process's output until a line contains `needle` (RuntimeError with the last lines otherwise)."""
    deadline = time.monotonic() + timeout
    seen = []
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if not line:
            if proc.poll() is not None:
                break
            continue
        seen.append(line)
        if needle in line:
            return line
    raise RuntimeError(f"no {needle!r} from {proc.args}: {''.join(seen[-20:])}")


@contextlib.contextmanager
def cunxin_running(env: dict[str, str], workers: tuple[tuple[str, str, float], ...] = ()) -> Iterator[str]:
    """`cunxin serve` on a free port, after the given workers are up; yields its URL, stops them all after.

    `workers`: (command, the line it prints once ready, seconds to wait for that line).
    """
    procs = [
        subprocess.Popen([sys.executable, "-m", "app.cli", command], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
        for command, _, _ in workers
    ]
    port = _free_port()
    log = tempfile.TemporaryFile(mode="w+")
    server = subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port)], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                              stderr=log, text=True)
    url = f"http://127.0.0.1:{port}"
    try:
        for proc, (_, needle, timeout) in zip(procs, workers, strict=True):
            wait_for_line(proc, needle, timeout=timeout)
        deadline = time.monotonic() + 90  # a loaded machine (CI beside other work) imports slowly
        while True:
            try:
                if httpx.get(f"{url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.poll() is not None or time.monotonic() > deadline:
                log.seek(0)
                raise RuntimeError(f"server did not start: {log.read()[-4000:]}")
            time.sleep(0.2)
        yield url
    finally:
        for proc in (server, *procs):
            proc.terminate()
        for proc in (server, *procs):
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()
        log.close()


@pytest.fixture
def live_server(demo, redis_server):
    with cunxin_running(dict(os.environ)) as url:
        yield url


@pytest.fixture
async def browser():
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("system Chromium not found: run `make install` (installs the Debian chromium package)")
    async with async_playwright() as p:
        b = await p.chromium.launch(executable_path=executable, args=CHROMIUM_ARGS)
        yield b
        await b.close()


def artifact(name: str) -> Path:
    ARTIFACTS.mkdir(exist_ok=True)
    return ARTIFACTS / name
