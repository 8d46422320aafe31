"""Write-off through maker-checker in Chromium: an officer proposes a write-off, sees that they cannot approve it, the
head-office approver approves it on the 待复核 page, a recovery is booked, and the report shows it."""

from __future__ import annotations

import pytest

from app.models import Loan
from tests.e2e.conftest import artifact
from tests.factories import DEMO_PASSWORD
from tests.ui.test_check_pages import loss_loan

pytestmark = pytest.mark.e2e


async def sign_in(browser, live_server, username):
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    await page.goto(f"{live_server}/login")
    await page.fill("#username", username)
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(lambda url: "/login" not in url)
    return page


async def test_an_officer_proposes_a_write_off_and_a_second_officer_approves_it(vault, live_server, browser):
    loan = await loss_loan(vault)
    maker = await sign_in(browser, live_server, "officer1")
    await maker.goto(f"{live_server}/loans/{loan.id}")
    await maker.fill("#write-off-reason", "借款人死亡，无遗产可供清偿")
    await maker.click("#write-off-propose")
    await maker.wait_for_url(lambda url: "/checks/" in url)
    await maker.locator("#effect-now").wait_for()
    # the maker sees the request and its effect, but no approve button: they cannot check their own
    assert await maker.locator("#command-approve").count() == 0
    assert "权限" in await maker.locator("#command-why-not").inner_text()
    await maker.screenshot(path=str(artifact("write-off-maker.png")))

    checker = await sign_in(browser, live_server, "hq_approver")
    await checker.goto(f"{live_server}/checks")
    await checker.locator("#check-queue a", has_text="查看").first.click()
    await checker.locator("#effect-now").wait_for()
    effect = await checker.locator("#effect-now").inner_text()
    assert "¥12,000.00" in effect and "本行拨备覆盖率" in effect
    await checker.screenshot(path=str(artifact("write-off-checker.png")))
    await checker.click("#command-approve")
    await checker.locator("#command-status", has_text="已通过").wait_for()
    assert (await Loan.get(id=loan.id)).status == "written_off"

    await maker.goto(f"{live_server}/loans/{loan.id}")
    await maker.fill("#recover-amount", "3000")
    await maker.click("#recover-submit")
    await maker.locator("#written-off-recovered", has_text="¥3,000.00").wait_for()

    await checker.goto(f"{live_server}/reports")
    await checker.locator("#report-recovered", has_text="¥3,000.00").wait_for()
    assert "¥9,000.00" in await checker.locator("#report-stock").inner_text()
    assert await checker.locator("#report-written-off-count").inner_text() == "1"
    await checker.screenshot(path=str(artifact("write-off-report.png")), full_page=True)
