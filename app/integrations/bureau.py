"""Credit bureau front (征信前置): one personal report as XML in the interchange format 1.0.

`SandboxBureau` answers from a documented table (docs/sandbox.md) keyed by the
three-digit sequence code of the ID number (characters 15-17): which numbers give a
clean report, which one kind of trouble, which a timeout. `HttpBureau` talks to the
real front system. The services never know which one they hold.

Adapters raise `BureauError` / `BureauTimeout` (not domain errors): the service that
called them records the failed query and decides what it means.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable
from dataclasses import replace
from datetime import datetime, timedelta, timezone
from typing import Protocol

import httpx

from app.clock import now_utc
from app.domain import idcard
from app.domain.credit_report import MAX_BYTES, Query, QueryRecord
from app.integrations.sandbox import generate_report, to_xml

BEIJING = timezone(timedelta(hours=8))


class BureauError(Exception):
    """The bureau could not answer. `message` is Chinese, for the officer."""

    code = "BUREAU_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class BureauTimeout(BureauError):
    code = "BUREAU_TIMEOUT"


class CreditBureau(Protocol):
    async def fetch_report(self, *, id_number: str, name: str, reason: str, institution: str) -> bytes:
        """The subject's report as XML (interchange format 1.0)."""
        ...


# --- sandbox --------------------------------------------------------------------------------

# Sequence code (ID number characters 15-17) -> what the sandbox bureau answers.
# Everything not listed gets a clean report. Keep docs/sandbox.md in step with this table.
SANDBOX_TABLE: tuple[tuple[range, str], ...] = (
    (range(900, 910), "thin"),  # no credit record (白户)
    (range(910, 920), "current_overdue"),
    (range(920, 930), "lian_san_lei_liu"),
    (range(930, 940), "bad_debt"),
    (range(940, 950), "guarantor_repaid"),
    (range(950, 960), "special_mention"),
    (range(960, 970), "many_queries"),
    (range(970, 980), "problem_guarantee"),
    (range(980, 990), "frozen_card"),
    (range(990, 995), "public_record"),
    (range(995, 999), "error"),  # the front system answers with an error
    (range(999, 1000), "timeout"),  # the front system does not answer in time
)
DEFAULT_OUTCOME = "clean"


def sandbox_outcome(id_number: str) -> str:
    """The sandbox's answer for an ID number: a generator profile, "error" or "timeout"."""
    sequence = int(idcard.normalize(id_number)[14:17])
    for codes, outcome in SANDBOX_TABLE:
        if sequence in codes:
            return outcome
    return DEFAULT_OUTCOME


class SandboxBureau:
    """Deterministic: the same number on the same day gives the same report."""

    def __init__(self, *, clock: Callable[[], datetime] = now_utc) -> None:
        self._clock = clock

    async def fetch_report(self, *, id_number: str, name: str, reason: str, institution: str) -> bytes:
        try:
            info = idcard.parse(id_number)
        except ValueError as exc:
            raise BureauError(f"征信前置拒绝查询：{exc}", code="BUREAU_BAD_REQUEST") from None
        outcome = sandbox_outcome(info.number)
        if outcome == "timeout":
            raise BureauTimeout("征信前置查询超时（沙箱）")
        if outcome == "error":
            raise BureauError("征信前置系统繁忙，请稍后再试（沙箱）", code="BUREAU_UNAVAILABLE")
        queried_at = self._clock().astimezone(BEIJING).replace(microsecond=0)
        on = queried_at.date()
        report = generate_report(int(info.number[:17]), info.number, name, on, outcome)
        # The report records this query: who asked and why, as the real bureau does.
        records = tuple(
            QueryRecord(on=on, institution=institution, reason=reason) if r.on == on and r.reason == "贷款审批" else r
            for r in report.query_records
        )
        report = replace(
            report,
            query=Query(reason=reason, institution=institution, queried_at=queried_at),
            query_records=records,
        )
        return to_xml(report)


# --- the real front system ------------------------------------------------------------------


class HttpBureau:
    """POST {base_url}/reports with JSON {idNumber, name, reason, institution}, HTTP Basic auth.

    200 with the XML report; anything else is a `BureauError`; no answer within
    `timeout_seconds` (connect to last byte) is a `BureauTimeout`. Bodies over
    `max_bytes` are refused without reading them whole.
    """

    def __init__(
        self,
        *,
        base_url: str,
        username: str = "",
        password: str = "",
        timeout_seconds: float = 10.0,
        max_bytes: int = MAX_BYTES,
        transport: httpx.AsyncBaseTransport | None = None,
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self._auth = httpx.BasicAuth(username, password) if username else None
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self._transport = transport

    async def fetch_report(self, *, id_number: str, name: str, reason: str, institution: str) -> bytes:
        payload = {"idNumber": id_number, "name": name, "reason": reason, "institution": institution}
        try:
            async with asyncio.timeout(self.timeout_seconds):
                return await self._post(payload)
        except (TimeoutError, httpx.TimeoutException):
            raise BureauTimeout(f"征信前置查询超时（{self.timeout_seconds:g} 秒）") from None
        except httpx.HTTPError as exc:
            raise BureauError(f"无法连接征信前置系统（{type(exc).__name__}）", code="BUREAU_UNAVAILABLE") from None

    async def _post(self, payload: dict[str, str]) -> bytes:
        async with (
            httpx.AsyncClient(
                base_url=self.base_url,
                auth=self._auth,
                timeout=httpx.Timeout(self.timeout_seconds),
                transport=self._transport,
            ) as client,
            client.stream("POST", "/reports", json=payload, headers={"Accept": "application/xml"}) as response,
        ):
            if response.status_code == 504:
                raise BureauTimeout("征信前置查询超时（网关超时）")
            if response.status_code != 200:
                raise BureauError(f"征信前置返回错误（HTTP {response.status_code}）", code="BUREAU_UNAVAILABLE")
            declared = response.headers.get("content-length")
            if declared is not None and declared.isdigit() and int(declared) > self.max_bytes:
                raise BureauError("征信前置返回的报告超过大小上限", code="BUREAU_TOO_LARGE")
            body = bytearray()
            async for chunk in response.aiter_bytes():
                body += chunk
                if len(body) > self.max_bytes:
                    raise BureauError("征信前置返回的报告超过大小上限", code="BUREAU_TOO_LARGE")
            return bytes(body)
