import asyncio
import base64
import json
from datetime import date

import httpx
import pytest

from app.config import Settings
from app.domain import idcard
from app.integrations.identity import (
    HttpIdentityCheck,
    IdentityCheckError,
    IdentityCheckTimeout,
    IdentityResult,
    SandboxIdentityCheck,
)
from app.wiring import Adapters


def number(sequence: int) -> str:
    return idcard.make_number("141023", date(1980, 5, 17), sequence)


async def check(checker, id_number: str, name: str = "王建国", portrait: bytes | None = None) -> IdentityResult:
    return await checker.check(name=name, id_number=id_number, portrait=portrait)


@pytest.mark.parametrize(
    ("id_number", "portrait", "match", "code", "message"),
    [
        (number(101), None, True, "MATCH", "姓名与号码一致"),
        (number(869), None, True, "MATCH", "姓名与号码一致"),
        (number(101), b"jpeg", True, "MATCH", "姓名与号码一致"),
        ("141023198005171019", None, False, "NO_SUCH_NUMBER", "号码不存在"),  # wrong check code
        ("14102319800517", None, False, "NO_SUCH_NUMBER", "号码不存在"),
        (number(870), None, False, "NO_SUCH_NUMBER", "号码不存在"),
        (number(879), None, False, "NO_SUCH_NUMBER", "号码不存在"),
        (number(880), None, False, "NAME_MISMATCH", "姓名与号码不一致"),
        (number(889), None, False, "NAME_MISMATCH", "姓名与号码不一致"),
        (number(890), None, False, "DEACTIVATED", "号码已注销（死亡）"),
        (number(894), None, False, "DEACTIVATED", "号码已注销（死亡）"),
        (number(895), b"jpeg", False, "PORTRAIT_MISMATCH", "人像比对不一致"),
        (number(897), b"jpeg", False, "PORTRAIT_MISMATCH", "人像比对不一致"),
        (number(897), None, True, "MATCH", "姓名与号码一致"),
    ],
)
async def test_sandbox_table(id_number, portrait, match, code, message):
    result = await check(SandboxIdentityCheck(), id_number, portrait=portrait)
    assert result == IdentityResult(match=match, code=code, message=message)
    assert await check(SandboxIdentityCheck(), id_number, portrait=portrait) == result  # deterministic


async def test_sandbox_empty_name_does_not_match():
    assert (await check(SandboxIdentityCheck(), number(101), name="  ")).code == "NAME_MISMATCH"


async def test_sandbox_timeout_and_error():
    with pytest.raises(IdentityCheckTimeout):
        await check(SandboxIdentityCheck(), number(899))
    with pytest.raises(IdentityCheckError) as err:
        await check(SandboxIdentityCheck(), number(898))
    assert err.value.code == "IDENTITY_CHECK_UNAVAILABLE" and not isinstance(err.value, IdentityCheckTimeout)


def http_check(handler, timeout_seconds=2.0) -> HttpIdentityCheck:
    return HttpIdentityCheck(url="https://nciic.example/verify", timeout_seconds=timeout_seconds, transport=httpx.MockTransport(handler))


async def test_http_request_shape_and_answer():
    seen = []

    def handler(request):
        seen.append(request)
        return httpx.Response(200, json={"code": "NAME_MISMATCH", "message": "姓名不符"})

    result = await check(http_check(handler), number(101), portrait=b"\xff\xd8jpeg")
    assert result == IdentityResult(match=False, code="NAME_MISMATCH", message="姓名不符")
    (request,) = seen
    assert request.method == "POST" and str(request.url) == "https://nciic.example/verify"
    assert json.loads(request.content) == {"name": "王建国", "idNumber": number(101), "portrait": base64.b64encode(b"\xff\xd8jpeg").decode()}


async def test_http_match_without_message_gets_the_standard_text():
    result = await check(http_check(lambda r: httpx.Response(200, json={"code": "MATCH"})), number(101))
    assert result == IdentityResult(match=True, code="MATCH", message="姓名与号码一致")


@pytest.mark.parametrize(
    ("handler", "error", "code"),
    [
        (lambda r: httpx.Response(504), IdentityCheckTimeout, "IDENTITY_CHECK_TIMEOUT"),
        (lambda r: (_ for _ in ()).throw(httpx.ConnectTimeout("slow", request=r)), IdentityCheckTimeout, "IDENTITY_CHECK_TIMEOUT"),
        (lambda r: (_ for _ in ()).throw(httpx.ConnectError("refused", request=r)), IdentityCheckError, "IDENTITY_CHECK_UNAVAILABLE"),
        (lambda r: httpx.Response(503), IdentityCheckError, "IDENTITY_CHECK_UNAVAILABLE"),
        (lambda r: httpx.Response(200, text="not json"), IdentityCheckError, "IDENTITY_CHECK_BAD_RESPONSE"),
        (lambda r: httpx.Response(200, json={"code": "MAYBE"}), IdentityCheckError, "IDENTITY_CHECK_BAD_RESPONSE"),
        (lambda r: httpx.Response(200, json=["MATCH"]), IdentityCheckError, "IDENTITY_CHECK_BAD_RESPONSE"),
    ],
)
async def test_http_failures(handler, error, code):
    with pytest.raises(error) as err:
        await check(http_check(handler), number(101))
    assert err.value.code == code


async def test_http_slow_answer_times_out():
    async def handler(request):
        await asyncio.sleep(5)
        return httpx.Response(200, json={"code": "MATCH"})

    with pytest.raises(IdentityCheckTimeout):
        await check(http_check(handler, timeout_seconds=0.05), number(101))


def test_wiring_picks_the_sandbox_unless_a_url_is_set():
    assert isinstance(Adapters.from_settings(Settings()).identity_check, SandboxIdentityCheck)
    real = Adapters.from_settings(Settings(identity_url="https://nciic.bank/verify", bureau_timeout_seconds=4)).identity_check
    assert isinstance(real, HttpIdentityCheck) and real.url == "https://nciic.bank/verify" and real.timeout_seconds == 4
