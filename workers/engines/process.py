"""Model calls in a child process that a timeout kills.

A job timeout cancels the coroutine, not the thread under it: a model call in `asyncio.to_thread`
runs on (and writes its result) after arq has given up. Here the engines live in one child
process per ML worker; the parent sends it one call at a time and waits at most `timeout`
seconds. Past that, or if the parent's job is cancelled, the child is killed (its memory goes
with it) and the next call starts a fresh one. A child that dies by itself (a segfault, the OOM
killer) is reported the same way.

    models = ModelProcess(settings, timeout=20)
    await models.start()                     # builds the engines in the child (≈2–4 s)
    result, ms = await models.run(ocr_call, data, as_of, None)   # ocr_call(engines, ...) in the child

`InProcessModels` runs the same calls in a thread over engines the caller built (tests, CLI).
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import time
from collections.abc import Callable
from multiprocessing.connection import Connection
from typing import Any

from app.domain.errors import DomainError

logger = logging.getLogger(__name__)

_READY = "ready"


class ModelTimeout(Exception):
    """The model call ran past its time and its process was killed."""


class ModelCrashed(Exception):
    """The model process died during the call."""


def _child(conn: Connection, build: Callable[[Any], dict[str, Any]] | None, settings: Any) -> None:
    """The child: build the engines once, then answer calls until the pipe closes."""
    if build is None:
        from workers.engines import build_engines as build
    engines = build(settings)
    conn.send(_READY)
    while True:
        try:
            fn, args = conn.recv()
        except EOFError:
            return
        try:
            conn.send(("ok", fn(engines, *args)))
        except DomainError as exc:  # rebuilt in the parent: keyword-only code/field do not pickle by themselves
            conn.send(("domain", (type(exc), exc.message, exc.code, exc.field)))
        except Exception as exc:  # noqa: BLE001 - any other failure goes back as its type name
            conn.send(("error", f"{type(exc).__name__}: {exc}"[:500]))


class ModelProcess:
    def __init__(self, settings: Any, *, timeout: float, start_timeout: float = 300.0,
                 build: Callable[[Any], dict[str, Any]] | None = None) -> None:
        self.settings = settings
        self.build = build  # module-level engines builder; None: workers.engines.build_engines
        self.timeout = timeout
        self.start_timeout = start_timeout
        self._proc: multiprocessing.process.BaseProcess | None = None
        self._conn: Connection | None = None
        self._lock = asyncio.Lock()

    async def start(self) -> None:
        if self._proc is not None and self._proc.is_alive():
            return
        started = time.perf_counter()
        ctx = multiprocessing.get_context("spawn")  # no fork of a parent with threads and open sockets
        parent, child = ctx.Pipe()
        self._proc = ctx.Process(target=_child, args=(child, self.build, self.settings), daemon=True, name="cunxin-models")
        self._proc.start()
        child.close()
        self._conn = parent
        if not await asyncio.to_thread(parent.poll, self.start_timeout) or parent.recv() != _READY:
            self.kill()
            raise ModelCrashed("model process did not start")
        logger.info("model process %s ready in %.1f s", self._proc.pid, time.perf_counter() - started)

    async def run(self, fn: Callable[..., Any], *args: Any) -> tuple[Any, int]:
        """`fn(engines, *args)` in the child; its result and its time in ms. Raises what the call raised."""
        async with self._lock:
            await self.start()
            assert self._conn is not None
            started = time.perf_counter()
            try:
                self._conn.send((fn, args))
                answered = await asyncio.to_thread(self._conn.poll, self.timeout)
                if not answered:
                    self.kill()
                    raise ModelTimeout(f"model call over {self.timeout:g} s: process killed")
                kind, payload = self._conn.recv()
            except (EOFError, OSError) as exc:
                self.kill()
                raise ModelCrashed(f"model process died ({type(exc).__name__})") from exc
            except BaseException:  # the job was cancelled (arq timeout, SIGTERM): stop the work under it too
                self.kill()
                raise
            ms = int((time.perf_counter() - started) * 1000)
        if kind == "ok":
            return payload, ms
        if kind == "domain":
            cls, message, code, field = payload
            raise cls(message, code=code, field=field)
        raise RuntimeError(payload)

    def kill(self, *, quiet: bool = False) -> None:
        proc, self._proc = self._proc, None
        if self._conn is not None:
            self._conn.close()
            self._conn = None
        if proc is not None and proc.is_alive():
            proc.kill()
            proc.join(5)
            if not quiet:
                logger.warning("model process %s killed", proc.pid)

    async def close(self) -> None:
        self.kill(quiet=True)


class InProcessModels:
    """The same interface over engines already built in this process (a thread per call, no timeout)."""

    def __init__(self, engines: dict[str, Any]) -> None:
        self.engines = engines

    async def run(self, fn: Callable[..., Any], *args: Any) -> tuple[Any, int]:
        started = time.perf_counter()
        result = await asyncio.to_thread(fn, self.engines, *args)
        return result, int((time.perf_counter() - started) * 1000)
