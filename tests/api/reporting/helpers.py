"""HTTP GraphQL helpers for the reporting tests: documents, officer tokens, report keys, statement counting."""

from __future__ import annotations

import base64
from datetime import UTC, datetime

from app.config import ROOT
from app.services.auth import officers as auth
from app.services.actor import SYSTEM
from app.services.reporting import create_report_key
from tests.factories import DEMO_PASSWORD


def doc(name: str, folder: str = "reporting") -> str:
    return (ROOT / "graphql" / folder / f"{name}.graphql").read_text(encoding="utf-8")


def nodes(connection: dict) -> list[dict]:
    """The nodes of a connection's page, in order."""
    return [edge["node"] for edge in connection["edges"]]


def gid(type_name: str, pk) -> str:
    return base64.b64encode(f"{type_name}:{pk}".encode()).decode()


async def officer(username: str = "officer1") -> dict:
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def report_key(branch: str = "XF000", name: str = "报表工具", *, pii: bool = False) -> tuple[dict, object]:
    made = await create_report_key(actor=SYSTEM, name=name, branch_code=branch, pii=pii)
    return {"Authorization": f"Bearer {made.token}"}, made.key


async def gql(client, query: str, variables: dict | None = None, headers: dict | None = None) -> dict:
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})
    assert response.status_code == 200
    return response.json()


def count_statements(monkeypatch) -> list[str]:
    """Every SQL statement the default connection runs from now on (the technique of tests/api/risk/test_risk_api.py)."""
    from tortoise import connections

    conn = connections.get("default")
    counted: list[str] = []
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(conn, name)

        async def wrapper(*args, _original=original, **kwargs):
            counted.append(args[0] if args else "")
            return await _original(*args, **kwargs)

        monkeypatch.setattr(conn, name, wrapper)
    return counted
