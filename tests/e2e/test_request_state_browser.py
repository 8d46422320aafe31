"""Weak or lost signal in Chromium: a failed request is never silent (ui/static/js/netstate.js).

Offline, a tap on a step's button shows a banner with 重试 and the form keeps what the officer typed;
back online, 重试 sends the same request and the visit goes on. A 403 on a form post shows its banner
too; the header says whether the tablet is online; a bar runs at the top while a request is under way.
"""

from __future__ import annotations

import asyncio

import pytest

from app.config import get_settings
from app.models import HouseholdMember
from tests.e2e.conftest import artifact
from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.e2e

WEST_STREET = "141023100201"  # 西街村, officer1's village


async def login(page, base: str, username: str = "officer1") -> None:
    await page.goto(f"{base}/login")
    await page.fill("#username", username)
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#villages")


async def _start_page(page, base: str):
    member = await HouseholdMember.filter(household__village__division_code=WEST_STREET).order_by("id").first()
    await page.goto(f"{base}/members/{member.id}/visit")
    await page.wait_for_selector("#visit-start-form")
    await page.click("#manual-location summary")
    await page.fill("#manual_lat", "35.8768")
    await page.fill("#manual_lng", "111.4425")
    await page.check("#manual-location input[name=source]")
    return member


async def test_offline_step_shows_a_banner_keeps_the_form_and_retry_sends_it(live_server, browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    await login(page, live_server)
    assert await page.inner_text("#net-status") == "在线"
    await _start_page(page, live_server)

    # the signal goes: the step's button is tapped
    await context.set_offline(True)
    await page.wait_for_selector("html.net-offline #net-status:text-is('离线')")
    await page.click("#visit-start-submit")
    await page.wait_for_selector("#net-banner", state="visible", timeout=10_000)
    assert "网络已断开" in await page.inner_text("#net-banner-text")
    assert await page.is_visible("#net-retry")
    # the form is as the officer left it
    assert await page.input_value("#manual_lat") == "35.8768"
    assert await page.input_value("#manual_lng") == "111.4425"
    assert await page.is_checked("#manual-location input[name=source]")
    await page.screenshot(path=str(artifact("request-state-offline.png")), full_page=True)

    # the signal returns: 重试 sends the same request, the visit starts
    await context.set_offline(False)
    await page.wait_for_selector("html:not(.net-offline) #net-status:text-is('在线')")
    await page.click("#net-retry")
    await page.wait_for_selector('#visit-step[data-step="borrower_id"]', timeout=20_000)
    assert await page.is_hidden("#net-banner")
    await context.close()


async def test_an_offline_link_tap_shows_the_banner(live_server, browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    await login(page, live_server)
    await context.set_offline(True)
    await page.click("#villages tbody tr:first-child a")
    await page.wait_for_selector("#net-banner", state="visible", timeout=10_000)
    assert "网络已断开" in await page.inner_text("#net-banner-text")
    await context.set_offline(False)
    await page.click("#net-retry")
    await page.wait_for_url("**/villages/**", timeout=20_000)
    await context.close()


async def test_a_refused_form_post_shows_the_banner_and_keeps_the_form(live_server, browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    await login(page, live_server)
    await _start_page(page, live_server)
    # the CSRF cookie changed under the page (another tab, a cleared cookie): the post is refused with 403
    await context.add_cookies([{"name": get_settings().csrf_cookie, "value": "stale", "url": live_server}])
    await page.click("#visit-start-submit")
    await page.wait_for_selector("#net-banner", state="visible", timeout=10_000)
    assert "无权操作" in await page.inner_text("#net-banner-text")
    assert await page.input_value("#manual_lat") == "35.8768"
    assert await page.is_visible("#visit-start-form")
    await context.close()


async def test_a_bar_runs_while_a_request_is_under_way(live_server, browser):
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    await login(page, live_server)

    async def slow(route):
        await asyncio.sleep(1.5)
        await route.continue_()

    await page.route("**/villages/**", slow)
    await page.click("#villages tbody tr:first-child a")
    await page.wait_for_selector("html.net-busy", state="attached", timeout=1_000)
    await page.wait_for_url("**/villages/**", timeout=20_000)
    await page.wait_for_selector("html:not(.net-busy)", state="attached", timeout=5_000)
    await context.close()


async def test_a_failed_status_poll_is_tried_again(live_server, browser, tmp_path):
    """A job's status poll that fails once (a dropped packet, a 503 while the server is busy) keeps polling.

    Each poll replaces its element with the next one (hx-trigger "load delay:1s"); a poll that fails swaps
    nothing, so before the fix the chain ended there and the page showed 正在识别 forever.
    """
    from tests.support.idcards import make_card

    front, _ = make_card(14)
    (tmp_path / "front.jpg").write_bytes(front)
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = await context.new_page()
    await login(page, live_server)
    await _start_page(page, live_server)
    await page.click("#visit-start-submit")
    await page.wait_for_selector('#visit-step[data-step="borrower_id"]', timeout=20_000)

    polls = {"failed": 0, "after": 0}

    async def flaky(route):  # no ML worker runs here: the read stays pending and the page keeps asking
        if route.request.headers.get("hx-request") != "true" or route.request.method != "GET":
            await route.continue_()
        elif not polls["failed"]:
            polls["failed"] = 1
            await route.fulfill(status=503, body="busy")
        else:
            polls["after"] += 1
            await route.continue_()

    await page.route("**/visits/*/reads/*", flaky)
    form = "#idcard-borrower-front-form"
    await page.set_input_files(f"{form} input[name=image]", str(tmp_path / "front.jpg"))
    await page.eval_on_selector(form, "f => f.requestSubmit()")
    for _ in range(60):
        if polls["after"] >= 2:
            break
        await asyncio.sleep(0.5)
    assert polls["failed"] == 1
    assert polls["after"] >= 2, "the status poll stopped after one failure"
    await context.close()
