"""One auth convention (issue 16): not signed in → UNAUTHENTICATED, signed in but not allowed → FORBIDDEN, from one place."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from app.api import permissions
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD


async def _officer(username="officer1"):
    token, _ = await auth.login(username=username, password=DEMO_PASSWORD, now=datetime.now(UTC), session_hours=1)
    return {"Authorization": f"Bearer {token}"}


async def _codes(client, query, headers=None):
    body = (await client.post("/graphql", json={"query": query}, headers=headers or {})).json()
    return [e["extensions"]["code"] for e in body.get("errors", [])]


QUERIES = [
    "{ loans { totalCount } }",  # IsSignedIn
    "{ warnings { totalCount } }",  # worklists: officers and report keys
    "{ classUpgradeProposals { id } }",  # IsOfficer
    "{ listEntries { totalCount } }",  # CanManageLists
    "{ portfolioSummary { groups { totalCount } } }",  # CanReadReports
    '{ riskDecisions(customerId: "eA==") { id } }',  # staff only
]


@pytest.mark.parametrize("query", QUERIES)
async def test_anonymous_callers_are_unauthenticated(client, demo, query):
    assert await _codes(client, query) == ["UNAUTHENTICATED"]


async def test_a_signed_in_caller_without_the_right_is_forbidden(client, demo):
    officer = await _officer()
    assert await _codes(client, "{ listEntries { totalCount } }", officer) == ["FORBIDDEN"]  # an officer keeps no lists


async def test_an_officer_calling_a_borrower_mutation_is_forbidden_not_unauthenticated(client, demo):
    officer = await _officer()
    mutation = 'mutation { creditAuthorisationSign(input: {agree: true}) { errors { code } } }'
    assert await _codes(client, mutation, officer) == ["FORBIDDEN"]


def test_every_permission_class_follows_the_convention():
    """Each permission class of the API derives from the one base that says UNAUTHENTICATED or FORBIDDEN."""
    import inspect
    import pkgutil
    import importlib

    import app.api
    from strawberry.permission import BasePermission

    found = []
    for info in pkgutil.walk_packages(app.api.__path__, "app.api."):
        module = importlib.import_module(info.name)
        for _, obj in inspect.getmembers(module, inspect.isclass):
            if issubclass(obj, BasePermission) and obj.__module__.startswith("app.api") and obj is not permissions.Permission:
                found.append(obj)
    assert found and [c.__name__ for c in found if not issubclass(c, permissions.Permission)] == []
