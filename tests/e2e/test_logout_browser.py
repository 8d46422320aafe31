"""Back after logout never shows the previous officer's pages (issue 19 #8c)."""

from __future__ import annotations

import pytest

from tests.e2e.test_prepay_browser import signed_in_page

pytestmark = pytest.mark.e2e


async def test_back_after_logout_shows_the_login_page_not_the_dashboard(live_server, browser):
    page, _ = await signed_in_page(browser, live_server)
    await page.goto(f"{live_server}/loans")
    await page.locator("#officer-name").wait_for()
    await page.click("#logout")
    await page.wait_for_url(f"{live_server}/login**")
    for _ in range(2):
        await page.go_back()
        await page.wait_for_load_state()
        await page.wait_for_timeout(500)
        assert "/login" in page.url or await page.locator("#login-form").count() == 1, page.url
        assert await page.locator("#officer-name, #villages, #loans").count() == 0
