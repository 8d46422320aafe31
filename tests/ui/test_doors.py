"""Doors: HEAD is GET without a body, CSRF whatever the headers, one login guard, same-site `next`."""

from __future__ import annotations

import re
import uuid
from pathlib import Path

import httpx
import pytest

from app.models import CreditLine, ListEntry, Loan, OfficerSession
from app.services import business_date
from tests.factories import DEMO_PASSWORD, csrf_token, customer_with_line, login
from tests.factories.risk import id_number
from tests.fakes import FakeJobQueue
from tests.services.visits.helpers import TODAY, family, pre_credit
from tests.ui.test_visit_pages import Walker
from tests.services.contracts.fixtures import kit, renderer  # noqa: F401  (fixtures the visit walk needs)
from ui.auth import safe_next

UI = Path(__file__).resolve().parents[2] / "ui"


# --- HEAD is GET without a body ----------------------------------------------------------------


def test_every_page_route_names_its_methods_and_none_but_get_and_post():
    from app.main import create_app

    for route in create_app().routes:
        methods = getattr(route, "methods", "mount")
        if methods == "mount":
            continue
        assert methods is not None, route.path
        assert methods <= {"GET", "HEAD", "POST"}, (route.path, methods)


def test_handlers_branch_on_post_only():
    offending = [f"{p.name}:{n}" for p in UI.glob("*.py") for n, line in enumerate(p.read_text().splitlines(), 1)
                 if re.search(r'method\s*==\s*"(GET|HEAD)"|method\s+in\s', line)]
    assert offending == []


async def test_a_bare_head_with_the_approvers_cookie_grants_no_line(client, demo, vault, app):
    await business_date.set_current(TODAY)
    fam = await family(vault, spouse_seq=None)
    await pre_credit(fam.household.id, 300_000)
    await login(client)
    w = Walker(client, await csrf_token(client), fam, app.state.media, vault)
    await w.to_decision()
    await w.post(f"{w.base}/decision", {"idempotency_key": str(uuid.uuid4())})
    await client.post("/logout", data={"csrf_token": w.token})
    await login(client, "approver")
    head = await client.head(f"/approvals/{w.visit_id}")
    assert head.status_code == 200 and head.content == b""
    with_fields = await client.request("HEAD", f"/approvals/{w.visit_id}", data={"action": "approve", "amount": "300000"})
    assert with_fields.status_code == 200 and with_fields.content == b""
    assert await CreditLine.all().count() == 0


async def test_head_with_form_fields_adds_no_grey_list_entry(client, demo):
    await business_date.set_current(TODAY)
    await login(client, "manager")
    fields = {"list_kind": "grey", "name": "王建国", "id_number": id_number(101), "reason": "多头借贷", "expires_on": "2027-06-01"}
    response = await client.request("HEAD", "/risk/lists", data=fields)
    assert response.status_code == 200 and response.content == b""
    assert await ListEntry.all().count() == 0


async def test_head_on_a_drawdown_form_books_no_loan(client, demo, vault):
    _, line = await customer_with_line(vault)
    await login(client)
    form = {"amount": "1000.00", "term_months": "12", "method": "equal_installment", "confirm": "1", "idempotency_key": str(uuid.uuid4())}
    response = await client.request("HEAD", f"/lines/{line.id}", data=form)
    assert response.status_code == 200 and response.content == b""
    assert await Loan.all().count() == 0


async def test_head_of_a_page_is_its_get_without_the_body(client, demo):
    await login(client)
    get, head = await client.get("/loans"), await client.head("/loans")
    assert (get.status_code, head.status_code) == (200, 200)
    assert head.content == b"" and head.headers["content-type"] == get.headers["content-type"]


# --- CSRF whatever the headers ------------------------------------------------------------------


@pytest.mark.parametrize("authorization", ["Basic b2ZmaWNlcjE6eA==", "Bearer not-a-token", "x"])
async def test_graphql_with_the_session_cookie_needs_the_csrf_token_even_with_an_authorization_header(client, demo, authorization):
    await login(client)
    query = {"query": "mutation { __typename }"}
    refused = await client.post("/graphql", json=query, headers={"Authorization": authorization})
    assert refused.status_code == 403 and "CSRF" in refused.text
    token = client.cookies["cunxin_csrf"]
    allowed = await client.post("/graphql", json={"query": "{ viewer { username } }"}, headers={"Authorization": authorization, "X-CSRF-Token": token})
    assert allowed.status_code == 200


