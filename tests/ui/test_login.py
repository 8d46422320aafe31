import re

from app.models import OfficerSession
from tests.factories import DEMO_PASSWORD, csrf_token, login


async def test_login_page_full_and_fragment(client):
    full = await client.get("/login")
    assert full.status_code == 200
    assert "<html" in full.text and "客户经理登录" in full.text
    assert re.search(r"/static/vendor/htmx\.min\.[0-9a-f]{8}\.js", full.text)  # by its hashed name (ui/static_files.py)
    assert full.headers["vary"] == "HX-Request"
    fragment = await client.get("/login", headers={"HX-Request": "true"})
    assert fragment.status_code == 200
    assert "<html" not in fragment.text and 'id="login-form"' in fragment.text


async def test_post_without_csrf_token_is_refused(client, demo):
    await client.get("/login")  # has the cookie, but the form omits the token
    response = await client.post("/login", data={"username": "officer1", "password": DEMO_PASSWORD})
    assert response.status_code == 403
    assert "CSRF" in response.text
    assert await OfficerSession.all().count() == 0


async def test_post_with_a_wrong_csrf_token_is_refused(client, demo):
    await client.get("/login")
    response = await client.post("/login", data={"username": "officer1", "password": DEMO_PASSWORD, "csrf_token": "forged"})
    assert response.status_code == 403


async def test_wrong_password_and_unknown_user_rerender_the_form_with_one_message(client, demo):
    token = await csrf_token(client)
    wrong = await client.post("/login", data={"username": "officer1", "password": "nope", "csrf_token": token})
    unknown = await client.post("/login", data={"username": "ghost", "password": "nope", "csrf_token": token}, headers={"HX-Request": "true"})
    assert wrong.status_code == unknown.status_code == 422
    assert "用户名或密码错误" in wrong.text and "用户名或密码错误" in unknown.text
    assert "<html" not in unknown.text  # htmx gets just the form back
    assert await OfficerSession.all().count() == 0


async def test_empty_fields_get_field_messages(client, demo):
    token = await csrf_token(client)
    response = await client.post("/login", data={"username": "", "password": "", "csrf_token": token})
    assert response.status_code == 422
    assert "请输入用户名" in response.text and "请输入密码" in response.text


async def test_login_redirects_and_dashboard_shows_officers_villages(client, demo):
    response = await login(client)
    assert response.status_code == 303
    assert response.headers["location"] == "/"
    page = await client.get("/")
    assert page.status_code == 200
    assert "张建华" in page.text and "襄汾农商行新城支行" in page.text
    assert "西街村" in page.text and "南关村" in page.text
    assert "汾城村" not in page.text  # another officer's village
    assert page.text.count('<td class="num">3</td>') == 2  # three households in each of the two villages


async def test_manager_sees_every_village_of_the_branch_tree(client, demo):
    await login(client, username="admin")
    page = await client.get("/")
    assert all(v in page.text for v in ("西街村", "南关村", "汾城村"))


async def test_dashboard_redirects_anonymous_to_login(client):
    response = await client.get("/")
    assert response.status_code == 303
    assert response.headers["location"].startswith("/login?next=/")
    htmx = await client.get("/", headers={"HX-Request": "true"})
    assert htmx.headers["hx-redirect"].startswith("/login")


async def test_logout_revokes_the_session(client, demo):
    await login(client)
    token = await csrf_token(client)
    response = await client.post("/logout", data={"csrf_token": token})
    assert response.status_code == 303
    assert await OfficerSession.filter(revoked_at=None).count() == 0
    assert (await client.get("/")).status_code == 303


async def test_next_parameter_cannot_redirect_off_site(client, demo):
    token = await csrf_token(client)
    response = await client.post("/login", data={"username": "officer1", "password": DEMO_PASSWORD, "csrf_token": token, "next": "//evil.example/"})
    assert response.headers["location"] == "/"


async def test_boosted_navigation_gets_the_full_page(client):
    boosted = await client.get("/login", headers={"HX-Request": "true", "HX-Boosted": "true"})
    assert "<html" in boosted.text
    restore = await client.get("/login", headers={"HX-Request": "true", "HX-History-Restore-Request": "true"})
    assert "<html" in restore.text
