"""Core banking (核心系统): disbursement to a card, debit from a card, card look-up, holder check.

Every money call carries a `reference`; the core treats a repeated reference as the
same instruction and returns the first result (so a retried end-of-day or a
retried drawdown never moves money twice).

Every money call has three outcomes (`Outcome`): DONE (the core moved the money),
REFUSED (it did not and says why) and UNKNOWN (no answer: a timeout, an HTTP
error, nonsense). UNKNOWN is never "failed": the core may have moved the money,
so callers ask `status(reference)` (查询交易状态) before showing anything as failed.

Sandbox triggers (deterministic, by the card number's last four digits) are in
docs/sandbox.md; the sandbox keeps its references and journal in the database
(table `sandbox_core_txn`) so every process sees the same books.

Holder check (`verify_holder`, 四要素: card, name, ID number, reserved phone 预留手机号): in the
sandbox a card belongs to the holder whose name, ID number and reserved phone hash to its digits
5–14 (`sandbox_card_number` makes such a card, with the last four digits you choose so that the
last-four triggers still apply); every other card number answers "not the holder". docs/sandbox.md.

Card look-up (`lookup_card`): the opening bank's institution code (开户行机构编码) and names. Whether
that bank is a member of the platform is not the core's to say: the service looks the code up among
the platform's banks (`app.services.org.bank_by_code`). In the sandbox the first four digits decide
the bank (`SANDBOX_BINS`; last four digits 0004 are always 中国工商银行), docs/sandbox.md.
"""

from __future__ import annotations

import hashlib
import uuid
from dataclasses import dataclass
from datetime import date
from enum import StrEnum
from typing import Any, Protocol

import httpx
from tortoise import connections

from app import clock


class Outcome(StrEnum):
    DONE = "done"
    REFUSED = "refused"
    UNKNOWN = "unknown"


@dataclass(frozen=True, slots=True)
class TransferResult:
    outcome: Outcome
    core_ref: str = ""
    reason: str = ""

    @property
    def ok(self) -> bool:
        return self.outcome is Outcome.DONE

    @property
    def unknown(self) -> bool:
        return self.outcome is Outcome.UNKNOWN


NO_ANSWER = "核心系统无应答"


@dataclass(frozen=True, slots=True)
class CardInfo:
    """The account's opening bank: its institution code (开户行机构编码) and the bank's and branch's names."""

    bank_code: str
    bank_name: str
    branch_name: str


# The sandbox's opening banks by the card's first four digits (docs/sandbox.md): bank #1 (襄汾农商行, the
# default code of the foundation migration), a second member bank of the demo and two banks that are no members.
SANDBOX_BINS: dict[str, CardInfo] = {
    "6217": CardInfo(bank_code="14102301", bank_name="襄汾农商行", branch_name="营业部"),
    "6230": CardInfo(bank_code="14102201", bank_name="翼城农商行", branch_name="营业部"),
    "6222": CardInfo(bank_code="01020000", bank_name="中国工商银行", branch_name="临汾分行"),
    "6228": CardInfo(bank_code="01030000", bank_name="中国农业银行", branch_name="临汾分行"),
}
SANDBOX_ICBC = SANDBOX_BINS["6222"]


@dataclass(frozen=True, slots=True)
class JournalLine:
    """One movement the core booked on a business date (money out: disburse, refund; money in: debit)."""

    reference: str
    kind: str  # disburse / debit / refund
    amount_fen: int
    core_ref: str
    booked_on: date


@dataclass(frozen=True, slots=True)
class HolderCheck:
    """The core's answer to "is this person the holder of this card, with this reserved phone?"."""

    matched: bool
    reason: str = ""  # the core's own words when not matched (kept for the audit, never shown)


class CoreBankingError(Exception):
    """The core could not be reached or answered nonsense (card look-up, journal): nothing is known."""


