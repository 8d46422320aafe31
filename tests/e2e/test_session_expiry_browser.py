"""A session that expires while a form is open: the step's POST leads to 登录已过期 and back to the same page (issue 19 #6)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from app import clock
from app.models import OfficerSession
from app.services import business_date
from tests.e2e.conftest import artifact
from tests.e2e.test_prepay_browser import _loan, signed_in_page
from tests.factories import DEMO_PASSWORD
from tests.services.lending.conftest import TODAY

pytestmark = pytest.mark.e2e


async def test_an_expired_session_returns_to_the_page_after_login(vault, live_server, browser):
    await business_date.set_current(TODAY + timedelta(days=10))
    loan = await _loan(vault)
    page, _ = await signed_in_page(browser, live_server)
    await page.goto(f"{live_server}/loans/{loan.id}")
    await OfficerSession.all().update(expires_at=clock.now_utc() - timedelta(minutes=1))
    await page.fill("#amount", "100")
    await page.get_by_role("button", name="确认还款").click()
    notice = page.locator("#login-notice")
    await notice.wait_for()
    assert await notice.inner_text() == "登录已过期，请重新登录"
    assert "Method Not Allowed" not in await page.content()
    await page.screenshot(path=str(artifact("session-expired.png")))
    await page.fill("#username", "officer1")
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("#login-form button[type=submit]")
    await page.wait_for_url(f"{live_server}/loans/{loan.id}")
    await page.locator("#payments").wait_for()
