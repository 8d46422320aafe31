"""`node(id:)` answers null for any id it cannot serve — malformed, unknown type, not a node, unknown object — never an error (issue 16)."""

from __future__ import annotations

import base64
import uuid
from datetime import UTC, datetime

import pytest

from app.models import Loan
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD

NODE = "query N($id: ID!) { node(id: $id) { __typename id } }"


def _b64(text: str) -> str:
    return base64.b64encode(text.encode()).decode()


async def _officer():
    token, _ = await auth.login(username="officer1", password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


@pytest.mark.parametrize(
    "bad_id",
    [
        "not base64 at all!",  # malformed
        _b64("no-colon"),  # base64 without a type
        _b64("Loan:not-a-uuid"),  # a Node type with a malformed key
        _b64(f"Loan:{uuid.UUID(int=7)}"),  # a well-formed id of nothing
        _b64(f"Nope:{uuid.UUID(int=7)}"),  # an unknown type
        _b64(f"LoanError:{uuid.UUID(int=7)}"),  # a type that is not a Node
        "",
    ],
)
async def test_a_bad_or_unknown_id_is_null_without_errors(client, demo, bad_id):
    response = await client.post("/graphql", json={"query": NODE, "variables": {"id": bad_id}}, headers=await _officer())
    assert response.json() == {"data": {"node": None}}


async def test_a_good_id_still_reads_the_node(client, demo, vault):
    from tests.factories import customer_with_line
    from app.models import CreditLine

    _, line = await customer_with_line(vault)
    gid = _b64(f"CreditLine:{line.id}")
    response = await client.post("/graphql", json={"query": NODE, "variables": {"id": gid}}, headers=await _officer())
    assert response.json() == {"data": {"node": {"__typename": "CreditLine", "id": gid}}}
    assert await CreditLine.filter(id=line.id).exists() and await Loan.all().count() == 0
