"""Trusted documents: in production a borrower token runs only graphql/mobile operations, sent by hash."""

import json

from app import clock
from app.api.trusted_documents import Manifest, document_hash
from app.models import AuditEvent, BankCard
from app.services.auth import officers as auth
from tests.factories import DEMO_PASSWORD
from tests.factories.borrower import MOBILE, borrower, card_number, document, gql, mobile_operations, sign_in


async def _post(client, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    response = await client.post("/graphql", content=json.dumps(body), headers=headers)
    assert response.status_code == 200
    return response.json()


def _refusal(body: dict) -> str:
    assert body["data"] is None and len(body["errors"]) == 1
    return body["errors"][0]["extensions"]["code"]


def test_the_manifest_holds_every_mobile_operation_by_its_sha256():
    manifest = Manifest.from_dir(MOBILE)
    assert len(manifest) == len(mobile_operations())
    me = manifest.get(document_hash(document("Me")))
    assert me is not None and me.name == "Me" and me.text == document("Me")
    assert manifest.get("0" * 64) is None


async def test_a_borrower_in_production_cannot_send_query_text(prod_client, prod_app, demo, vault):
    customer, _ = await borrower(vault)
    token = (await sign_in(prod_client, prod_app, persisted=True))["accessToken"]
    # a hand-written query, even one identical in effect to CardBind, is refused: nothing bound
    mutation = 'mutation { cardBind(input: {cardNumber: "%s", reservedPhone: "13800000000"}) { binding { id } errors { code } } }' % card_number("5678")
    body = await _post(prod_client, {"query": mutation}, token)
    assert _refusal(body) == "PERSISTED_QUERY_REQUIRED" and "内置" in body["errors"][0]["message"]
    assert await BankCard.filter(customer_id=customer.id).count() == 1
    # the file's own text without its hash is refused too
    assert _refusal(await _post(prod_client, {"query": document("Me")}, token)) == "PERSISTED_QUERY_REQUIRED"
    # introspection is just another untrusted document
    assert _refusal(await _post(prod_client, {"query": "{ __schema { types { name } } }"}, token)) == "PERSISTED_QUERY_REQUIRED"
    refused = await AuditEvent.filter(action="graphql.document_refused").order_by("at")
    assert [(e.actor_type.value, e.actor_id, e.after["reason"]) for e in refused] == [("customer", str(customer.id), "PERSISTED_QUERY_REQUIRED")] * 3
    # by hash it runs
    me = await gql(prod_client, "Me", token=token, persisted=True)
    assert me["data"]["me"]["id"] == str(customer.id)


async def test_an_unknown_or_mismatched_hash_is_refused_and_recorded(prod_client, prod_app, demo, vault):
    await borrower(vault)
    token = (await sign_in(prod_client, prod_app, persisted=True))["accessToken"]
    unknown = "ab" * 32
    body = await _post(prod_client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown}}}, token)
    assert _refusal(body) == "PERSISTED_QUERY_NOT_FOUND" and "升级" in body["errors"][0]["message"]
    event = await AuditEvent.get(action="graphql.document_refused")
    assert event.entity_id == unknown and event.after == {"reason": "PERSISTED_QUERY_NOT_FOUND"}
    me_hash = {"persistedQuery": {"version": 1, "sha256Hash": document_hash(document("Me"))}}
    mismatch = await _post(prod_client, {"query": "query Me { me { id phoneMasked } }", "extensions": me_hash}, token)
    assert _refusal(mismatch) == "PERSISTED_QUERY_MISMATCH"
    assert await AuditEvent.filter(action="graphql.document_refused").count() == 2


async def test_officers_are_not_limited_to_trusted_documents(prod_client, demo):
    token, _ = await auth.login(username="officer1", password=DEMO_PASSWORD, now=clock.now_utc(), session_hours=1)
    body = await _post(prod_client, {"query": "query Viewer { viewer { username } }"}, token)
    assert body == {"data": {"viewer": {"username": "officer1"}}}
    assert await AuditEvent.filter(action="graphql.document_refused").count() == 0


async def test_outside_production_borrowers_may_send_text_but_never_an_unknown_hash(client, app, demo, vault):
    customer, _ = await borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    assert (await _post(client, {"query": "{ me { id } }"}, token)) == {"data": {"me": {"id": str(customer.id)}}}
    body = await _post(client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "cd" * 32}}}, token)
    assert _refusal(body) == "PERSISTED_QUERY_NOT_FOUND"
    assert (await gql(client, "Me", token=token, persisted=True))["data"]["me"]["id"] == str(customer.id)
