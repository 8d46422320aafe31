import json
import uuid

import httpx
import pytest

from app.config import Settings
from app.integrations.provincial import (
    HttpProvincial,
    ProvincialRejected,
    ProvincialUnavailable,
    SandboxProvincial,
)
from app.wiring import Adapters

MESSAGE = uuid.UUID("00000000-0000-0000-0000-0000000000aa")


def hashed(tail: str) -> dict:
    return {"customerHash": "a" * 62 + tail, "lineId": "x"}


@pytest.mark.parametrize(
    ("tail", "failing_attempts", "permanent"),
    [("00", 0, False), ("fb", 0, False), ("fc", 1, False), ("fd", 3, False)],
)
async def test_sandbox_fails_a_documented_number_of_times_then_accepts(tail, failing_attempts, permanent):
    sandbox = SandboxProvincial()
    for attempt in range(1, failing_attempts + 1):
        with pytest.raises(ProvincialUnavailable):
            await sandbox.send(message_id=MESSAGE, kind="line_granted", payload=hashed(tail), attempt=attempt)
    receipt = await sandbox.send(message_id=MESSAGE, kind="line_granted", payload=hashed(tail), attempt=failing_attempts + 1)
    assert receipt.ref.startswith("SBX-") and len(receipt.ref) == 16
    again = await sandbox.send(message_id=MESSAGE, kind="line_granted", payload=hashed(tail), attempt=failing_attempts + 1)
    assert again == receipt  # deterministic


async def test_sandbox_down_for_good_and_rejections():
    sandbox = SandboxProvincial()
    with pytest.raises(ProvincialUnavailable):
        await sandbox.send(message_id=MESSAGE, kind="line_granted", payload=hashed("fe"), attempt=99)
    with pytest.raises(ProvincialRejected):
        await sandbox.send(message_id=MESSAGE, kind="line_granted", payload=hashed("ff"), attempt=1)
    with pytest.raises(ProvincialRejected):
        await sandbox.send(message_id=MESSAGE, kind="line_granted", payload={"customerHash": "xyz"}, attempt=1)


def _client(handler) -> HttpProvincial:
    return HttpProvincial("https://province.example/api/", api_key="k1", transport=httpx.MockTransport(handler))


async def test_http_client_posts_the_message_with_an_idempotency_key():
    seen = {}

    def handler(request: httpx.Request) -> httpx.Response:
        seen.update(url=str(request.url), headers=dict(request.headers), body=json.loads(request.content))
        return httpx.Response(200, json={"ref": "P-123"})

    receipt = await _client(handler).send(message_id=MESSAGE, kind="contract_signed", payload={"a": 1}, attempt=2)
    assert receipt.ref == "P-123"
    assert seen["url"] == "https://province.example/api/messages"
    assert seen["headers"]["idempotency-key"] == str(MESSAGE) and seen["headers"]["x-attempt"] == "2"
    assert seen["headers"]["authorization"] == "Bearer k1"
    assert seen["body"] == {"id": str(MESSAGE), "kind": "contract_signed", "payload": {"a": 1}}


@pytest.mark.parametrize(
    ("response", "error"),
    [
        (httpx.Response(422, json={"error": "bad"}), ProvincialRejected),
        (httpx.Response(409), ProvincialRejected),
        (httpx.Response(503), ProvincialUnavailable),
        (httpx.Response(200, text="not json"), ProvincialUnavailable),
        (httpx.Response(200, json={"ref": ""}), ProvincialUnavailable),
    ],
)
async def test_http_client_maps_answers(response, error):
    with pytest.raises(error):
        await _client(lambda request: response).send(message_id=MESSAGE, kind="line_granted", payload={}, attempt=1)


async def test_http_client_connection_failure_is_retryable():
    def handler(request):
        raise httpx.ConnectError("refused", request=request)

    with pytest.raises(ProvincialUnavailable):
        await _client(handler).send(message_id=MESSAGE, kind="line_granted", payload={}, attempt=1)


def test_sandbox_unless_a_url_is_configured():
    assert isinstance(Adapters.from_settings(Settings(provincial_url="")).provincial, SandboxProvincial)
    real = Adapters.from_settings(Settings(provincial_url="https://p.example", provincial_timeout_seconds=3)).provincial
    assert isinstance(real, HttpProvincial) and real.timeout == 3
