"""Security headers on every response, no inline styles for the CSP to block, and the trusted-proxy setting."""

from __future__ import annotations

import re
from pathlib import Path

import httpx
import pytest
from starlette.applications import Starlette
from starlette.responses import PlainTextResponse
from starlette.routing import Route

from app.cli.ops import proxy_options
from app.config import Env
from tests.factories import csrf_token, login

TEMPLATES = Path(__file__).resolve().parents[2] / "ui" / "templates"


async def test_pages_carry_the_security_headers_and_no_store(client, demo):
    await login(client)
    for path in ("/login", "/", "/loans", "/reports/portfolio.csv"):
        response = await client.get(path)
        headers = response.headers
        csp = headers["content-security-policy"]
        assert "default-src 'self'" in csp and "style-src 'self';" in csp and "script-src 'self';" in csp, path
        assert "frame-ancestors 'none'" in csp and "unsafe-inline" not in csp
        assert headers["x-content-type-options"] == "nosniff" and headers["x-frame-options"] == "DENY"
        assert headers["referrer-policy"] == "same-origin"
        assert headers["cache-control"] == "no-store", path
        assert "strict-transport-security" not in headers  # only in prod
    graphql = await client.post("/graphql", json={"query": "{ __typename }"})
    assert graphql.headers["cache-control"] == "no-store"
    static = await client.get("/static/css/app.css")
    assert static.status_code == 200 and static.headers.get("cache-control") != "no-store"


async def test_every_officer_page_and_error_page_is_no_store(client, demo, app):
    """Back after logout must not show the previous officer's pages: nothing behind the login is cached (issue 19 #8c)."""
    from starlette.routing import Route

    await login(client)
    paths = [r.path for r in app.routes if isinstance(r, Route) and "{" not in r.path and "GET" in (r.methods or {"GET"})]
    assert len(paths) > 20
    for path in [*paths, "/loans/00000000-0000-0000-0000-000000000000", "/no-such-page", "/logout", "/reports/portfolio.csv"]:
        response = await client.get(path)
        assert response.headers.get("cache-control") == "no-store", (path, response.status_code)
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    assert (await client.get("/")).headers["cache-control"] == "no-store"


async def test_hsts_in_production(db, settings, redis_server):
    from app.main import create_app

    application = create_app(settings.model_copy(update={"env": Env.PROD}), manage_db=False)
    async with application.router.lifespan_context(application):
        async with httpx.AsyncClient(transport=httpx.ASGITransport(app=application), base_url="https://testserver") as c:
            response = await c.get("/login")
    assert response.headers["strict-transport-security"] == "max-age=31536000; includeSubDomains"


def test_no_template_has_inline_styles_or_scripts():
    offending = []
    for path in TEMPLATES.rglob("*.html"):
        text = path.read_text()
        if re.search(r"<style|\sstyle=|<script(?![^>]*\ssrc=)|\son[a-z]+=", text):
            offending.append(str(path.relative_to(TEMPLATES)))
    assert offending == []


def test_htmx_injects_no_indicator_styles():
    for name in ("base.html", "appraisal/vote_public.html"):
        assert '"includeIndicatorStyles":false' in (TEMPLATES / name).read_text()


# --- trusted proxies ---------------------------------------------------------------------------


async def _client_seen(options: dict, *, peer: str, forwarded: str) -> str:
    import uvicorn

    async def echo(request):
        return PlainTextResponse(request.client.host)

    config = uvicorn.Config(Starlette(routes=[Route("/", echo)]), log_config=None, **options)
    config.load()
    transport = httpx.ASGITransport(app=config.loaded_app, client=(peer, 4321))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver") as c:
        return (await c.get("/", headers={"X-Forwarded-For": forwarded})).text


@pytest.mark.parametrize("trusted, peer, seen", [
    ("", "127.0.0.1", "127.0.0.1"),  # no setting: X-Forwarded-For is ignored, even from a local proxy
    ("10.0.0.5", "127.0.0.1", "127.0.0.1"),  # a proxy that is not the trusted one
    ("10.0.0.5", "10.0.0.5", "203.0.113.9"),  # the trusted proxy: the real client
    ("127.0.0.1,10.0.0.0/8", "10.2.3.4", "203.0.113.9"),
])
async def test_x_forwarded_for_is_believed_only_from_the_trusted_proxies(settings, trusted, peer, seen):
    options = proxy_options(settings.model_copy(update={"trusted_proxies": trusted}))
    assert await _client_seen(options, peer=peer, forwarded="203.0.113.9") == seen
