"""Irreversible actions ask first, in the styled dialog (ui/static/js/confirm.js): cancel does nothing, confirm proceeds (issue 19 #8a)."""

from __future__ import annotations

import pytest

from app.models import Appraisal
from tests.e2e.conftest import artifact
from tests.e2e.test_prepay_browser import signed_in_page
from tests.factories.villages import households, open_appraisal, vote

pytestmark = pytest.mark.e2e


async def test_ending_the_first_round_names_the_panellist_with_no_votes(live_server, browser):
    appraisal, members = await open_appraisal()  # 李村长, 赵大伯 and 张建华 (officer1) on the panel
    houses = await households()
    for house in houses:
        await vote(members[0], house)
    await vote(members[2], houses[0])
    page, errors = await signed_in_page(browser, live_server)
    await page.goto(f"{live_server}/appraisals/{appraisal.id}")
    end = page.get_by_role("button", name="结束初评，进入复评")
    await end.click()
    dialog = page.locator("dialog#confirm-dialog[open]")
    await dialog.wait_for()
    text = await dialog.inner_text()
    assert f"赵大伯 一户也没有评议（0/{len(houses)}）" in text and f"张建华（1/{len(houses)} 户）" in text
    assert await page.evaluate("document.activeElement.textContent") == "取消"  # the safe choice has the focus
    await page.screenshot(path=str(artifact("confirm-end-round.png")))
    await dialog.get_by_role("button", name="取消").click()
    await dialog.wait_for(state="hidden")
    await page.wait_for_timeout(500)
    assert (await Appraisal.get(id=appraisal.id)).status == "first_round"
    await end.click()
    await dialog.wait_for()
    await dialog.get_by_role("button", name="结束初评").click()
    for _ in range(100):  # the button's own text says 进入复评 too: wait for the round to end on the server
        if (await Appraisal.get(id=appraisal.id)).status == "review":
            break
        await page.wait_for_timeout(100)
    assert (await Appraisal.get(id=appraisal.id)).status == "review"
    assert await page.locator("dialog#confirm-dialog[open]").count() == 0
    assert not [e for e in errors if "confirm" in e or "htmx" in e.lower()], errors
