"""External data sources (issue 20): 公积金, 社保, 税务, 粮补, 保单, 国网 — one Protocol each.

Each source answers one question: what do you hold on this ID number? The facts (app/domain/external_data.py),
`None` when it holds nothing, `ExternalSourceTimeout` when it does not answer in time, `ExternalSourceError`
otherwise. `SandboxSource` answers deterministically from the ID number's sequence code (characters 15-17,
the table `SANDBOX_TABLE`, kept in step with docs/external-data.md); `HttpSource` talks to the real system
named by a URL in the settings. The composition root (app/wiring.py) builds one of each into `ExternalSources`;
the services never know which they hold.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any, Protocol

import httpx

from app.clock import now_utc
from app.domain import idcard
from app.domain.external_data import (
    ElectricityMonth,
    ExternalSource,
    GrainSubsidyFacts,
    HousingFundFacts,
    InsuranceFacts,
    InsuranceKindRecord,
    InsurancePolicy,
    SocialInsuranceFacts,
    StateGridFacts,
    SubsidyRecord,
    TaxFacts,
    TaxPeriod,
    facts_from_json,
)

BEIJING = timezone(timedelta(hours=8))


class ExternalSourceError(Exception):
    """The source could not answer. `message` is Chinese, for the officer."""

    code = "SOURCE_ERROR"

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message)
        self.message = message
        if code is not None:
            self.code = code


class ExternalSourceTimeout(ExternalSourceError):
    code = "SOURCE_TIMEOUT"


class HousingFundSource(Protocol):
    source: ExternalSource

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> HousingFundFacts | None: ...


class SocialInsuranceSource(Protocol):
    source: ExternalSource

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> SocialInsuranceFacts | None: ...


class TaxSource(Protocol):
    source: ExternalSource

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> TaxFacts | None: ...


class GrainSubsidySource(Protocol):
    source: ExternalSource

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> GrainSubsidyFacts | None: ...


class InsuranceSource(Protocol):
    source: ExternalSource

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> InsuranceFacts | None: ...


class StateGridSource(Protocol):
    source: ExternalSource

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> StateGridFacts | None: ...


@dataclass(frozen=True, slots=True)
class ExternalSources:
    """The six sources of one process (a field of `app.wiring.Adapters`)."""

    housing_fund: HousingFundSource
    social_insurance: SocialInsuranceSource
    tax: TaxSource
    grain_subsidy: GrainSubsidySource
    insurance: InsuranceSource
    state_grid: StateGridSource

    def get(self, source: ExternalSource) -> Any:
        return getattr(self, ExternalSource(source).value)


# --- sandbox ------------------------------------------------------------------------------------

# Sequence code (ID number characters 15-17) -> what every sandbox source answers; the rest is "rich".
# Distinct from the sandbox bureau's 900-999, so one customer can be clean at the bureau and in arrears here.
SANDBOX_TABLE: tuple[tuple[range, str], ...] = (
    (range(800, 810), "arrears"),  # arrears / interruptions / a lapsed policy / electricity arrears
    (range(810, 820), "no_record"),  # the source holds nothing on the person
    (range(820, 830), "error"),  # the source answers with an error
    (range(830, 840), "timeout"),  # the source does not answer in time
)
DEFAULT_OUTCOME = "rich"


def sandbox_outcome(id_number: str) -> str:
    sequence = int(idcard.normalize(id_number)[14:17])
    for codes, outcome in SANDBOX_TABLE:
        if sequence in codes:
            return outcome
    return DEFAULT_OUTCOME


def _months_back(as_of: date, n: int) -> list[str]:
    """The n months before as_of's month, oldest first, as "YYYY-MM"."""
    y, m = as_of.year, as_of.month
    out = []
    for _ in range(n):
        m -= 1
        if m == 0:
            y, m = y - 1, 12
        out.append(f"{y:04d}-{m:02d}")
    return out[::-1]


EMPLOYERS = ("襄汾县第一中学", "临汾市汾河建材有限公司", "襄汾县人民医院", "山西尧都农商银行", "临汾市交通运输局")
SUBSIDY_KINDS = ("耕地地力保护补贴", "种粮农民一次性补贴", "玉米生产者补贴")
INSURERS = (("中国人寿", "鑫福年年年金保险"), ("中国平安", "平安福终身寿险"), ("太平洋人寿", "金佑人生终身寿险"),
            ("新华保险", "健康无忧重疾险"))
INSURANCE_KINDS = ("养老", "医疗", "失业", "工伤", "生育")


