"""Pages and GraphQL while PostgreSQL is away: 503 with Retry-After, no traceback, and back by themselves."""

from __future__ import annotations

import re
import time

import httpx
import pytest

from tests.support.private_services import free_port, wait_port

pytestmark = pytest.mark.postgres

VIEWER = {"query": "{ viewer { username } }"}
REFRESH = {"query": 'mutation { tokenRefresh(input: {refreshToken: "x", deviceId: "d"}) { errors { code } } }'}


def _login(client: httpx.Client) -> None:
    token = re.search(r'name="csrf_token" value="([^"]+)"', client.get("/login").text).group(1)
    response = client.post("/login", data={"username": "officer1", "password": "cunxin-demo-2026", "csrf_token": token})
    assert response.status_code == 303, response.text


def test_pages_and_graphql_answer_503_while_the_database_is_away_and_recover_by_themselves(stack):
    port = free_port()
    stack.start("web", "serve", "--port", str(port))
    wait_port(port, up=True)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        _login(client)
        csrf = {"X-CSRF-Token": client.cookies["cunxin_csrf"]}
        assert client.get("/").status_code == 200
        assert client.post("/graphql", json=VIEWER, headers=csrf).json() == {"data": {"viewer": {"username": "officer1"}}}
        # when PostgreSQL stops
        stack.pg.stop()
        try:
            for _ in range(3):  # every request, not only the first
                page = client.get("/")
                assert page.status_code == 503 and page.headers["retry-after"] == "10"
                assert "服务暂时不可用" in page.text and page.headers["content-type"].startswith("text/html")
                api = client.post("/graphql", json=VIEWER, headers=csrf)
                body = api.json()
                assert body["data"] is None
                assert [e["extensions"]["code"] for e in body["errors"]] == ["SERVICE_UNAVAILABLE"]
                assert body["errors"][0]["message"] == "服务暂时不可用（数据库或队列正在恢复），请稍后重试"
            # an outage met inside a resolver (no session to resolve first): the same error, HTTP 200 as GraphQL answers
            anonymous = httpx.post(f"http://127.0.0.1:{port}/graphql", json=REFRESH, timeout=10)
            assert anonymous.status_code == 200
            assert [(e["message"], e["extensions"]["code"], e["path"]) for e in anonymous.json()["errors"]] == [
                ("服务暂时不可用（数据库或队列正在恢复），请稍后重试", "SERVICE_UNAVAILABLE", ["tokenRefresh"])]
            assert client.get("/readyz").status_code == 503
            assert client.get("/healthz").status_code == 200  # the process itself is alive
        finally:
            stack.pg.start()
        # then the next requests are served again, without restarting anything
        deadline = time.monotonic() + 20
        while client.get("/").status_code != 200:
            assert time.monotonic() < deadline
            time.sleep(0.5)
        assert client.post("/graphql", json=VIEWER, headers=csrf).json() == {"data": {"viewer": {"username": "officer1"}}}
    log = stack.log("web")
    assert "Traceback" not in log and "Internal Server Error" not in log
    assert "database unavailable: GET / -> 503" in log


def test_metrics_add_up_every_uvicorn_process(stack):
    from prometheus_client.parser import text_string_to_metric_families

    port = free_port()
    stack.start("web-2", "serve", "--port", str(port), "--workers", "2")
    wait_port(port, up=True)
    with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=10) as client:
        time.sleep(3)  # both processes up
        for _ in range(40):
            response = client.get("/healthz", headers={"Connection": "close"})  # a new connection each: both processes answer
            assert response.status_code == 200
        scraped = client.get("/metrics").text
    counts = [s.value for f in text_string_to_metric_families(scraped) if f.name == "cunxin_http_request_duration_seconds"
              for s in f.samples if s.name.endswith("_count") and s.labels["route"] == "/healthz"]
    assert counts == [40.0]  # one series, summed over the processes' files
    files = {p.name for p in (stack.var_dir / "metrics").glob("*.db")}
    assert len({name.rsplit("_", 1)[-1] for name in files}) >= 2, files  # written by more than one process
