"""The workbench (工作台) in the browser: the officer logs in, lands on today's work and taps into the visit to resume."""

from __future__ import annotations

import pytest

from tests.e2e.conftest import artifact
from tests.factories import DEMO_PASSWORD
from tests.services.visits.helpers import ctx_for, family, start

pytestmark = pytest.mark.e2e


async def test_login_lands_on_the_workbench_and_one_tap_resumes_the_visit(vault, settings, live_server, browser):
    visit = await start(await ctx_for(vault, settings, await family(vault, spouse_seq=None)))
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{live_server}/login")
    await page.fill("#username", "officer1")
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    task = page.locator(f"#task-visits-{visit.id}")
    await task.wait_for()
    assert page.url.rstrip("/") == live_server
    assert "赵德胜" in await task.inner_text()
    go = page.locator(f"#task-visits-{visit.id}-go")
    box = await go.bounding_box()
    assert box is not None and box["height"] >= 44  # a finger's target
    await page.screenshot(path=str(artifact("workbench.png")), full_page=True)
    await go.click()
    await page.wait_for_url(f"{live_server}/visits/{visit.id}")
    assert "赵德胜" in await page.content()
    assert not [e for e in errors if "htmx" in e.lower()], errors  # (the browser's own favicon request may 404)
