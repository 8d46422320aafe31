"""Shared pieces of the visit benchmarks (pad_pages_p95, visit_server_time): data, a live server, HTTP timing.

Imports app code lazily: call `bench.pg.use_database()` (through `bench_database`) first; the
benchmark databases are migrated with `cunxin migrate`.
"""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path

import httpx

from bench.common import ROOT, free_port, percentile
REDIS_URL = "redis://127.0.0.1:6379/13"


async def household_with(vault, *, village, number: str, head: tuple[str, str], spouse: tuple[str, str] | None, pre_credit_fen: int):
    """A household of `village` with a head (name, ID number) and a spouse, and a published pre-credit (支行审定)."""
    from app.domain import idcard
    from app.domain.appraisal import Grade, Status
    from app.models import Appraisal, Approval, Household, HouseholdMember, Officer, Product
    from app.domain.vocabulary import Relation
    from app.services.customers.identifiers import id_number_fields, phone_fields
    from app.services.org import bank_id_of_branch

    bank_id = await bank_id_of_branch(village.branch_id)  # members, like customers, belong to the village's bank
    household = await Household.create(village=village, household_no=number, address=f"{village.name}{number}号")
    members = []
    for relation, person in ((Relation.HEAD, head), (Relation.SPOUSE, spouse)):
        if person is None:
            continue
        info = idcard.parse(person[1])
        members.append(await HouseholdMember.create(
            household=household, bank_id=bank_id, name=person[0], relation=relation, sex=info.sex, birth_on=info.birth_date,
            **id_number_fields(vault, person[1]), **phone_fields(vault, "137" + person[1][-9:-1]),  # one phone per person: a shared one is a fraud signal
        ))
    appraisal = await Appraisal.filter(village_id=village.id, status=Status.PUBLISHED).first()
    if appraisal is None:
        appraisal = await Appraisal.create(village=village, product=await Product.get(code="BIANLI", bank_id=bank_id), status=Status.PUBLISHED, rules={})
    approver = await Officer.get(username="approver")
    from app import clock

    await Approval.create(appraisal=appraisal, household=household, approver=approver, grade=Grade.GOOD, pre_credit_amount_fen=pre_credit_fen,
                          approved_at=clock.now_utc())
    return household, members


@dataclass
class Server:
    url: str
    procs: list[subprocess.Popen] = field(default_factory=list)

    def pid(self) -> int:
        return self.procs[0].pid

    def pids(self) -> list[int]:
        """The server process and its children (uvicorn's worker processes)."""
        found = [self.pid()]
        try:
            found += [int(p) for p in Path(f"/proc/{self.pid()}/task/{self.pid()}/children").read_text().split()]
        except OSError:
            pass
        return found

    def stop(self) -> None:
        for proc in self.procs:
            proc.terminate()
        for proc in self.procs:
            try:
                proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                proc.kill()


def _wait_for_line(proc: subprocess.Popen, needle: str, timeout: float) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        line = proc.stdout.readline()
        if needle in line:
            return
        if not line and proc.poll() is not None:
            break
    raise RuntimeError(f"{proc.args} did not print {needle!r}")


def start_server(*, workers: bool = False, web_workers: int = 1, extra_env: dict | None = None) -> Server:
    """`cunxin serve` (`web_workers` uvicorn processes) on a free port; with `workers`, also `cunxin ml-worker` and `cunxin worker`."""
    env = {**os.environ, "CUNXIN_FACE_LOGIN_REQUIRED": "false", **(extra_env or {})}
    port = free_port()
    server = Server(url=f"http://127.0.0.1:{port}")
    server.procs.append(subprocess.Popen([sys.executable, "-m", "app.cli", "serve", "--port", str(port), "--workers", str(web_workers)], cwd=ROOT,
                                         env=env, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        if workers:
            ml = subprocess.Popen([sys.executable, "-m", "app.cli", "ml-worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            default = subprocess.Popen([sys.executable, "-m", "app.cli", "worker"], cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
            server.procs += [ml, default]
            _wait_for_line(ml, "ml worker started", 180)
            _wait_for_line(default, "worker started", 60)
        deadline = time.monotonic() + 60
        while True:
            try:
                if httpx.get(f"{server.url}/healthz", timeout=1).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if server.procs[0].poll() is not None or time.monotonic() > deadline:
                raise RuntimeError("server did not start")
            time.sleep(0.2)
    except BaseException:
        server.stop()
        raise
    return server


async def login(client: httpx.AsyncClient, username: str, password: str) -> str:
    """Log in through the page; returns the CSRF token (the double-submit cookie)."""
    import re

    page = await client.get("/login")
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    response = await client.post("/login", data={"username": username, "password": password, "csrf_token": token})
    if response.status_code != 303:
        raise RuntimeError(f"login of {username} failed: {response.status_code}")
    return token


@dataclass
class Timer:
    """Latency of each timed request, by label."""

    samples: dict[str, list[float]] = field(default_factory=dict)

    async def call(self, label: str, coro):
        started = time.perf_counter()
        response = await coro
        self.samples.setdefault(label, []).append((time.perf_counter() - started) * 1000)
        return response

    def all(self) -> list[float]:
        return [v for values in self.samples.values() for v in values]

    def table(self) -> dict[str, dict[str, float]]:
        return {label: {"n": len(v), "p50_ms": round(percentile(v, 50), 1), "p95_ms": round(percentile(v, 95), 1), "max_ms": round(max(v), 1)}
                for label, v in sorted(self.samples.items())}


def today_default() -> date:
    return date(2026, 11, 27)


def run(coro):
    return asyncio.run(coro)
