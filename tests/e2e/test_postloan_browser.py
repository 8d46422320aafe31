"""A post-loan check in Chromium, from the officer's workbench to the branch manager's review.

The officer opens the overdue check from the workbench, photographs the household's business, is
told every missing answer at once, completes the form with the tablet's location and submits; the
branch manager opens it from their workbench and approves: the check is confirmed, its record is in
the customer's e-archive and its 关注 conclusion is an early warning.
"""

from __future__ import annotations

from datetime import timedelta

import pytest

from app.domain.postloan import CheckStatus
from app.domain.warnings import WarningKind
from app.models import Document, EarlyWarning, PostLoanCheck
from app.services import business_date
from tests.e2e.conftest import artifact
from tests.factories import DEMO_PASSWORD
from tests.factories.postloan import jpeg, loan_with_check

pytestmark = pytest.mark.e2e

VILLAGE = {"latitude": 35.8770, "longitude": 111.4425, "accuracy": 15}


async def _signed_in(browser, live_server, username: str):
    context = await browser.new_context(viewport={"width": 1280, "height": 800}, locale="zh-CN", geolocation=VILLAGE, permissions=["geolocation"])
    page = await context.new_page()
    errors: list[str] = []
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    await page.goto(f"{live_server}/login")
    await page.fill("#username", username)
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("h1:has-text('工作台')")
    return context, page, errors


async def test_a_post_loan_check_from_the_workbench_to_the_managers_review(vault, live_server, browser, tmp_path):
    # given a loan whose first check is two days overdue
    customer, loan, check = await loan_with_check(vault)
    await business_date.set_current(check.due_on + timedelta(days=2))
    photo = tmp_path / "shop.jpg"
    photo.write_bytes(jpeg())

    # the officer: from the workbench to the check
    context, page, errors = await _signed_in(browser, live_server, "officer1")
    await page.click(f"#task-postloan-{check.id}-go")
    await page.wait_for_selector("#check-form")
    assert "逾期 2 天" in await page.inner_text(f"#check-{check.id}-facts")
    # a photo of the business
    await page.set_input_files("#check-photo", str(photo))
    await page.click("#check-photo-upload")
    await page.locator("#check-photos img").first.wait_for()
    # submitting with nothing answered: every problem at once, at its input
    await page.locator("#geo-status", has_text="已定位").wait_for()
    await page.select_option("#conclusion", "watch")
    await page.click("#check-submit")
    await page.locator("#check-errors").wait_for()
    shown = await page.locator("#check-form .error").all_inner_texts()
    assert {"请选择资金用途是否与约定一致", "请选择家庭经营状况", "请选择还款能力", "请选择担保情况"} <= set(shown), shown
    assert any("请填写检查说明" in t for t in shown), shown
    assert (await PostLoanCheck.get(id=check.id)).status == CheckStatus.DUE
    # the complete record
    await page.locator("#geo-status", has_text="已定位").wait_for()
    await page.select_option("#funds_use", "consistent")
    await page.select_option("#household", "declining")
    await page.select_option("#repayment", "adequate")
    await page.select_option("#guarantee", "none")
    await page.check("input[name=risk_signals][value=family_event]")
    await page.fill("#note", "户主住院两个月，养殖规模缩小")
    await page.screenshot(path=str(artifact("postloan-check-form.png")), full_page=True)
    await page.click("#check-submit")
    await page.locator("#check-status", has_text="待复核").wait_for()
    submitted = await PostLoanCheck.get(id=check.id)
    assert submitted.status == CheckStatus.SUBMITTED and submitted.location_source == "device" and abs(submitted.lat - VILLAGE["latitude"]) < 1e-4
    assert not [e for e in errors if "htmx" in e.lower()], errors
    await context.close()

    # the branch manager: from their workbench to the review, and approve
    context, page, errors = await _signed_in(browser, live_server, "manager")
    await page.click(f"#task-postloan-{check.id}-go")
    await page.wait_for_selector("#review-form")
    assert "户主住院两个月" in await page.inner_text("#check-record")
    await page.fill("#review_note", "同意，列入关注")
    await page.click("#review-approve")
    await page.locator("#check-status", has_text="已复核").wait_for()
    await page.screenshot(path=str(artifact("postloan-reviewed.png")), full_page=True)
    await context.close()

    done = await PostLoanCheck.get(id=check.id)
    assert done.status == CheckStatus.CONFIRMED and done.review_note == "同意，列入关注"
    warning = await EarlyWarning.get(loan_id=loan.id, kind=WarningKind.POST_LOAN_CHECK)
    assert done.effects == {"warningId": str(warning.id)}
    record = await Document.get(id=done.record_document_id)
    assert record.customer_id == customer.id and record.content_type == "application/json"