class CoreBanking(Protocol):
    async def disburse(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult: ...

    async def debit(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult: ...

    async def lookup_card(self, card_number: str) -> CardInfo: ...

    # --- outcome of a call, money back, the day's journal (issue 11: three outcomes and reconciliation) ---
    async def status(self, reference: str) -> TransferResult:
        """查询交易状态: DONE or REFUSED once the core knows; a reference it never received is REFUSED (无此交易)."""
        ...

    async def refund(self, *, reference: str, original_reference: str, card_number: str, amount_fen: int) -> TransferResult:
        """Pay back (part of) a debit the core did, to the card (退款)."""
        ...

    async def journal(self, on: date) -> list[JournalLine]:
        """Every movement the core booked on business date `on` (raises CoreBankingError when unreachable)."""
        ...

    # --- end of the issue 11 block ---

    # --- card holder verification (issue 12: a card binds only to its holder) ---------------------
    async def verify_holder(self, *, card_number: str, name: str, id_number: str, phone: str) -> HolderCheck:
        """四要素: do name, ID number and the phone reserved at the bank (预留手机号) belong to this card's account?"""
        ...


def _core_ref(kind: str, reference: str) -> str:
    return "SBX" + hashlib.sha256(f"{kind}:{reference}".encode()).hexdigest()[:16].upper()


async def _rows(sql: str, *values: Any) -> list[dict]:
    """Raw SQL on the caller's connection (its transaction, if any): `?` placeholders on both databases."""
    conn = connections.get("default")
    if conn.capabilities.dialect == "postgres":
        parts = sql.split("?")
        sql = parts[0] + "".join(f"${n}{part}" for n, part in enumerate(parts[1:], start=1))
    return await conn.execute_query_dict(sql, list(values))


# --- the sandbox's card holders -------------------------------------------------------------------


def _holder_digits(name: str, id_number: str, phone: str) -> str:
    digest = hashlib.sha256(f"cunxin-sandbox-holder\x00{name}\x00{id_number.upper()}\x00{phone}".encode()).digest()
    return "".join(str(b % 10) for b in digest[:10])


def _luhn_ok(number: str) -> bool:
    total = 0
    for i, ch in enumerate(reversed(number)):
        d = int(ch) * (2 if i % 2 else 1)
        total += d - 9 if d > 9 else d
    return total % 10 == 0


def sandbox_card_number(*, name: str, id_number: str, phone: str, last4: str = "0000", prefix: str = "6217") -> str:
    """A 19-digit, Luhn-valid sandbox card held by (name, ID number, reserved phone), ending in `last4`.

    Digits 1–4 are `prefix`, 5–14 the holder's hash, 15 makes the Luhn sum right, 16–19 are `last4`.
    """
    body = prefix + _holder_digits(name, id_number, phone)
    for digit in "0123456789":
        if _luhn_ok(number := body + digit + last4):
            return number
    raise AssertionError("unreachable: one digit always completes the Luhn sum")


class SandboxCoreBanking:
    """A deterministic core for development and tests; its books are the `sandbox_core_txn` table."""

    TIMEOUT_AFTER_BOOKING = ("0005", "0007")  # the core moves the money, then the answer is lost
    TIMEOUT_BEFORE_CORE = "0006"  # the instruction never reaches the core
    STATUS_SLOW = "0007"  # the first status query is lost too

    async def _get(self, reference: str) -> dict | None:
        rows = await _rows("SELECT * FROM sandbox_core_txn WHERE reference = ?", reference)
        return rows[0] if rows else None

    @staticmethod
    def _answer(row: dict) -> TransferResult:
        if row["done"]:
            return TransferResult(Outcome.DONE, core_ref=row["core_ref"])
        return TransferResult(Outcome.REFUSED, reason=row["reason"])

    async def _book(self, kind: str, reference: str, card_number: str, amount_fen: int, reason: str, original: str | None = None) -> TransferResult:
        last4 = card_number[-4:]
        if last4 == self.TIMEOUT_BEFORE_CORE:
            return TransferResult(Outcome.UNKNOWN, reason=NO_ANSWER)
        done = not reason
        # one round trip: the business date is read inside the INSERT; a repeated reference inserts nothing
        inserted = await _rows(
            "INSERT INTO sandbox_core_txn (id, reference, kind, amount_fen, card_last4, done, reason, core_ref, booked_on,"
            " original_reference, status_queries, created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?,"
            " COALESCE((SELECT current_on FROM business_calendar WHERE id = 1), ?), ?, 0, ?)"
            " ON CONFLICT (reference) DO NOTHING RETURNING done, reason, core_ref",
            str(uuid.uuid4()), reference, kind, amount_fen, last4, done, reason, _core_ref(kind, reference) if done else "",
            clock.now_utc().date(), original, clock.now_utc(),
        )
        if inserted and last4 in self.TIMEOUT_AFTER_BOOKING:
            return TransferResult(Outcome.UNKNOWN, reason=NO_ANSWER)  # booked, but the answer is lost (a retry gets it)
        return self._answer(inserted[0] if inserted else await self._get(reference))

    async def disburse(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        reason = "账户冻结" if card_number.endswith("0003") else ""
        return await self._book("disburse", reference, card_number, amount_fen, reason)

    async def debit(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        reason = {"0002": "余额不足", "0003": "账户冻结"}.get(card_number[-4:], "")
        return await self._book("debit", reference, card_number, amount_fen, reason)

    async def refund(self, *, reference: str, original_reference: str, card_number: str, amount_fen: int) -> TransferResult:
        original = await self._get(original_reference)
        reason = "" if original is not None and original["done"] and original["kind"] == "debit" else "原交易不存在"
        return await self._book("refund", reference, card_number, amount_fen, reason, original_reference)

    async def status(self, reference: str) -> TransferResult:
        row = await self._get(reference)
        if row is None:
            return TransferResult(Outcome.REFUSED, reason="无此交易")
        await _rows("UPDATE sandbox_core_txn SET status_queries = status_queries + 1 WHERE reference = ?", reference)
        if row["card_last4"] == self.STATUS_SLOW and row["status_queries"] == 0:
            return TransferResult(Outcome.UNKNOWN, reason=NO_ANSWER)
        return self._answer(row)

    async def journal(self, on: date) -> list[JournalLine]:
        rows = await _rows("SELECT * FROM sandbox_core_txn WHERE booked_on = ? AND done ORDER BY created_at, reference", on)
        return [JournalLine(r["reference"], r["kind"], int(r["amount_fen"]), r["core_ref"], on) for r in rows]

    async def lookup_card(self, card_number: str) -> CardInfo:
        if card_number.endswith("0004"):
            return SANDBOX_ICBC
        return SANDBOX_BINS.get(card_number[:4], SANDBOX_BINS["6217"])

    async def verify_holder(self, *, card_number: str, name: str, id_number: str, phone: str) -> HolderCheck:
        if len(card_number) == 19 and card_number[4:14] == _holder_digits(name, id_number, phone):
            return HolderCheck(matched=True)
        return HolderCheck(matched=False, reason="户名、证件号码或预留手机号与账户不符")


class HttpCoreBanking:
    """The real client: JSON over HTTPS to the core's gateway, configured by URL and credentials.

    Any HTTP error, timeout or unreadable body on a money call is UNKNOWN, never a refusal; only
    a well-formed answer with `ok: false` is REFUSED.
    """

    def __init__(self, base_url: str, *, api_key: str, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers={"X-Api-Key": api_key}, transport=transport)

    async def _call(self, method: str, path: str, **kwargs: Any) -> dict | None:
        try:
            response = await self._client.request(method, path, **kwargs)
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError):
            return None
        return data if isinstance(data, dict) else None

    @staticmethod
    def _result(data: dict | None) -> TransferResult:
        if data is None or "ok" not in data:
            return TransferResult(Outcome.UNKNOWN, reason=NO_ANSWER)
        if data["ok"]:
            return TransferResult(Outcome.DONE, core_ref=str(data.get("core_ref", "")))
        return TransferResult(Outcome.REFUSED, reason=str(data.get("reason", "")) or "核心系统拒绝")

    async def _transfer(self, path: str, body: dict[str, Any]) -> TransferResult:
        return self._result(await self._call("POST", path, json=body))

    async def disburse(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        return await self._transfer("/disbursements", {"reference": reference, "card": card_number, "amount_fen": amount_fen})

    async def debit(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        return await self._transfer("/debits", {"reference": reference, "card": card_number, "amount_fen": amount_fen})

    async def refund(self, *, reference: str, original_reference: str, card_number: str, amount_fen: int) -> TransferResult:
        body = {"reference": reference, "original_reference": original_reference, "card": card_number, "amount_fen": amount_fen}
        return await self._transfer("/refunds", body)

    async def status(self, reference: str) -> TransferResult:
        data = await self._call("GET", f"/transactions/{reference}")
        if data is not None and data.get("state") == "not_found":
            return TransferResult(Outcome.REFUSED, reason="无此交易")
        return self._result(data)

    async def journal(self, on: date) -> list[JournalLine]:
        data = await self._call("GET", "/journal", params={"date": on.isoformat()})
        if data is None or not isinstance(data.get("lines"), list):
            raise CoreBankingError("core banking journal unavailable")
        return [JournalLine(str(x["reference"]), str(x["kind"]), int(x["amount_fen"]), str(x.get("core_ref", "")), on) for x in data["lines"]]

    async def lookup_card(self, card_number: str) -> CardInfo:
        data = await self._call("GET", "/cards/lookup", params={"card": card_number})
        if data is None or "bank" not in data or not str(data.get("bank_code") or "").strip():
            raise CoreBankingError("core banking card lookup failed")
        return CardInfo(bank_code=str(data["bank_code"]).strip(), bank_name=str(data["bank"]), branch_name=str(data.get("branch", "")))

    async def verify_holder(self, *, card_number: str, name: str, id_number: str, phone: str) -> HolderCheck:
        data = await self._call("POST", "/cards/holder-check", json={"card": card_number, "name": name, "id_number": id_number, "phone": phone})
        if data is None or not isinstance(data.get("matched"), bool):
            raise CoreBankingError("core banking holder check failed")
        return HolderCheck(matched=data["matched"], reason=str(data.get("reason", ""))[:128])
