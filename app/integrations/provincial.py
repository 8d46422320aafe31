"""The provincial credit system (省联社信用信息系统): granted lines and signed contracts are reported to it.

`SandboxProvincial` answers from the message's `customerHash` (docs/sandbox.md, "Provincial
sync"); `HttpProvincial` posts to `CUNXIN_PROVINCIAL_URL`. An adapter either returns a receipt,
raises `ProvincialUnavailable` (try again later) or `ProvincialRejected` (will never be accepted).
Messages carry no plaintext ID number: a hash and the masked number only.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any, Protocol
from uuid import UUID

import httpx


@dataclass(frozen=True, slots=True)
class ProvincialReceipt:
    ref: str  # the provincial system's reference for the message


class ProvincialError(Exception):
    code = "PROVINCIAL_ERROR"

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class ProvincialUnavailable(ProvincialError):
    """No answer, a timeout or a server error: retry later."""

    code = "PROVINCIAL_UNAVAILABLE"


class ProvincialRejected(ProvincialError):
    """The system refused the message itself: retrying cannot help."""

    code = "PROVINCIAL_REJECTED"


class ProvincialCreditSystem(Protocol):
    async def send(self, *, message_id: UUID, kind: str, payload: dict[str, Any], attempt: int) -> ProvincialReceipt: ...


# --- sandbox --------------------------------------------------------------------------------

# Last two hex digits of payload["customerHash"] -> behaviour. Keep docs/sandbox.md in step.
SANDBOX_FAILS_ONCE = "fc"  # unavailable on attempt 1, accepted on attempt 2
SANDBOX_FAILS_THRICE = "fd"  # unavailable on attempts 1-3, accepted on attempt 4
SANDBOX_ALWAYS_DOWN = "fe"  # always unavailable: ends as a dead letter after the last attempt
SANDBOX_REJECTS = "ff"  # rejected at once (a permanent error): dead letter after one attempt
SANDBOX_FAILURES = {SANDBOX_FAILS_ONCE: 1, SANDBOX_FAILS_THRICE: 3}


class SandboxProvincial:
    """Deterministic: the answer depends only on the payload and the attempt number."""

    async def send(self, *, message_id: UUID, kind: str, payload: dict[str, Any], attempt: int) -> ProvincialReceipt:
        customer_hash = str(payload.get("customerHash", ""))
        if len(customer_hash) != 64 or any(c not in "0123456789abcdef" for c in customer_hash):
            raise ProvincialRejected("报文缺少有效的客户标识（customerHash）")
        tail = customer_hash[-2:]
        if tail == SANDBOX_REJECTS:
            raise ProvincialRejected("省联社系统拒绝该报文（沙箱：客户标识以 ff 结尾）")
        if tail == SANDBOX_ALWAYS_DOWN or attempt <= SANDBOX_FAILURES.get(tail, 0):
            raise ProvincialUnavailable("省联社系统暂不可用（沙箱）")
        digest = hashlib.sha256(f"{message_id}:{kind}".encode()).hexdigest()[:12].upper()
        return ProvincialReceipt(ref=f"SBX-{digest}")


# --- the real client -------------------------------------------------------------------------


class HttpProvincial:
    """`POST {url}/messages` with JSON {id, kind, payload}; `Idempotency-Key` = the message id.

    2xx with JSON {"ref": "..."} → receipt; 400/409/422 → rejected; anything else, a timeout or a
    connection failure → unavailable.
    """

    def __init__(self, url: str, *, api_key: str = "", timeout_seconds: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.url = url.rstrip("/")
        self.api_key = api_key
        self.timeout = timeout_seconds
        self.transport = transport

    async def send(self, *, message_id: UUID, kind: str, payload: dict[str, Any], attempt: int) -> ProvincialReceipt:
        headers = {"Idempotency-Key": str(message_id), "X-Attempt": str(attempt)}
        if self.api_key:
            headers["Authorization"] = f"Bearer {self.api_key}"
        body = {"id": str(message_id), "kind": kind, "payload": payload}
        try:
            async with httpx.AsyncClient(timeout=self.timeout, transport=self.transport) as client:
                response = await client.post(f"{self.url}/messages", json=body, headers=headers)
        except httpx.HTTPError as exc:
            raise ProvincialUnavailable(f"省联社系统无法连接（{type(exc).__name__}）") from exc
        if response.status_code in (400, 409, 422):
            raise ProvincialRejected(f"省联社系统拒绝该报文（HTTP {response.status_code}）")
        if not response.is_success:
            raise ProvincialUnavailable(f"省联社系统暂不可用（HTTP {response.status_code}）")
        try:
            ref = response.json()["ref"]
        except (ValueError, KeyError, TypeError):
            raise ProvincialUnavailable("省联社系统应答格式不正确") from None
        if not isinstance(ref, str) or not ref or len(ref) > 64:
            raise ProvincialUnavailable("省联社系统应答格式不正确")
        return ProvincialReceipt(ref=ref)

