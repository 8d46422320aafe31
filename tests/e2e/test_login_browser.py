import pytest

from tests.e2e.conftest import artifact
from tests.factories import DEMO_PASSWORD

pytestmark = pytest.mark.e2e


async def test_officer_logs_in_and_sees_the_dashboard(live_server, browser):
    page = await browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    # given the login page
    await page.goto(f"{live_server}/")
    assert page.url.startswith(f"{live_server}/login")
    # a wrong password first: the form comes back with the message, in place
    await page.fill("#username", "officer1")
    await page.fill("#password", "wrong-password")
    await page.click("button[type=submit]")
    await page.wait_for_selector("#password-error")
    assert "用户名或密码错误" in await page.inner_text("#password-error")
    # when the officer logs in
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    await page.wait_for_selector("#villages")
    # then the dashboard shows the officer, the branch and the villages
    assert await page.inner_text("#officer-name") == "张建华"
    assert await page.inner_text("#branch-name") == "襄汾农商行新城支行"
    rows = await page.locator("#villages tbody tr").all_inner_texts()
    assert [r.split("\t")[0] for r in rows] == ["西街村", "南关村"]
    assert await page.evaluate("typeof htmx") == "object"  # htmx served from ui/static/vendor
    await page.screenshot(path=str(artifact("dashboard.png")), full_page=True)
