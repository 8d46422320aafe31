import json

import httpx
import pytest

from app.config import Env
from app.integrations.sms import HttpSms, SandboxSms, SmsError
from app.wiring import Adapters


async def test_the_sandbox_records_messages_and_shows_codes_only_when_asked():
    hidden, shown = SandboxSms(), SandboxSms(expose_codes=True)
    for sms in (hidden, shown):
        await sms.send(phone="13800000000", text="code 111111", code="111111")
        await sms.send(phone="13800000000", text="code 222222", code="222222")
        await sms.send(phone="13900000000", text="hello")
    assert [m.code for m in hidden.messages] == ["111111", "222222", ""]
    assert hidden.last_code("13800000000") is None
    assert shown.last_code("13800000000") == "222222" and shown.last_code("13900000000") is None


def test_wired_sms_exposes_codes_in_dev_and_test_only(settings):
    for env, exposed in ((Env.DEV, True), (Env.TEST, True), (Env.PROD, False)):
        sms = Adapters.from_settings(settings.model_copy(update={"env": env})).sms
        assert isinstance(sms, SandboxSms) and sms.expose_codes is exposed
    assert isinstance(Adapters.from_settings(settings.model_copy(update={"sms_url": "https://sms.example/send"})).sms, HttpSms)


async def test_the_http_client_posts_json_with_the_key_and_raises_on_failure():
    seen = []

    def handler(request: httpx.Request) -> httpx.Response:
        seen.append((request.headers["x-api-key"], json.loads(request.content)))
        return httpx.Response(200 if len(seen) == 1 else 503)

    sms = HttpSms("https://sms.example/send", api_key="k1", transport=httpx.MockTransport(handler))
    await sms.send(phone="13800000000", text="您的验证码 123456", code="123456")
    assert seen == [("k1", {"phone": "13800000000", "text": "您的验证码 123456"})]
    with pytest.raises(SmsError):
        await sms.send(phone="13800000000", text="again")
