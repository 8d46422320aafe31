"""Static files under hashed names: pages name them, they are cached for a year, gzip'd, and still under the CSP (issue 19)."""

from __future__ import annotations

import gzip
import hashlib
import re
from pathlib import Path

from tests.factories import login

STATIC = Path(__file__).resolve().parents[2] / "ui" / "static"


def _digest(path: str) -> str:
    return hashlib.sha256((STATIC / path).read_bytes()).hexdigest()[:8]


async def test_pages_name_static_files_by_their_content_hash(client, demo):
    await login(client)
    page = await client.get("/")
    for path in ("css/app.css", "vendor/htmx.min.js", "js/netstate.js", "js/confirm.js"):
        stem, suffix = path.rsplit(".", 1)
        assert f'"/static/{stem}.{_digest(path)}.{suffix}"' in page.text, path
    assert not re.search(r'"/static/[^"]+/[a-z]+\.(css|js)"', page.text)  # no plain name left in the page


async def test_a_hashed_url_is_immutable_and_gzipped_and_keeps_the_csp(client):
    url = f"/static/js/netstate.{_digest('js/netstate.js')}.js"
    response = await client.get(url, headers={"Accept-Encoding": "gzip"})
    assert response.status_code == 200
    assert response.headers["cache-control"] == "public, max-age=31536000, immutable"
    assert response.headers["content-encoding"] == "gzip" and "Accept-Encoding" in response.headers["vary"]
    assert response.headers["content-type"].startswith("text/javascript")
    assert response.content == (STATIC / "js/netstate.js").read_bytes()  # httpx decodes the gzip'd body
    assert "script-src 'self';" in response.headers["content-security-policy"]
    again = await client.get(url, headers={"If-None-Match": response.headers["etag"]})
    assert again.status_code == 304


async def test_gzip_only_when_accepted_and_plain_names_still_work_with_a_short_cache(client):
    raw = await client.get(f"/static/css/app.{_digest('css/app.css')}.css", headers={"Accept-Encoding": "identity"})
    assert "content-encoding" not in raw.headers and raw.content == (STATIC / "css/app.css").read_bytes()
    plain = await client.get("/static/css/app.css", headers={"Accept-Encoding": "gzip"})
    assert plain.status_code == 200 and plain.headers["cache-control"] == "public, max-age=300"
    assert plain.headers["content-encoding"] == "gzip"
    stale = await client.get("/static/css/app.0000beef.css")  # a page of the previous release
    assert stale.status_code == 200 and "immutable" not in stale.headers["cache-control"]
    assert (await client.get("/static/css/nothing.css")).status_code == 404


def test_the_compressed_body_is_the_file():
    from ui.static_files import StaticAssets

    assets = StaticAssets(STATIC)
    asset = assets.files["vendor/htmx.min.js"]
    assert gzip.decompress(asset.gzipped) == asset.body and len(asset.gzipped) < len(asset.body) / 2
    assert assets.url("js/visit.js") == f"/static/js/visit.{_digest('js/visit.js')}.js"


async def test_each_page_brings_the_officers_capture_key_and_only_theirs(client, demo):
    """The offline queue's key comes with every signed-in page (no-store) and is never stored on the tablet (ui/static/js/offline.js)."""
    key_of = re.compile(r'data-capture-key="([A-Za-z0-9_-]{43})"')
    assert not key_of.search((await client.get("/calculator")).text)  # nobody signed in: no key
    await login(client)
    first = key_of.search((await client.get("/")).text).group(1)
    await client.post("/logout", data={"csrf_token": client.cookies.get("cunxin_csrf", "")})
    client.cookies.clear()
    await login(client)
    again = (await client.get("/"))
    assert key_of.search(again.text).group(1) == first  # signing in again reads the captures kept before
    assert "no-store" in again.headers["cache-control"]
    client.cookies.clear()
    await login(client, "manager")
    assert key_of.search((await client.get("/")).text).group(1) != first  # another officer: another key
