"""/dev/sms (issue 18): the sandbox's SMS messages, read from Redis by any process, in dev and test only."""

from app.integrations.sms import RedisSmsLog
from tests.factories.borrower import PHONE, borrower, gql, last_sms_code


async def test_the_page_shows_the_code_of_a_sign_in_request(client, app, demo, vault):
    # given a borrower who asks for a sign-in code in the app
    await borrower(vault)
    asked = (await gql(client, "SignInRequestCode", {"input": {"phone": PHONE}}))["data"]["signInRequestCode"]
    assert asked["errors"] == []
    code = last_sms_code(app)
    # when a developer opens /dev/sms
    page = await client.get("/dev/sms")
    # then the code is listed beside the masked phone, newest first, and the page is not cached
    assert page.status_code == 200 and page.headers["cache-control"] == "no-store"
    assert "沙箱短信" in page.text and "138****0000" in page.text
    first_row = page.text.split("<tbody>")[1].split("</tr>")[0]
    assert f"<strong>{code}</strong>" in first_row and PHONE not in page.text


async def test_the_log_is_shared_through_redis_not_the_process(app, demo, vault, settings):
    # a second gateway (another process: the worker, the CLI) sees what this one sent
    from app.wiring import Adapters

    sms = app.state.sms
    other = Adapters.from_settings(settings).sms
    await sms.send(phone="13900000009", text="【村信】验证码 424242，5 分钟内有效", code="424242")
    seen = await other.recent(5)
    assert [(m.phone, m.code) for m in seen][0] == ("13900000009", "424242")
    assert isinstance(other.log, RedisSmsLog)


async def test_the_page_does_not_exist_in_production(client, app, demo):
    app.state.settings = app.state.settings.model_copy(update={"env": "prod"})
    page = await client.get("/dev/sms")
    assert page.status_code == 404 and "沙箱短信" not in page.text
