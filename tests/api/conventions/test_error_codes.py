"""Every top-level GraphQL error carries `extensions.code` (issue 16): clients branch on the code, never on the message."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from graphql import GraphQLError

from app.api.errors import TOP_LEVEL_CODES, with_code
from app.domain.errors import Forbidden, NotFound, ValidationError
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD


async def _officer():
    token, _ = await auth.login(username="officer1", password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def _errors(client, query, variables=None, headers=None):
    response = await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})
    return response.json()["errors"]


@pytest.mark.parametrize(
    ("query", "variables", "code"),
    [
        ("{ viewer { salary } }", None, "GRAPHQL_VALIDATION_FAILED"),  # unknown field
        ('{ loans(status: "ACTIVE") { totalCount } }', None, "GRAPHQL_VALIDATION_FAILED"),  # a string for an enum
        ("{ viewer { username ", None, "GRAPHQL_PARSE_FAILED"),  # syntax
        ("query Q($n: Int!) { loans(first: $n) { totalCount } }", {"n": "many"}, "BAD_USER_INPUT"),  # variable of the wrong type
        ("query Q($n: Int!) { loans(first: $n) { totalCount } }", {}, "BAD_USER_INPUT"),  # missing variable
        ("{ loans(first: 1000) { totalCount } }", None, "BAD_USER_INPUT"),  # a domain ValidationError raised at the top level
        ('{ loans(after: "bm9wZQ==") { totalCount } }', None, "BAD_USER_INPUT"),  # a cursor that is not ours
    ],
)
async def test_every_top_level_error_has_a_code(client, demo, query, variables, code):
    errors = await _errors(client, query, variables, headers=await _officer())
    assert [e.get("extensions", {}).get("code") for e in errors] == [code] * len(errors) and errors


def test_the_codes_of_errors_made_by_the_server_itself():
    assert with_code(GraphQLError("x", original_error=ValidationError("坏"))).extensions["code"] == "BAD_USER_INPUT"
    assert with_code(GraphQLError("x", original_error=NotFound("无"))).extensions["code"] == "NOT_FOUND"
    assert with_code(GraphQLError("x", original_error=Forbidden("禁"))).extensions["code"] == "FORBIDDEN"
    assert with_code(GraphQLError("x", original_error=RuntimeError("bug"))).extensions["code"] == "INTERNAL_SERVER_ERROR"
    kept = GraphQLError("x", extensions={"code": "PERSISTED_QUERY_NOT_FOUND"})
    assert with_code(kept) is kept
    assert {"GRAPHQL_PARSE_FAILED", "GRAPHQL_VALIDATION_FAILED", "BAD_USER_INPUT", "UNAUTHENTICATED", "FORBIDDEN", "NOT_FOUND",
            "INTERNAL_SERVER_ERROR", "SERVICE_UNAVAILABLE", "PERSISTED_QUERY_NOT_FOUND"} <= set(TOP_LEVEL_CODES)


async def test_an_unexpected_error_is_masked_and_coded(client, demo, monkeypatch):
    from app.services.lending import queries as lending_queries

    def broken(*args, **kwargs):
        raise RuntimeError("a bug with a secret in it")

    monkeypatch.setattr(lending_queries, "loans_query", broken)
    errors = await _errors(client, "{ loans { totalCount } }", headers=await _officer())
    assert errors == [{"message": "Unexpected error.", "locations": [{"line": 1, "column": 3}], "path": ["loans"],
                       "extensions": {"code": "INTERNAL_SERVER_ERROR"}}]
