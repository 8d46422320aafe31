"""The prepayment form in Chromium: the quote follows the amount as it is typed, and a payoff asks first."""

from __future__ import annotations

import uuid
from datetime import timedelta

import pytest

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Loan
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from tests.e2e.conftest import artifact
from tests.factories import DEMO_PASSWORD, customer_with_line
from tests.services.lending.conftest import TODAY

pytestmark = pytest.mark.e2e


async def _loan(vault) -> Loan:
    _, line = await customer_with_line(vault)
    return await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)


async def signed_in_page(browser, live_server):
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{live_server}/login")
    await page.fill("#username", "officer1")
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#villages")
    return page, errors


async def test_the_quote_follows_the_amount_and_a_payoff_is_confirmed(vault, live_server, browser):
    await business_date.set_current(TODAY + timedelta(days=10))
    loan = await _loan(vault)
    page, errors = await signed_in_page(browser, live_server)
    await page.goto(f"{live_server}/loans/{loan.id}")
    quote = page.locator("#prepay-quote")
    await page.locator("#prepay-submit", has_text="全部结清").wait_for()
    assert "¥12,015.00" in await quote.inner_text()
    # typing an amount updates the quote, twice in a row (the second swap used to find no target)
    await page.fill("#prepay_amount", "3000")
    await page.locator("#prepay-total", has_text="应付 ¥3,0").wait_for()
    first = await quote.inner_text()
    assert "全部结清" not in first
    await page.fill("#prepay_amount", "5000")
    await page.locator("#prepay-total", has_text="应付 ¥5,0").wait_for()
    assert await quote.inner_text() != first
    # back to empty: a payoff, which asks first and states the amount; cancel leaves the loan alone
    await page.fill("#prepay_amount", "")
    await page.locator("#prepay-submit", has_text="全部结清").wait_for()
    await page.click("#prepay-submit")
    dialog = page.locator("dialog#confirm-dialog[open]")
    await dialog.wait_for()
    assert "¥12,015.00" in await dialog.inner_text()
    await page.screenshot(path=str(artifact("prepay-confirm.png")))
    await dialog.get_by_role("button", name="取消").click()
    await page.wait_for_timeout(500)
    assert (await Loan.get(id=loan.id)).status == "active"
    # confirm: paid off
    await page.click("#prepay-submit")
    await dialog.wait_for()
    await dialog.get_by_role("button", name="确认").click()
    await page.locator("#prepay-submit").wait_for(state="detached")
    assert (await Loan.get(id=loan.id)).status == "settled"
    assert not [e for e in errors if "targetError" in e or "htmx" in e.lower()], errors
