"""A session that expires mid-visit: the officer signs in again and is back on the visit page, told why (issue 19 #6)."""

from __future__ import annotations

import uuid
from datetime import timedelta
from urllib.parse import parse_qs, urlsplit

import pytest

from app import clock
from app.models import OfficerSession
from tests.factories import DEMO_PASSWORD, csrf_token, login

VISIT = f"/visits/{uuid.uuid4()}"


async def _expire_sessions() -> None:
    await OfficerSession.all().update(expires_at=clock.now_utc() - timedelta(minutes=1))


def _next(location: str) -> str:
    parts = urlsplit(location)
    assert parts.path == "/login", location
    return parse_qs(parts.query)["next"][0]


async def test_an_expired_htmx_step_post_sends_the_officer_to_login_and_back_to_the_visit_page(client, demo):
    await login(client)
    token = await csrf_token(client)
    await _expire_sessions()
    response = await client.post(f"{VISIT}/decision", data={"csrf_token": token},
                                 headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{VISIT}?step=decision"})
    assert response.status_code == 204
    target = response.headers["hx-redirect"]
    assert _next(target) == f"{VISIT}?step=decision" and "expired=1" in target
    page = await client.get(target)
    assert "登录已过期，请重新登录" in page.text
    signed_in = await client.post("/login", data={"username": "officer1", "password": DEMO_PASSWORD, "csrf_token": token, "next": _next(target)})
    assert signed_in.headers["location"] == f"{VISIT}?step=decision"


async def test_a_plain_post_uses_the_referer_and_never_a_foreign_or_post_url(client, demo):
    await login(client)
    token = await csrf_token(client)
    await _expire_sessions()
    plain = await client.post(f"{VISIT}/decision", data={"csrf_token": token}, headers={"Referer": f"http://testserver{VISIT}"})
    assert plain.status_code == 303 and _next(plain.headers["location"]) == VISIT
    foreign = await client.post(f"{VISIT}/decision", data={"csrf_token": token}, headers={"Referer": "https://evil.example/x"})
    assert _next(foreign.headers["location"]) == "/"  # never the POST URL, never another site
    nothing = await client.post(f"{VISIT}/decision", data={"csrf_token": token})
    assert _next(nothing.headers["location"]) == "/"


async def test_a_get_keeps_its_query_and_a_first_visit_is_not_called_expired(client, demo):
    anonymous = await client.get("/loans?status=active")
    assert _next(anonymous.headers["location"]) == "/loans?status=active" and "expired" not in anonymous.headers["location"]
    assert "登录已过期" not in (await client.get(anonymous.headers["location"])).text
    await login(client)
    await _expire_sessions()
    expired = await client.get("/loans")
    assert "expired=1" in expired.headers["location"]


async def test_the_face_step_keeps_the_visit_page(client, demo, app):
    app.state.settings = app.state.settings.model_copy(update={"face_login_required": True})
    token = await csrf_token(client)
    response = await client.post("/login", data={"username": "officer1", "password": DEMO_PASSWORD, "csrf_token": token, "next": VISIT})
    assert response.status_code == 303
    assert parse_qs(urlsplit(response.headers["location"]).query)["next"] == [VISIT]
    # a step posted before the face step passed goes to the face step, which returns to the page
    step = await client.post(f"{VISIT}/decision", data={"csrf_token": token}, headers={"HX-Request": "true", "HX-Current-URL": f"http://testserver{VISIT}"})
    assert urlsplit(step.headers["hx-redirect"]).path == "/login/face" and parse_qs(urlsplit(step.headers["hx-redirect"]).query)["next"] == [VISIT]


@pytest.mark.parametrize("path", [f"{VISIT}/decision", "/logout", f"/loans/{uuid.uuid4()}/prepay"])
async def test_a_get_to_a_post_only_route_is_a_chinese_page(client, demo, path):
    await login(client)
    response = await client.get(path)
    assert response.status_code == 405
    assert "<html" in response.text and "Method Not Allowed" not in response.text
    assert "不能直接打开" in response.text and "返回工作台" in response.text