def _housing_fund(rng: random.Random, as_of: date, arrears: bool) -> HousingFundFacts:
    base = rng.randrange(3000, 12001, 100) * 100
    contribution = base * 24 // 100  # 12 % + 12 %
    months = _months_back(as_of, 4 if arrears else 1)
    arrears_months = 3 if arrears else 0
    return HousingFundFacts(employer=rng.choice(EMPLOYERS), monthly_base_fen=base, monthly_contribution_fen=contribution,
                            months_paid=rng.randint(6, 20) if arrears else rng.randint(24, 120), last_paid_month=months[0],
                            arrears_months=arrears_months, arrears_fen=contribution * arrears_months)


def _social_insurance(rng: random.Random, as_of: date, arrears: bool) -> SocialInsuranceFacts:
    months = rng.randint(36, 180)
    last = _months_back(as_of, 1)[0]
    stopped = _months_back(as_of, 4)[0]
    kinds = []
    for i, kind in enumerate(INSURANCE_KINDS):
        interrupted = arrears and kind in ("养老", "医疗")
        kinds.append(InsuranceKindRecord(kind=kind, status="暂停缴费" if interrupted else "正常参保",
                                         contribution_months=max(12, months - 12 * i), last_paid_month=stopped if interrupted else last))
    return SocialInsuranceFacts(kinds=tuple(kinds))


def _quarters_back(as_of: date, n: int) -> list[str]:
    y, q = as_of.year, (as_of.month - 1) // 3 + 1
    out = []
    for _ in range(n):
        q -= 1
        if q == 0:
            y, q = y - 1, 4
        out.append(f"{y}Q{q}")
    return out[::-1]


def _tax(rng: random.Random, as_of: date, arrears: bool) -> TaxFacts:
    periods = []
    for period in _quarters_back(as_of, 8):
        revenue = rng.randrange(60_000, 400_001, 100) * 100
        paid = revenue // 100 if revenue > 30_000_000 else 0  # 1 % above the quarterly exemption (¥300,000)
        periods.append(TaxPeriod(period=period, declared_revenue_fen=revenue, tax_paid_fen=paid))
    return TaxFacts(business_name=f"襄汾县{rng.choice(('丰收', '兴旺', '汾河', '尧乡'))}{rng.choice(('农资店', '小超市', '农机维修部', '养殖场'))}",
                    periods=tuple(periods), arrears_fen=rng.randrange(500, 5001) * 100 if arrears else 0)


def _grain_subsidy(rng: random.Random, as_of: date, arrears: bool) -> GrainSubsidyFacts:
    area = Decimal(rng.randrange(30, 301)) / 10  # 3.0 to 30.0 亩
    records = []
    for year in range(as_of.year - 3, as_of.year):
        records.append(SubsidyRecord(year=year, kind=SUBSIDY_KINDS[0], area_mu=area, amount_fen=int(area * 10_650)))  # ¥106.5 / 亩
        if rng.random() < 0.6:
            records.append(SubsidyRecord(year=year, kind=SUBSIDY_KINDS[2], area_mu=area, amount_fen=int(area * 5_000)))
    return GrainSubsidyFacts(records=tuple(records))


def _insurance(rng: random.Random, as_of: date, arrears: bool) -> InsuranceFacts:
    policies = []
    for i in range(rng.randint(1, 3)):
        insurer, product = INSURERS[(rng.randrange(len(INSURERS)) + i) % len(INSURERS)]
        premium = rng.randrange(30, 201) * 10_000
        cash = premium * rng.randint(1, 8) * 7 // 10
        status = "失效" if arrears and i == 0 else "有效"
        policies.append(InsurancePolicy(insurer=insurer, product=product, annual_premium_fen=premium, cash_value_fen=cash, status=status))
    return InsuranceFacts(policies=tuple(policies))


def _state_grid(rng: random.Random, as_of: date, arrears: bool, digits: str) -> StateGridFacts:
    business = rng.random() < 0.3
    months = []
    for i, month in enumerate(_months_back(as_of, 12)):
        kwh = rng.randint(800, 4000) if business else rng.randint(80, 400)
        late = arrears and i >= 9
        months.append(ElectricityMonth(month=month, consumption_kwh=kwh, billed_fen=kwh * (80 if business else 52), paid_on_time=not late))
    owed = sum(m.billed_fen for m in months if not m.paid_on_time)
    return StateGridFacts(account_number=f"14{digits[-8:]}", account_kind="经营" if business else "居民", months=tuple(months), arrears_fen=owed)


