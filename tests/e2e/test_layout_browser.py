"""The tablet layout in Chromium, landscape 1280×800 and portrait 800×1280.

The header is one line on every page (a 菜单 button folds the links under 1200 px), the officer's
name and 退出 are on every page, the visit's current step comes first in portrait with a one-line
第 n/13 步, and everything a finger aims at (menu links, buttons, links in tables) is ≥ 44 px high.
"""

from __future__ import annotations

import re

import pytest

from app.models import Household, HouseholdMember, Loan, Village
from tests.e2e.conftest import artifact
from tests.e2e.test_request_state_browser import WEST_STREET, _start_page
from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

LANDSCAPE = {"width": 1280, "height": 800}
PORTRAIT = {"width": 800, "height": 1280}
TARGETS = "header a, header button, main button, main a.button, table a, nav a, summary"


async def _login(page, base: str, username: str) -> None:
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#officer-name")


async def _pages(base: str, username: str = "officer1") -> dict[str, str]:
    village = await Village.get(division_code=WEST_STREET)
    household = await Household.filter(village_id=village.id).order_by("household_no").first()
    loan = await Loan.all().order_by("created_at").first()
    pages = {"dashboard": "/", "village": f"/villages/{village.id}", "household": f"/households/{household.id}", "loans": "/loans",
             "warnings": "/risk/warnings", "collections": "/risk/collections", "ballots": "/ballots", "calculator": "/calculator",
             "idcard": "/identity/idcard", "visits": "/visits", "officers": "/officers"}
    if loan is not None:
        pages["loan"] = f"/loans/{loan.id}"
    if username == "manager":
        pages["reports"] = "/reports"
    return {name: base + path for name, path in pages.items()}


async def _header_is_one_line(page, viewport: dict, where: str) -> None:
    header = await page.locator("header.topbar").bounding_box()
    assert header["height"] <= 72, f"{where}: the header wraps ({header['height']:.0f} px high)"
    for link in await page.locator("header.topbar a:visible, header.topbar button:visible").all():
        box = await link.bounding_box()
        assert box["height"] <= 56, f"{where}: {await link.inner_text()!r} wraps ({box['height']:.0f} px)"
        assert box["x"] + box["width"] <= viewport["width"] + 1, f"{where}: {await link.inner_text()!r} is off the screen"
    assert await page.is_visible("#logout"), f"{where}: no 退出"
    assert await page.is_visible("#officer-name"), f"{where}: no officer name"


async def _targets_are_big(page, where: str) -> list[str]:
    small = []
    for el in await page.locator(TARGETS).all():
        if not await el.is_visible():
            continue
        box = await el.bounding_box()
        if box and box["height"] < 44:
            small.append(f"{where}: {(await el.inner_text()).strip()[:20]!r} {box['height']:.0f} px")
    return small


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
@pytest.mark.parametrize("username", ["officer1", "manager"])
async def test_header_is_one_line_with_the_officer_and_logout_and_targets_are_44px(live_server, browser, viewport, username):
    context = await browser.new_context(viewport=viewport, locale="zh-CN")
    page = await context.new_page()
    await _login(page, live_server, username)
    small = []
    for name, url in (await _pages(live_server, username)).items():
        await page.goto(url)
        await page.wait_for_selector("main")
        await _header_is_one_line(page, viewport, f"{username} {name}")
        small += await _targets_are_big(page, f"{username} {name}")
    if viewport is PORTRAIT:  # the folded menu opens with one tap, its links big enough for a finger
        assert await page.is_hidden("#mainnav")
        await page.click("#menu-toggle")
        assert await page.is_visible("#mainnav a[href$='/loans']")
        small += await _targets_are_big(page, f"{username} menu")
        await page.click("#mainnav a[href$='/loans']")
        await page.wait_for_url("**/loans")
        assert await page.is_hidden("#mainnav")
    assert not small, "touch targets under 44 px:\n" + "\n".join(small)
    await context.close()


@pytest.mark.parametrize("viewport", [LANDSCAPE, PORTRAIT], ids=["landscape", "portrait"])
async def test_visit_page_has_the_header_and_the_step_action_in_the_first_screen(live_server, browser, viewport):
    context = await browser.new_context(viewport=viewport, locale="zh-CN")
    page = await context.new_page()
    await _login(page, live_server, "officer1")
    await _start_page(page, live_server)
    await page.click("#visit-start-submit")
    await page.wait_for_selector('#visit-step[data-step="borrower_id"]', timeout=20_000)
    await _header_is_one_line(page, viewport, "visit")
    assert not await _targets_are_big(page, "visit")
    assert re.match(r"第 2/1[23] 步", await page.inner_text("#visit-progress"))
    step = await page.inner_text("#visit-step")
    assert "Error" not in step, step  # the camera's problem in words, not the browser's error name
    action = page.locator("#visit-step button:visible").first
    box = await action.bounding_box()
    assert box["y"] + box["height"] <= viewport["height"], f"the step's action is {box['y']:.0f} px down"
    if viewport is PORTRAIT:
        assert await page.is_hidden("#visit-steps")  # the 13 steps fold away; one tap opens them
        await page.click("#visit-steps-box summary")
        assert await page.is_visible("#step-borrower_id")
    await page.screenshot(path=str(artifact(f"layout-visit-{viewport['width']}x{viewport['height']}.png")), full_page=True)
    await context.close()


async def test_geolocation_refused_reads_plainly(live_server, browser):
    context = await browser.new_context(viewport=LANDSCAPE, locale="zh-CN")  # no geolocation permission: the browser refuses
    page = await context.new_page()
    await _login(page, live_server, "officer1")
    member = await HouseholdMember.filter(household__village__division_code=WEST_STREET).order_by("id").first()
    await page.goto(f"{live_server}/members/{member.id}/visit")
    await page.wait_for_selector("#geo-status:has-text('请手动填写经纬度')", timeout=20_000)
    status = await page.inner_text("#geo-status")
    assert "未获得定位权限" in status and "User denied" not in status and "Geolocation" not in status, status
    await context.close()
