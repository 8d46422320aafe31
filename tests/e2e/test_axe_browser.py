"""axe-core on every page each demo role reaches: no serious or critical violation.

The pages are the crawl's (tests/ui/test_crawl.py: every link from the workbench, on the busy
bank); each kind of page (its path with ids as {id}) is checked once per role, as that role sees
it, and the login page once. axe-core is the npm release `make install` fetches (Makefile $(AXE)),
injected as a script file: the context bypasses the page's CSP for that, in this test only.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

import httpx
import pytest

from tests.e2e.conftest import artifact
from tests.factories import DEMO_PASSWORD, login
from tests.factories.crawl import ROLES, busy_bank
from tests.ui.test_crawl import crawl
from app.config import ROOT

pytestmark = [pytest.mark.e2e, pytest.mark.slow]  # ~5 min: once per CI run (the PostgreSQL pass)

AXE = ROOT / "tests" / "e2e" / "vendor" / "axe.min.js"
UUID = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")
SEVERE = ("serious", "critical")
RUN = """async () => {
  const result = await axe.run(document, {resultTypes: ["violations"]});
  return result.violations.map(v => ({
    id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.slice(0, 5).map(n => n.target.join(" ") + " :: " + n.failureSummary.split("\\n").slice(1, 2).join(""))
  }));
}"""


def kind(url: str) -> str:
    return UUID.sub("{id}", urlsplit(url).path)


async def _axe(page, where: str) -> tuple[list[str], list[str]]:
    """(serious or critical, the rest) on the page as it is now."""
    await page.add_script_tag(path=str(AXE))
    found = await page.evaluate(RUN)
    lines = [(v["impact"], f"{where} [{v['impact']}] {v['id']}: {v['help']} — {'; '.join(v['nodes'])}") for v in found]
    return [line for impact, line in lines if impact in SEVERE], [line for impact, line in lines if impact not in SEVERE]


async def _violations(page, url: str) -> tuple[list[str], list[str]]:
    await page.goto(url)
    await page.wait_for_load_state("networkidle")  # parts htmx loads after the page (hx-trigger="load")
    return await _axe(page, kind(url))


async def _pages_of(base: str, username: str) -> list[str]:
    """One URL per kind of whole page the role reaches from its workbench."""
    async with httpx.AsyncClient(base_url=base, follow_redirects=False) as client:
        await login(client, username)
        statuses, _, pages = await crawl(client, base + "/", shape=kind, variants=1)
    return [url for url in pages if statuses[url] == 200]


async def test_no_serious_or_critical_axe_violation_on_any_page_for_any_role(live_server, browser, vault, settings):
    if not AXE.exists():
        pytest.fail(f"{AXE.relative_to(ROOT)} missing: run `make install` (fetches axe-core from npm)")
    await busy_bank(vault, settings)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", bypass_csp=True)
    page = await context.new_page()
    problems, minor = await _violations(page, f"{live_server}/login")
    checked = 1
    for username in ROLES:
        urls = await _pages_of(live_server, username)
        await context.clear_cookies()
        await page.goto(f"{live_server}/login")
        await page.fill("#username", username)
        await page.fill("#password", DEMO_PASSWORD)
        await page.click("button[type=submit]")
        await page.wait_for_selector("#officer-name")
        for url in urls:
            severe, rest = await _violations(page, url)
            problems += [f"{username} {p}" for p in severe]
            minor += [f"{username} {p}" for p in rest]
            checked += 1
        # the workbench in portrait with the folded menu open
        await page.set_viewport_size({"width": 800, "height": 1280})
        await page.goto(f"{live_server}/")
        await page.click("#menu-toggle")
        severe, rest = await _axe(page, "/ (portrait, menu open)")
        problems += [f"{username} {p}" for p in severe]
        minor += [f"{username} {p}" for p in rest]
        await page.set_viewport_size({"width": 1280, "height": 800})
    artifact("axe.txt").write_text("\n".join(problems + ["", "moderate and minor (not failing):"] + sorted(set(minor))) + f"\n{checked} pages\n")
    assert checked > 50, f"only {checked} pages checked"
    assert not problems, "\n".join(problems)