@pytest.mark.parametrize("planted", ["x=y z", 'a="b', "a=b\\"])
async def test_an_unparsable_cookie_before_the_session_does_not_hide_it_from_the_csrf_check(client, demo, planted):
    await login(client)
    session = client.cookies["cunxin_session"]
    client.cookies.clear()
    response = await client.post("/graphql", json={"query": "mutation { __typename }"},
                                 headers={"Cookie": f"{planted}; cunxin_session={session}"})
    assert response.status_code == 403 and "CSRF" in response.text


async def test_a_planted_second_csrf_cookie_is_refused(client, demo, vault):
    await login(client)
    session, real = client.cookies["cunxin_session"], client.cookies["cunxin_csrf"]
    client.cookies.clear()
    # when an attacker's cookie with its own token rides along the real one (cookie tossing)
    response = await client.post("/logout", data={"csrf_token": "attacker-chosen"},
                                 headers={"Cookie": f"cunxin_csrf={real}; cunxin_session={session}; cunxin_csrf=attacker-chosen"})
    # then the request is refused and the session still works
    assert response.status_code == 403 and "Cookie" in response.text
    assert await OfficerSession.filter(officer__username="officer1", revoked_at=None).exists()


async def test_graphql_without_a_session_cookie_needs_no_csrf_token(client, demo):
    response = await client.post("/graphql", json={"query": "{ __typename }"}, headers={"Authorization": "Bearer x"})
    assert response.status_code == 200 and response.json()["data"] == {"__typename": "Query"}


# --- one login guard, the face step included ---------------------------------------------------


@pytest.fixture
async def face_web(db, settings, redis_server):
    from app.main import create_app

    application = create_app(settings.model_copy(update={"face_login_required": True, "liveness_seed": 7}), manage_db=False)
    application.state.queue = FakeJobQueue()
    async with application.router.lifespan_context(application):
        transport = httpx.ASGITransport(app=application)
        async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False) as c:
            yield c


async def test_csv_downloads_need_the_face_step_like_every_page(face_web, demo):
    await login(face_web)
    response = await face_web.get("/reports/portfolio.csv")
    assert (response.status_code, response.headers["location"]) == (303, "/login/face?next=/reports/portfolio.csv")
    assert "text/csv" not in response.headers.get("content-type", "")


async def test_csv_download_without_a_session_goes_to_the_login(face_web, demo):
    response = await face_web.get("/reports/portfolio.csv")
    assert (response.status_code, response.headers["location"]) == (303, "/login?next=/reports/portfolio.csv")


# --- `next` only as a same-site path ------------------------------------------------------------


@pytest.mark.parametrize("value", ["/\\evil.example", "//evil.example", "https://evil.example", "/ok\r\nSet-Cookie: x", "\\\\evil",
                                   "javascript:alert(1)", "/\tevil", "evil.example", "", None, "/a\\b"])
def test_safe_next_refuses_anything_but_a_same_site_path(value):
    assert safe_next(value) == "/"


@pytest.mark.parametrize("value", ["/", "/loans", "/reports?month=2026-11", "/loans/abc#x", "/%5Cevil.example"])
def test_safe_next_keeps_a_path(value):
    assert safe_next(value) == value


def test_safe_next_is_ascii_for_the_redirect_headers():
    assert safe_next("/。evil") == "/%E3%80%82evil"


async def test_htmx_login_with_a_non_latin_next_redirects_instead_of_failing(client, demo):
    token = await csrf_token(client)
    data = {"username": "officer1", "password": DEMO_PASSWORD, "csrf_token": token, "next": "/∕∕evil.example"}
    response = await client.post("/login", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/%E2%88%95%E2%88%95evil.example"


async def test_htmx_login_redirect_header_never_points_off_site(client, demo):
    token = await csrf_token(client)
    data = {"username": "officer1", "password": DEMO_PASSWORD, "csrf_token": token, "next": "/\\evil.example"}
    response = await client.post("/login", data=data, headers={"HX-Request": "true"})
    assert response.status_code == 204 and response.headers["hx-redirect"] == "/"


async def test_the_link_after_the_face_step_never_points_off_site(face_web, demo):
    from app import clock

    await login(face_web)
    await OfficerSession.filter(officer__username="officer1").update(face_verified_at=clock.now_utc())
    response = await face_web.get("/login/face", params={"next": "/\\evil.example"})
    assert (response.status_code, response.headers["location"]) == (303, "/")
    htmx = await face_web.get("/login/face", params={"next": "/\\evil.example"}, headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"] == "/"
