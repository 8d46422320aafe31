"""GraphQL hardening (issue 12, fault 11 and 12): linear validation, body cap, bad bodies, logs, production limits."""

from __future__ import annotations

import json
import logging

import httpx
import pytest
from graphql import parse

from app import clock
from app.api.limits import DocumentWalker
from app.api.trusted_documents import document_hash
from app.config import Env
from app.services.auth import officers as auth
from app.services.actor import SYSTEM
from app.services.reporting import create_report_key
from tests.factories import DEMO_PASSWORD
from tests.factories.borrower import document

JSON = {"Content-Type": "application/json"}


def doubling_document(levels: int) -> str:
    """Each fragment spreads the one below it twice: 2**levels fields once expanded, under 1 KB of text."""
    lines = [f"query Q {{ ...F{levels} }}", "fragment F0 on Query { viewer { username } }"]
    lines += [f"fragment F{i} on Query {{ ...F{i - 1} ...F{i - 1} }}" for i in range(1, levels + 1)]
    return "\n".join(lines)


def _selections(node) -> int:
    count = 0
    for definition in node.definitions:
        stack = [definition.selection_set]
        while stack:
            selection_set = stack.pop()
            for selection in selection_set.selections:
                count += 1
                if getattr(selection, "selection_set", None) is not None:
                    stack.append(selection.selection_set)
    return count


# --- validation work is linear in the document ----------------------------------------------


def test_depth_and_size_are_measured_with_each_fragment_walked_once():
    text = doubling_document(22)
    assert len(text.encode()) <= 928
    ast = parse(text)
    fragments = {d.name.value: d for d in ast.definitions if d.kind == "fragment_definition"}
    walker = DocumentWalker(fragments)
    measured = walker.measure(ast.definitions[0].selection_set)
    assert walker.visits == _selections(ast) == 47  # not 2**22: every fragment is measured once
    assert measured.depth == 2 and measured.fields == 2 * 2**22


async def test_a_doubling_fragment_document_is_refused_for_its_size(client, db):
    response = await client.post("/graphql", json={"query": doubling_document(22)})
    assert response.status_code == 200
    errors = response.json()["errors"]
    assert [e["message"] for e in errors] == ["'Q' selects too many fields (more than 5000, fragments expanded)"]


# --- the body cap -----------------------------------------------------------------------------


async def test_an_anonymous_graphql_body_over_64_kb_is_refused_unread(client, db):
    big = json.dumps({"query": "{ __typename }", "variables": {"x": "a" * 70_000}})
    response = await client.post("/graphql", content=big, headers=JSON)
    assert response.status_code == 413 and "64 KB" in response.text

    async def chunks():  # no Content-Length: the cap counts what arrives
        for _ in range(20):
            yield b" " * 8192

    streamed = await client.post("/graphql", content=chunks(), headers=JSON)
    assert streamed.status_code == 413


async def test_a_form_post_over_64_kb_is_refused_but_an_upload_keeps_its_own_limit(client, db):
    await client.get("/login")
    token = client.cookies["cunxin_csrf"]
    form = await client.post("/login", data={"username": "x" * 70_000, "password": "p", "csrf_token": token})
    assert form.status_code == 413
    small = await client.post("/login", data={"username": "nobody", "password": "p", "csrf_token": token})
    assert small.status_code == 422
    upload = await client.post("/login", data={"username": "nobody", "password": "p", "csrf_token": token},
                               files={"file": ("a.bin", b"0" * 100_000, "application/octet-stream")})
    assert upload.status_code == 422  # multipart: only settings.max_upload_bytes applies


# --- undecodable bodies ------------------------------------------------------------------------


@pytest.mark.parametrize("body, words", [
    (b"\xff\xfe{}", "UTF-8"),
    (b"null", "JSON 对象"),
    (b'"query"', "JSON 对象"),
    (b"[1]", "JSON 对象"),
    (b"{", "JSON"),
    (b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 5000 + b"]" * 5000 + b"}}", "JSON"),
    (b'{"query": "{ __typename }", "variables": {"a": ' + b"[" * 40 + b"]" * 40 + b"}}", "嵌套过深"),
])
async def test_undecodable_bodies_are_a_400_with_a_clear_message(client, db, body, words):
    response = await client.post("/graphql", content=body, headers=JSON)
    assert response.status_code == 400 and words in response.text


async def test_variables_nested_a_little_are_fine(client, db):
    response = await client.post("/graphql", json={"query": "{ __typename }", "variables": {"a": [[[1]]]}})
    assert response.status_code == 200 and response.json() == {"data": {"__typename": "Query"}}


# --- logging ----------------------------------------------------------------------------------


async def test_a_100_kb_bad_document_writes_a_short_log(client, db, caplog):
    caplog.set_level(logging.INFO)
    query = "{ nope" + "x" * 60_000 + " }"
    response = await client.post("/graphql", json={"query": query})
    assert response.status_code == 200 and response.json()["errors"]
    logged = sum(len(r.getMessage()) + len(r.exc_text or "") for r in caplog.records)
    assert 0 < logged < 5_000


# --- production: trusted documents for anonymous callers, introspection and suggestions ------


@pytest.fixture
async def prod(db, settings, redis_server):
    from app.main import create_app

    application = create_app(settings.model_copy(update={"env": Env.PROD}), manage_db=False)
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="https://testserver", follow_redirects=False) as c:
            yield c


async def _post(client, body: dict, token: str | None = None) -> dict:
    headers = {**JSON, **({"Authorization": f"Bearer {token}"} if token else {})}
    response = await client.post("/graphql", content=json.dumps(body), headers=headers)
    assert response.status_code == 200
    return response.json()


def _by_hash(name: str) -> dict:
    return {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_hash(document(name))}}}


async def test_in_production_anonymous_callers_run_only_the_sign_in_documents(prod, demo):
    text = await _post(prod, {"query": "{ products { code } }"})
    assert text["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    introspection = await _post(prod, {"query": "{ __schema { types { name } } }"})
    assert introspection["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_REQUIRED"
    loans = await _post(prod, {**_by_hash("Loans"), "variables": {}})
    assert loans["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    sign_in = await _post(prod, {**_by_hash("SignInRequestCode"), "variables": {"input": {"phone": "13800000000"}}})
    assert sign_in.get("errors") is None and sign_in["data"]["signInRequestCode"]["phoneMasked"]


async def test_in_production_introspection_and_suggestions_are_for_officers_only(prod, demo):
    key = await create_report_key(actor=SYSTEM, name="报表工具", branch_code="XF010")
    refused = await _post(prod, {"query": "{ __schema { queryType { name } } }"}, key.token)
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "INTROSPECTION_DISABLED"
    typo = await _post(prod, {"query": "{ viewr { username } }"}, key.token)
    assert typo["errors"][0]["message"] == "Cannot query field 'viewr' on type 'Query'."
    officer, _ = await auth.login(username="officer1", password=DEMO_PASSWORD, now=clock.now_utc(), session_hours=1)
    allowed = await _post(prod, {"query": "{ __schema { queryType { name } } }"}, officer)
    assert allowed == {"data": {"__schema": {"queryType": {"name": "Query"}}}}
    hinted = await _post(prod, {"query": "{ viewr { username } }"}, officer)
    assert "Did you mean 'viewer'?" in hinted["errors"][0]["message"]


async def test_outside_production_suggestions_stay_on(client, db):
    body = (await client.post("/graphql", json={"query": "{ viewr { username } }"})).json()
    assert "Did you mean 'viewer'?" in body["errors"][0]["message"]
