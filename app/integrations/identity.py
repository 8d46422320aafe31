"""Online identity check (公民身份信息联网核查): name + ID number (+ portrait) -> match or why not.

`SandboxIdentityCheck` answers from a documented table (docs/sandbox.md) keyed by
the three-digit sequence code of the ID number; `HttpIdentityCheck` calls the real
service by URL. Adapters raise `IdentityCheckError` / `IdentityCheckTimeout` when
there is no answer; a "no" is an answer (`IdentityResult(match=False, ...)`).
"""

from __future__ import annotations

import asyncio
import base64
from dataclasses import dataclass
from typing import Protocol

import httpx

from app.domain import idcard

MATCH = "MATCH"
NO_SUCH_NUMBER = "NO_SUCH_NUMBER"
NAME_MISMATCH = "NAME_MISMATCH"
DEACTIVATED = "DEACTIVATED"
PORTRAIT_MISMATCH = "PORTRAIT_MISMATCH"

MESSAGES = {
    MATCH: "姓名与号码一致",
    NO_SUCH_NUMBER: "号码不存在",
    NAME_MISMATCH: "姓名与号码不一致",
    DEACTIVATED: "号码已注销（死亡）",
    PORTRAIT_MISMATCH: "人像比对不一致",
}


@dataclass(frozen=True, slots=True)
class IdentityResult:
    match: bool
    code: str  # one of MESSAGES
    message: str  # Chinese, for the officer

    @classmethod
    def of(cls, code: str) -> IdentityResult:
        return cls(match=code == MATCH, code=code, message=MESSAGES[code])


class IdentityCheckError(Exception):
    code = "IDENTITY_CHECK_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class IdentityCheckTimeout(IdentityCheckError):
    code = "IDENTITY_CHECK_TIMEOUT"


class IdentityCheck(Protocol):
    async def check(self, *, name: str, id_number: str, portrait: bytes | None = None) -> IdentityResult: ...


# --- sandbox --------------------------------------------------------------------------------

# Sequence code (ID number characters 15-17) -> answer. Not listed: a match.
# Keep docs/sandbox.md in step with this table.
SANDBOX_TABLE: tuple[tuple[range, str], ...] = (
    (range(870, 880), NO_SUCH_NUMBER),  # a well-formed number nobody holds
    (range(880, 890), NAME_MISMATCH),
    (range(890, 895), DEACTIVATED),
    (range(895, 898), PORTRAIT_MISMATCH),  # only when a portrait is sent; without one: a match
    (range(898, 899), "error"),
    (range(899, 900), "timeout"),
)


def sandbox_outcome(id_number: str, *, with_portrait: bool = False) -> str:
    """The sandbox's answer code for a number (assumed well-formed), "error" or "timeout"."""
    sequence = int(idcard.normalize(id_number)[14:17])
    for codes, outcome in SANDBOX_TABLE:
        if sequence in codes:
            if outcome == PORTRAIT_MISMATCH and not with_portrait:
                return MATCH
            return outcome
    return MATCH


class SandboxIdentityCheck:
    async def check(self, *, name: str, id_number: str, portrait: bytes | None = None) -> IdentityResult:
        if not idcard.is_valid(id_number):
            return IdentityResult.of(NO_SUCH_NUMBER)
        if not name.strip():
            return IdentityResult.of(NAME_MISMATCH)
        outcome = sandbox_outcome(id_number, with_portrait=bool(portrait))
        if outcome == "timeout":
            raise IdentityCheckTimeout("联网核查超时（沙箱）")
        if outcome == "error":
            raise IdentityCheckError("联网核查系统繁忙，请稍后再试（沙箱）", code="IDENTITY_CHECK_UNAVAILABLE")
        return IdentityResult.of(outcome)


# --- the real service ----------------------------------------------------------------------


class HttpIdentityCheck:
    """POST {url} with JSON {name, idNumber, portrait (base64 or null)};
    the answer is JSON {"code": one of MESSAGES, "message": optional text}."""

    def __init__(
        self, *, url: str, timeout_seconds: float = 10.0, transport: httpx.AsyncBaseTransport | None = None
    ) -> None:
        self.url = url
        self.timeout_seconds = timeout_seconds
        self._transport = transport

    async def check(self, *, name: str, id_number: str, portrait: bytes | None = None) -> IdentityResult:
        payload = {
            "name": name,
            "idNumber": id_number,
            "portrait": base64.b64encode(portrait).decode() if portrait else None,
        }
        try:
            async with (
                asyncio.timeout(self.timeout_seconds),
                httpx.AsyncClient(timeout=httpx.Timeout(self.timeout_seconds), transport=self._transport) as client,
            ):
                response = await client.post(self.url, json=payload)
        except (TimeoutError, httpx.TimeoutException):
            raise IdentityCheckTimeout(f"联网核查超时（{self.timeout_seconds:g} 秒）") from None
        except httpx.HTTPError as exc:
            raise IdentityCheckError(f"无法连接联网核查系统（{type(exc).__name__}）", code="IDENTITY_CHECK_UNAVAILABLE") from None
        if response.status_code == 504:
            raise IdentityCheckTimeout("联网核查超时（网关超时）")
        if response.status_code != 200:
            raise IdentityCheckError(f"联网核查返回错误（HTTP {response.status_code}）", code="IDENTITY_CHECK_UNAVAILABLE")
        try:
            data = response.json()
        except ValueError:
            data = None
        code = data.get("code") if isinstance(data, dict) else None
        if code not in MESSAGES:
            raise IdentityCheckError("联网核查返回了无法识别的结果", code="IDENTITY_CHECK_BAD_RESPONSE")
        message = data.get("message")
        if not isinstance(message, str) or not message.strip():
            message = MESSAGES[code]
        return IdentityResult(match=code == MATCH, code=code, message=message[:128])