class SandboxSource:
    """Deterministic: the same number on the same day gives the same answer (docs/external-data.md)."""

    def __init__(self, source: ExternalSource, *, clock: Callable[[], datetime] = now_utc) -> None:
        self.source = ExternalSource(source)
        self._clock = clock

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> Any:
        try:
            info = idcard.parse(id_number)
        except ValueError as exc:
            raise ExternalSourceError(f"{self.source.label}拒绝查询：{exc}", code="SOURCE_BAD_REQUEST") from None
        outcome = sandbox_outcome(info.number)
        if outcome == "timeout":
            raise ExternalSourceTimeout(f"{self.source.label}查询超时（沙箱）")
        if outcome == "error":
            raise ExternalSourceError(f"{self.source.label}系统繁忙，请稍后再试（沙箱）", code="SOURCE_UNAVAILABLE")
        if outcome == "no_record":
            return None
        seed = int.from_bytes(hashlib.sha256(f"{self.source.value}:{info.number}".encode()).digest()[:8], "big")
        rng = random.Random(seed)
        as_of = self._clock().astimezone(BEIJING).date()
        arrears = outcome == "arrears"
        match self.source:
            case ExternalSource.HOUSING_FUND:
                return _housing_fund(rng, as_of, arrears)
            case ExternalSource.SOCIAL_INSURANCE:
                return _social_insurance(rng, as_of, arrears)
            case ExternalSource.TAX:
                return _tax(rng, as_of, arrears)
            case ExternalSource.GRAIN_SUBSIDY:
                return _grain_subsidy(rng, as_of, arrears)
            case ExternalSource.INSURANCE:
                return _insurance(rng, as_of, arrears)
            case ExternalSource.STATE_GRID:
                return _state_grid(rng, as_of, arrears, str(seed))
        raise AssertionError(self.source)


def sandbox_sources(*, clock: Callable[[], datetime] = now_utc) -> ExternalSources:
    return ExternalSources(**{s.value: SandboxSource(s, clock=clock) for s in ExternalSource})


# --- the real systems ---------------------------------------------------------------------------


class HttpSource:
    """POST {base_url}/query with JSON {idNumber, name, purpose}, `Authorization: Bearer <api_key>` when set.

    200 with {"found": true, "facts": {...}} (the facts' JSON form, docs/external-data.md) or {"found": false};
    504 or no answer within `timeout_seconds` is `ExternalSourceTimeout`; any other status, a body over
    `max_bytes` or facts of the wrong shape is `ExternalSourceError`.
    """

    def __init__(self, source: ExternalSource, *, base_url: str, api_key: str = "", timeout_seconds: float = 10.0,
                 max_bytes: int = 1024 * 1024, transport: httpx.AsyncBaseTransport | None = None) -> None:
        self.source = ExternalSource(source)
        self.base_url = base_url.rstrip("/")
        self._headers = {"Authorization": f"Bearer {api_key}"} if api_key else {}
        self.timeout_seconds = timeout_seconds
        self.max_bytes = max_bytes
        self._transport = transport

    async def fetch(self, *, id_number: str, name: str, purpose: str) -> Any:
        payload = {"idNumber": id_number, "name": name, "purpose": purpose}
        label = self.source.label
        try:
            async with asyncio.timeout(self.timeout_seconds):
                body = await self._post(payload)
        except (TimeoutError, httpx.TimeoutException):
            raise ExternalSourceTimeout(f"{label}查询超时（{self.timeout_seconds:g} 秒）") from None
        except httpx.HTTPError as exc:
            raise ExternalSourceError(f"无法连接{label}系统（{type(exc).__name__}）", code="SOURCE_UNAVAILABLE") from None
        if not isinstance(body, dict) or not isinstance(body.get("found"), bool):
            raise ExternalSourceError(f"{label}返回的数据格式不正确", code="SOURCE_BAD_RESPONSE")
        if not body["found"]:
            return None
        try:
            return facts_from_json(self.source, body.get("facts"))
        except ValueError as exc:
            raise ExternalSourceError(f"{label}返回的数据格式不正确：{exc}", code="SOURCE_BAD_RESPONSE") from None

    async def _post(self, payload: dict[str, str]) -> Any:
        async with (
            httpx.AsyncClient(base_url=self.base_url, timeout=httpx.Timeout(self.timeout_seconds), transport=self._transport) as client,
            client.stream("POST", "/query", json=payload, headers=self._headers) as response,
        ):
            if response.status_code == 504:
                raise ExternalSourceTimeout(f"{self.source.label}查询超时（网关超时）")
            if response.status_code != 200:
                raise ExternalSourceError(f"{self.source.label}返回错误（HTTP {response.status_code}）", code="SOURCE_UNAVAILABLE")
            data = bytearray()
            async for chunk in response.aiter_bytes():
                data += chunk
                if len(data) > self.max_bytes:
                    raise ExternalSourceError(f"{self.source.label}返回的数据超过大小上限", code="SOURCE_TOO_LARGE")
        try:
            return json.loads(bytes(data))
        except ValueError:
            raise ExternalSourceError(f"{self.source.label}返回的不是 JSON", code="SOURCE_BAD_RESPONSE") from None
