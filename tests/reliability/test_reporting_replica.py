"""CUNXIN_REPORTING_DATABASE_URL: report queries go to the read replica, everything else to the primary.

The "replica" here is a second, migrated but empty database of the private server: a report read
from it is empty while the same report from the primary lists the demo villages, and the
officer's login (the primary) works in both.
"""

from __future__ import annotations

import re

import httpx
import pytest

from tests.support.private_services import free_port, wait_port

pytestmark = pytest.mark.postgres


def _coverage_csv(stack, name: str, env: dict[str, str]) -> list[str]:
    saved = dict(stack.env)
    stack.env.update(env)
    try:
        port = free_port()
        stack.start(name, "serve", "--port", str(port))
    finally:
        stack.env.clear()
        stack.env.update(saved)
    wait_port(port, up=True)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=30) as client:
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
        login = client.post("/login", data={"username": "manager", "password": "cunxin-demo-2026", "csrf_token": token})
        assert login.status_code == 303, stack.log(name)[-3000:]
        response = client.get("/reports/village-coverage.csv")
    assert response.status_code == 200, response.text
    stack.procs[name].terminate()
    return [line for line in response.text.lstrip("\ufeff").splitlines() if line.strip()]


def test_reports_read_the_replica_when_one_is_configured(stack):
    replica = stack.pg.url.rsplit("/", 1)[0] + "/cunxin_replica"
    stack.pg._run(str(stack.pg.bin / "createdb"), "-h", "127.0.0.1", "-p", str(stack.pg.port), "-U", "postgres", "cunxin_replica")
    saved = dict(stack.env)
    stack.env["CUNXIN_DATABASE_URL"] = replica
    try:
        stack.run("migrate")
    finally:
        stack.env.clear()
        stack.env.update(saved)
    primary = _coverage_csv(stack, "web-primary", {})
    from_replica = _coverage_csv(stack, "web-replica", {"CUNXIN_REPORTING_DATABASE_URL": replica})
    assert len(primary) > 1  # the header and the demo villages (CSV files hold data rows only; totals are a separate file)
    # the (empty) replica answered: the header and no rows
    assert from_replica == [primary[0]]
