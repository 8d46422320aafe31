"""Core banking (核心系统): disbursement to a card, debit from a card, card look-up.

Every call carries a `reference`; the core treats a repeated reference as the
same instruction and returns the first result (so a retried end-of-day or a
retried drawdown never moves money twice).

Sandbox behaviour (deterministic, by the card number's last four digits):

| last 4 | disburse | debit | lookup |
|---|---|---|---|
| 0002 | ok | fails: 余额不足 | 山西农信 |
| 0003 | fails: 账户冻结 | fails: 账户冻结 | 山西农信 |
| 0004 | ok | ok | 中国工商银行 (another bank) |
| other | ok | ok | 山西农信 |
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Protocol

import httpx


@dataclass(frozen=True, slots=True)
class TransferResult:
    ok: bool
    core_ref: str = ""
    reason: str = ""


@dataclass(frozen=True, slots=True)
class CardInfo:
    bank_name: str
    branch_name: str
    is_own_bank: bool


class CoreBankingError(Exception):
    """The core could not be reached or answered nonsense: the outcome is unknown."""


class CoreBanking(Protocol):
    async def disburse(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult: ...

    async def debit(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult: ...

    async def lookup_card(self, card_number: str) -> CardInfo: ...


class SandboxCoreBanking:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, str], TransferResult] = {}

    def _result(self, kind: str, reference: str, ok: bool, reason: str = "") -> TransferResult:
        key = (kind, reference)
        if key not in self._seen:
            core_ref = "SBX" + hashlib.sha256(f"{kind}:{reference}".encode()).hexdigest()[:16].upper()
            self._seen[key] = TransferResult(ok=ok, core_ref=core_ref if ok else "", reason=reason)
        return self._seen[key]

    async def disburse(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        if card_number.endswith("0003"):
            return self._result("disburse", reference, False, "账户冻结")
        return self._result("disburse", reference, True)

    async def debit(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        if card_number.endswith("0002"):
            return self._result("debit", reference, False, "余额不足")
        if card_number.endswith("0003"):
            return self._result("debit", reference, False, "账户冻结")
        return self._result("debit", reference, True)

    async def lookup_card(self, card_number: str) -> CardInfo:
        if card_number.endswith("0004"):
            return CardInfo(bank_name="中国工商银行", branch_name="临汾分行", is_own_bank=False)
        return CardInfo(bank_name="山西农信", branch_name="襄汾农商行", is_own_bank=True)


class HttpCoreBanking:
    """The real client: JSON over HTTPS to the core's gateway, configured by URL and credentials."""

    def __init__(self, base_url: str, *, api_key: str, timeout: float = 10.0, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self._client = httpx.AsyncClient(base_url=base_url, timeout=timeout, headers={"X-Api-Key": api_key}, transport=transport)

    async def _transfer(self, path: str, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        try:
            response = await self._client.post(path, json={"reference": reference, "card": card_number, "amount_fen": amount_fen})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise CoreBankingError(f"core banking {path} failed: {type(exc).__name__}") from exc
        return TransferResult(ok=bool(data.get("ok")), core_ref=str(data.get("core_ref", "")), reason=str(data.get("reason", "")))

    async def disburse(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        return await self._transfer("/disbursements", reference, card_number, amount_fen)

    async def debit(self, *, reference: str, card_number: str, amount_fen: int) -> TransferResult:
        return await self._transfer("/debits", reference, card_number, amount_fen)

    async def lookup_card(self, card_number: str) -> CardInfo:
        try:
            response = await self._client.get("/cards/lookup", params={"card": card_number})
            response.raise_for_status()
            data = response.json()
        except (httpx.HTTPError, ValueError) as exc:
            raise CoreBankingError(f"core banking card lookup failed: {type(exc).__name__}") from exc
        return CardInfo(bank_name=data["bank"], branch_name=data.get("branch", ""), is_own_bank=bool(data.get("own")))
