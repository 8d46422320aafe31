"""After `cunxin seed-demo` (the living demo, issue 18) every officer page a newcomer opens has data, and a demo
borrower signs in with the code read from /dev/sms and finds lines and loans at home (the app's `Me` document).
Screenshots in test-artifacts/demo-*.png."""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys

import httpx
import pytest

from app.config import ROOT
from tests.e2e.conftest import artifact, cunxin_running
from tests.factories import DEMO_PASSWORD
from tests.factories.borrower import gql

pytestmark = [pytest.mark.e2e, pytest.mark.slow]

PAGES = {  # path -> (screenshot, a selector that only matches a row of data)
    "/": ("demo-dashboard.png", "main"),
    "/reports": ("demo-reports.png", "main table tbody tr"),
    "/risk/warnings": ("demo-warnings.png", "main table tbody tr"),
    "/risk/collections": ("demo-collections.png", "main table tbody tr"),
}


@pytest.fixture
def seeded(db, redis_server):
    """`cunxin seed-demo` in a child process on the test database, as `make run` does on a fresh one."""
    done = subprocess.run([sys.executable, "-m", "app.cli", "seed-demo"], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True,
                          timeout=1500)
    assert done.returncode == 0, done.stderr[-4000:]
    assert "loans +23" in done.stdout, done.stdout
    with cunxin_running(dict(os.environ)) as url:
        yield url


async def test_after_seed_demo_the_officer_pages_and_a_borrowers_app_home_show_data(seeded, browser):
    page = await browser.new_page(viewport={"width": 1280, "height": 900}, locale="zh-CN")
    await page.goto(f"{seeded}/login")
    await page.fill("#username", "manager")  # 支行行长: the reports are for managers, approvers, admins and auditors
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_url(f"{seeded}/")
    for path, (shot, selector) in PAGES.items():
        await page.goto(f"{seeded}{path}")
        assert await page.locator(selector).count() > 0, f"{path}: no data"
        await page.screenshot(path=str(artifact(shot)), full_page=True)
    dashboard = await (await page.goto(f"{seeded}/")).text()
    assert "西街村" in dashboard

    # the app: 13900000001 asks for a code, the developer reads it on /dev/sms, signs in, and home has lines and loans
    async with httpx.AsyncClient(base_url=seeded, timeout=30) as client:
        asked = (await gql(client, "SignInRequestCode", {"input": {"phone": "13900000001"}}))["data"]["signInRequestCode"]
        assert asked["errors"] == []
        await page.goto(f"{seeded}/dev/sms")
        await page.screenshot(path=str(artifact("demo-dev-sms.png")), full_page=True)
        code = re.search(r'data-phone-tail="0001"><strong>(\d{6})</strong>', await page.content()).group(1)
        done = (await gql(client, "SignInVerify", {"input": {"phone": "13900000001", "code": code, "deviceId": "demo-e2e-0001"}}))["data"]["signInVerify"]
        assert done["errors"] == [], done
        me = (await gql(client, "Me", token=done["tokens"]["accessToken"]))["data"]["me"]
    assert me["creditLines"]["totalCount"] == 2 and me["loans"]["totalCount"] >= 2
    assert any(float(edge["node"]["available"]) > 0 for edge in me["creditLines"]["edges"])
    assert me["nextDue"] is not None and me["cards"]
    artifact("demo-app-home.json").write_text(json.dumps(me, ensure_ascii=False, indent=2), encoding="utf-8")
