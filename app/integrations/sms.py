"""SMS gateway (短信平台): one-time codes for borrower sign-in and drawdown confirmation.

`SandboxSms` sends nothing: it keeps the messages in memory (newest last, at most
`keep` of them). Only when it is built with `expose_codes=True` — `app/wiring.py` does
that for `CUNXIN_ENV` dev and test, never prod — does `last_code(phone)` hand out
the last code sent to a phone, so a developer can sign in without a phone.
See docs/sandbox.md.
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

import httpx

from app.clock import now_utc


@dataclass(frozen=True, slots=True)
class SmsMessage:
    phone: str
    text: str
    code: str  # the one-time code the text carries ("" for other messages)
    sent_at: datetime


class SmsError(Exception):
    """The gateway refused the message or could not be reached: nothing was sent."""


class SmsSender(Protocol):
    async def send(self, *, phone: str, text: str, code: str = "") -> None: ...


class SandboxSms:
    def __init__(self, *, expose_codes: bool = False, keep: int = 1000) -> None:
        self.expose_codes = expose_codes
        self.messages: deque[SmsMessage] = deque(maxlen=keep)

    async def send(self, *, phone: str, text: str, code: str = "") -> None:
        self.messages.append(SmsMessage(phone=phone, text=text, code=code, sent_at=now_utc()))

    def last_code(self, phone: str) -> str | None:
        """The last code sent to `phone`; always None unless codes are exposed (dev/test)."""
        if not self.expose_codes:
            return None
        for message in reversed(self.messages):
            if message.phone == phone and message.code:
                return message.code
        return None


class HttpSms:
    """The real gateway: `POST {url}` with JSON `{"phone", "text"}` and an `X-Api-Key` header; 2xx means accepted."""

    def __init__(self, url: str, *, api_key: str, timeout: float = 5.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._url = url
        self._client = httpx.AsyncClient(timeout=timeout, headers={"X-Api-Key": api_key}, transport=transport)

    async def send(self, *, phone: str, text: str, code: str = "") -> None:
        try:
            response = await self._client.post(self._url, json={"phone": phone, "text": text})
            response.raise_for_status()
        except httpx.HTTPError as exc:
            raise SmsError(f"sms gateway failed: {type(exc).__name__}") from exc

