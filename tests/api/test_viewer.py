import base64

from app.models import Officer
from tests.factories import csrf_token, login

VIEWER = "query Viewer { viewer { id username displayName role roleLabel branch { name code } } }"


async def _post(client, query, *, headers=None, variables=None):
    return await client.post("/graphql", json={"query": query, "variables": variables or {}}, headers=headers or {})


async def test_viewer_with_the_page_session(client, demo):
    # given an officer logged in on the PAD
    await login(client)
    token = await csrf_token(client)
    # when the page's session calls GraphQL (cookie + CSRF header)
    response = await _post(client, VIEWER, headers={"X-CSRF-Token": token})
    # then
    assert response.status_code == 200
    viewer = response.json()["data"]["viewer"]
    assert viewer["username"] == "officer1"
    assert viewer["displayName"] == "张建华"
    assert viewer["role"] == "OFFICER" and viewer["roleLabel"] == "客户经理"
    assert viewer["branch"] == {"name": "襄汾农商行新城支行", "code": "XF010"}
    officer = await Officer.get(username="officer1")
    assert base64.b64decode(viewer["id"]).decode() == f"Officer:{officer.id}"


async def test_cookie_session_without_csrf_header_is_refused(client, demo):
    await login(client)
    response = await _post(client, VIEWER)
    assert response.status_code == 403


async def test_viewer_with_a_bearer_token_needs_no_csrf(client, demo):
    from datetime import UTC, datetime

    from app.services.auth import officers as auth

    token, _ = await auth.login(username="approver", password="cunxin-demo-2026", now=datetime.now(UTC), session_hours=1)
    response = await _post(client, VIEWER, headers={"Authorization": f"Bearer {token}"})
    assert response.json()["data"]["viewer"]["username"] == "approver"


async def test_anonymous_viewer_is_null(client, demo):
    response = await _post(client, VIEWER)
    assert response.json() == {"data": {"viewer": None}}


async def test_malformed_query_gets_a_syntax_error(client):
    response = await _post(client, "query { viewer { ")
    body = response.json()
    assert response.status_code in (200, 400)
    assert len(body["errors"]) == 1
    assert "Syntax Error" in body["errors"][0]["message"]


async def test_unknown_field_is_a_validation_error_not_masked(client):
    response = await _post(client, "{ viewer { salary } }")
    assert "Cannot query field 'salary'" in response.json()["errors"][0]["message"]


async def test_too_deep_query_is_refused(client):
    too_deep = "query TooDeep { viewer { branch { a { b { c { d { e { f { g { h { i } } } } } } } } } } }"
    messages = [e["message"] for e in (await _post(client, too_deep)).json()["errors"]]
    assert "'TooDeep' exceeds maximum operation depth of 10" in messages


async def test_too_many_aliases_are_refused(client):
    aliases = " ".join(f"a{i}: viewer {{ id }}" for i in range(16))
    body = (await _post(client, "query Many { " + aliases + " }")).json()
    assert body["errors"][0]["message"] == "16 aliases found. Allowed: 15"


async def test_node_returns_null_out_of_scope(client, demo):
    from datetime import UTC, datetime

    from app.services.auth import officers as auth

    other = await Officer.get(username="officer2")
    global_id = base64.b64encode(f"Officer:{other.id}".encode()).decode()
    query = "query N($id: ID!) { node(id: $id) { id ... on Officer { username } } }"
    token1, _ = await auth.login(username="officer1", password="cunxin-demo-2026", now=datetime.now(UTC), session_hours=1)
    hidden = await _post(client, query, variables={"id": global_id}, headers={"Authorization": f"Bearer {token1}"})
    assert hidden.json() == {"data": {"node": None}}
    token_admin, _ = await auth.login(username="admin", password="cunxin-demo-2026", now=datetime.now(UTC), session_hours=1)
    seen = await _post(client, query, variables={"id": global_id}, headers={"Authorization": f"Bearer {token_admin}"})
    assert seen.json()["data"]["node"]["username"] == "officer2"


BANKS = "query Banks { banks { code name legalName kind kindLabel contractPrefix hasOwnSeal } viewer { username bank { code name } } }"


async def test_banks_platform_staff_see_every_bank_and_officers_their_own(client, demo):
    # given two member banks, 翼城农商行 with its own seal
    from app.models import Bank
    from tests.factories.banks import second_bank

    bank_b = await second_bank()
    await Bank.filter(id=bank_b.bank.id).update(seal_cert_path="/srv/seal.pem", seal_key_path="/srv/seal.key")

    async def ask(username):
        client.cookies.clear()
        await login(client, username)
        return (await _post(client, BANKS, headers={"X-CSRF-Token": await csrf_token(client)})).json()["data"]

    # when platform staff ask, they see both banks and belong to none
    platform = await ask("platform_auditor")
    assert [(b["code"], b["contractPrefix"], b["hasOwnSeal"]) for b in platform["banks"]] == [("14102201", "YC", True), ("14102301", "SX", False)]
    assert platform["banks"][1] == {"code": "14102301", "name": "襄汾农商行", "legalName": "山西襄汾农村商业银行股份有限公司",
                                    "kind": "RURAL_COMMERCIAL", "kindLabel": "农商行", "contractPrefix": "SX", "hasOwnSeal": False}
    assert platform["viewer"]["bank"] is None
    # and each bank's officers see only their own bank
    yc = await ask("yc_officer")
    assert [b["code"] for b in yc["banks"]] == ["14102201"] and yc["viewer"]["bank"] == {"code": "14102201", "name": "翼城农商行"}
    xf = await ask("officer1")
    assert [b["code"] for b in xf["banks"]] == ["14102301"] and xf["viewer"]["bank"]["code"] == "14102301"
