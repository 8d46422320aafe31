"""A crawl of every link, for each demo role: nothing a page shows leads to a 4xx/5xx.

From the workbench, breadcrumb by breadcrumb: every same-site `<a href>` and htmx `hx-get` target
on every page reached, breadth-first (bounded). A link the role may not open (a 403 or a 404 for
out-of-scope) must not be shown to that role at all (docs/permissions.md).
"""

from __future__ import annotations

import html
import re
from collections import deque
from collections import Counter
from urllib.parse import parse_qs, urldefrag, urljoin, urlsplit

import httpx
from tests.factories import login
from tests.factories.crawl import ROLES, busy_bank

BASE = "http://testserver"
LIMIT = 400  # pages per role; the busy bank has about a hundred
VARIANTS = 3  # pages per path and set of query names: a day's 前一天/后一天 would go on for ever
LINK = re.compile(r'\s(?:href|hx-get)="([^"]*)"')
NOT_PAGES = ("/logout", "/static/")  # a POST, and files that are no page


def _shape(url: str) -> tuple[str, tuple[str, ...]]:
    parts = urlsplit(url)
    return parts.path, tuple(sorted(parse_qs(parts.query)))


def links(page: str, at: str) -> set[str]:
    """Same-site GET targets on a page, absolute, without fragments."""
    found = set()
    for raw in LINK.findall(page):
        target = html.unescape(raw).strip()
        if not target or target.startswith(("#", "mailto:", "tel:", "javascript:", "data:")):
            continue
        target = urldefrag(urljoin(at, target))[0]
        if urlsplit(target).netloc != urlsplit(at).netloc or urlsplit(target).path.startswith(NOT_PAGES):
            continue
        found.add(target)
    return found


async def crawl(client: httpx.AsyncClient, start: str = BASE + "/", *, shape=_shape, variants: int = VARIANTS) -> tuple[dict[str, int], dict[str, str], list[str]]:
    """Status of every page reached (by URL), for each the page it was first linked from, and the whole HTML pages (not parts) in order.

    At most `variants` URLs of each `shape` are followed.
    """
    statuses: dict[str, int] = {}
    pages: list[str] = []
    linked_from = {start: "(start)"}
    queue = deque([start])
    shapes = Counter()
    while queue and len(statuses) < LIMIT:
        url = queue.popleft()
        response = await client.get(url)
        statuses[url] = response.status_code
        if response.status_code >= 400 or "text/html" not in response.headers.get("content-type", ""):
            continue
        if "<html" in response.text[:200]:
            pages.append(url)
        for target in sorted(links(response.text, url)):
            if target not in linked_from and shapes[shape(target)] < variants:
                shapes[shape(target)] += 1
                linked_from[target] = url
                queue.append(target)
    return statuses, linked_from, pages


async def test_every_link_each_role_sees_opens(client, demo, vault, settings):
    await busy_bank(vault, settings)
    broken = []
    for username in ROLES:
        client.cookies.clear()
        response = await login(client, username)
        assert response.status_code in (302, 303), f"{username} cannot log in"
        statuses, linked_from, _ = await crawl(client)
        broken += [f"{username}: {status} {url} (linked from {linked_from[url]})" for url, status in statuses.items() if status >= 400]
        assert len(statuses) < LIMIT, f"{username}: the crawl hit its bound of {LIMIT} pages"
        assert len(statuses) >= 10, f"{username}: only {len(statuses)} pages reached: {sorted(statuses)}"
    assert not broken, "\n".join(broken)
