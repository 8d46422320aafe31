"""SMS gateway (短信平台): one-time codes for borrower sign-in and drawdown confirmation.

`SandboxSms` sends nothing: it keeps the messages in memory (newest last, at most
`keep` of them). Only when it is built with `expose_codes=True` — `app/wiring.py` does
that for `CUNXIN_ENV` dev and test, never prod — does `last_code(phone)` hand out
the last code sent to a phone, so a developer can sign in without a phone; and then,
with a `log` (`RedisSmsLog`), every message is also written to Redis, where the
`/dev/sms` page of any web process reads them (`recent`). See docs/sandbox.md.
"""

from __future__ import annotations

import json
import logging
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, Protocol

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


logger = logging.getLogger(__name__)


class RedisSmsLog:
    """The sandbox's sent messages in one Redis list (newest first, at most `keep`, gone after a day of quiet).

    Dev and test only (`app/wiring.py`): a sandbox message is no secret, and the list lets the `/dev/sms` page
    of any process show what the web, the worker or the CLI sent. Redis being away loses the entry, never the send.
    """

    KEY = "cunxin:sandbox:sms"

    def __init__(self, connect: Callable[[], Any], *, keep: int = 200, ttl_seconds: int = 86_400) -> None:
        self._connect = connect  # -> a redis.asyncio.Redis, built on first use
        self._redis: Any = None
        self.keep, self.ttl_seconds = keep, ttl_seconds

    def _client(self) -> Any:
        if self._redis is None:
            self._redis = self._connect()
        return self._redis

    async def append(self, message: SmsMessage) -> None:
        entry = json.dumps({"phone": message.phone, "text": message.text, "code": message.code, "sent_at": message.sent_at.isoformat()},
                           ensure_ascii=False)
        try:
            async with self._client().pipeline(transaction=True) as pipe:
                await pipe.lpush(self.KEY, entry).ltrim(self.KEY, 0, self.keep - 1).expire(self.KEY, self.ttl_seconds).execute()
        except Exception as exc:  # the sandbox's log is a convenience: the message still "went"
            logger.warning("sandbox sms log: redis unavailable (%s)", type(exc).__name__)

    async def recent(self, limit: int = 100) -> list[SmsMessage]:
        rows = await self._client().lrange(self.KEY, 0, limit - 1)
        out = []
        for raw in rows:
            d = json.loads(raw)
            out.append(SmsMessage(phone=d["phone"], text=d["text"], code=d["code"], sent_at=datetime.fromisoformat(d["sent_at"])))
        return out


class SandboxSms:
    def __init__(self, *, expose_codes: bool = False, keep: int = 1000, log: RedisSmsLog | None = None) -> None:
        self.expose_codes = expose_codes
        self.messages: deque[SmsMessage] = deque(maxlen=keep)
        self.log = log if expose_codes else None  # never a shared log of codes unless codes are exposed (dev/test)

    async def send(self, *, phone: str, text: str, code: str = "") -> None:
        message = SmsMessage(phone=phone, text=text, code=code, sent_at=now_utc())
        self.messages.append(message)
        if self.log is not None:
            await self.log.append(message)

    async def recent(self, limit: int = 100) -> list[SmsMessage]:
        """The messages every process sent, newest first (the Redis log); empty unless codes are exposed (dev/test)."""
        if self.log is None:
            return []
        return await self.log.recent(limit)

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

