"""External data sources (issue 20): what each source tells about a customer, as plain values.

Six sources: 公积金 (housing provident fund), 社保 (social insurance), 税务 (tax, for 个体工商户),
粮补 (grain and farmland subsidies), 保单 (insurance policies) and 国网 (State Grid electricity).
Money is integer fen; farmland area is a Decimal in 亩; months are "YYYY-MM" strings.
`facts_to_json` / `facts_from_json` turn facts into JSON and back (the stored copy, an HTTP answer);
`facts_from_json` refuses anything of the wrong shape (a float for fen, a missing field) with `ValueError`.
docs/external-data.md describes every field.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from enum import StrEnum
from typing import Any, get_args, get_origin, get_type_hints


class ExternalSource(StrEnum):
    HOUSING_FUND = "housing_fund"  # 公积金
    SOCIAL_INSURANCE = "social_insurance"  # 社保
    TAX = "tax"  # 税务 (个体工商户)
    GRAIN_SUBSIDY = "grain_subsidy"  # 粮补
    INSURANCE = "insurance"  # 保单
    STATE_GRID = "state_grid"  # 国网

    @property
    def label(self) -> str:
        return SOURCE_LABELS[self]


SOURCE_LABELS = {
    ExternalSource.HOUSING_FUND: "公积金",
    ExternalSource.SOCIAL_INSURANCE: "社保",
    ExternalSource.TAX: "税务",
    ExternalSource.GRAIN_SUBSIDY: "粮补",
    ExternalSource.INSURANCE: "保单",
    ExternalSource.STATE_GRID: "国网",
}


class ConsentPurpose(StrEnum):
    """What a consent lets the data be used for (PIPL: scope of the authorisation)."""

    APPLICATION = "application"  # 授信申请
    POST_LOAN = "post_loan"  # 贷后监测

    @property
    def label(self) -> str:
        return {"application": "授信申请", "post_loan": "贷后监测"}[self.value]


class ExternalQueryStatus(StrEnum):
    """The outcome of one query. Only OK (and NO_RECORD, a real answer) are answers; the rest are not passes."""

    PENDING = "pending"
    OK = "ok"  # the source answered with facts
    NO_RECORD = "no_record"  # the source answered: it holds nothing on this person
    TIMEOUT = "timeout"  # no answer in time: never a pass
    FAILED = "failed"  # an error or an unreadable answer: never a pass

    @property
    def label(self) -> str:
        return QUERY_STATUS_LABELS[self]


QUERY_STATUS_LABELS = {
    ExternalQueryStatus.PENDING: "查询中", ExternalQueryStatus.OK: "已返回数据", ExternalQueryStatus.NO_RECORD: "无记录",
    ExternalQueryStatus.TIMEOUT: "查询超时", ExternalQueryStatus.FAILED: "查询出错",
}


# --- facts --------------------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class HousingFundFacts:
    """公积金: the paying unit, the monthly base and contribution (employer + employee), months paid, arrears."""

    employer: str
    monthly_base_fen: int
    monthly_contribution_fen: int
    months_paid: int  # consecutive months paid up to last_paid_month
    last_paid_month: str
    arrears_months: int
    arrears_fen: int


@dataclass(frozen=True, slots=True)
class InsuranceKindRecord:
    kind: str  # 养老 / 医疗 / 失业 / 工伤 / 生育
    status: str  # 正常参保 / 暂停缴费 / 终止
    contribution_months: int
    last_paid_month: str


@dataclass(frozen=True, slots=True)
class SocialInsuranceFacts:
    """社保: contribution months and status by insurance kind."""

    kinds: tuple[InsuranceKindRecord, ...]


@dataclass(frozen=True, slots=True)
class TaxPeriod:
    period: str  # "2026Q3"
    declared_revenue_fen: int
    tax_paid_fen: int


@dataclass(frozen=True, slots=True)
class TaxFacts:
    """税务 for an individual business (个体工商户): declared revenue and tax paid by quarter, arrears."""

    business_name: str
    periods: tuple[TaxPeriod, ...]
    arrears_fen: int


@dataclass(frozen=True, slots=True)
class SubsidyRecord:
    year: int
    kind: str  # 耕地地力保护补贴 / 种粮农民一次性补贴 / 玉米生产者补贴
    area_mu: Decimal
    amount_fen: int


@dataclass(frozen=True, slots=True)
class GrainSubsidyFacts:
    """粮补: subsidies by year and kind, with the area (亩) they were paid on."""

    records: tuple[SubsidyRecord, ...]


@dataclass(frozen=True, slots=True)
class InsurancePolicy:
    insurer: str
    product: str
    annual_premium_fen: int
    cash_value_fen: int
    status: str  # 有效 / 失效 / 退保


@dataclass(frozen=True, slots=True)
class InsuranceFacts:
    """保单: the person's policies."""

    policies: tuple[InsurancePolicy, ...]


@dataclass(frozen=True, slots=True)
class ElectricityMonth:
    month: str
    consumption_kwh: int
    billed_fen: int
    paid_on_time: bool


@dataclass(frozen=True, slots=True)
class StateGridFacts:
    """国网: the electricity account, monthly consumption and whether each bill was paid on time."""

    account_number: str
    account_kind: str  # 居民 / 经营
    months: tuple[ElectricityMonth, ...]
    arrears_fen: int


FACTS_TYPES: dict[ExternalSource, type] = {
    ExternalSource.HOUSING_FUND: HousingFundFacts,
    ExternalSource.SOCIAL_INSURANCE: SocialInsuranceFacts,
    ExternalSource.TAX: TaxFacts,
    ExternalSource.GRAIN_SUBSIDY: GrainSubsidyFacts,
    ExternalSource.INSURANCE: InsuranceFacts,
    ExternalSource.STATE_GRID: StateGridFacts,
}


# --- JSON ---------------------------------------------------------------------------------------


def _dump(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        return {f.name: _dump(getattr(value, f.name)) for f in dataclasses.fields(value)}
    if isinstance(value, tuple):
        return [_dump(v) for v in value]
    if isinstance(value, Decimal):
        return str(value)
    return value


def facts_to_json(facts: Any) -> dict[str, Any]:
    """JSON-ready dict (Decimals as strings, so no float ever carries an area)."""
    return _dump(facts)


def _load(kind: Any, value: Any, where: str) -> Any:
    if dataclasses.is_dataclass(kind):
        if not isinstance(value, dict):
            raise ValueError(f"{where}: 应为对象")
        hints = get_type_hints(kind)
        out = {}
        for f in dataclasses.fields(kind):
            if f.name not in value:
                raise ValueError(f"{where}.{f.name}: 缺少字段")
            out[f.name] = _load(hints[f.name], value[f.name], f"{where}.{f.name}")
        return kind(**out)
    if get_origin(kind) is tuple:
        if not isinstance(value, list | tuple):
            raise ValueError(f"{where}: 应为列表")
        item = get_args(kind)[0]
        return tuple(_load(item, v, f"{where}[{i}]") for i, v in enumerate(value))
    if kind is Decimal:
        if isinstance(value, bool) or not isinstance(value, str | int):
            raise ValueError(f"{where}: 应为十进制数字字符串")
        try:
            return Decimal(str(value))
        except InvalidOperation:
            raise ValueError(f"{where}: 不是数字") from None
    if kind is bool:
        if not isinstance(value, bool):
            raise ValueError(f"{where}: 应为 true/false")
        return value
    if kind is int:
        if isinstance(value, bool) or not isinstance(value, int):
            raise ValueError(f"{where}: 应为整数（金额以分计）")
        return value
    if kind is str:
        if not isinstance(value, str):
            raise ValueError(f"{where}: 应为文本")
        return value
    raise TypeError(f"unsupported field type {kind!r}")


def facts_from_json(source: ExternalSource, data: Any) -> Any:
    """The facts of `source` from their JSON form; `ValueError` (Chinese) when the shape is wrong."""
    return _load(FACTS_TYPES[ExternalSource(source)], data, SOURCE_LABELS[ExternalSource(source)])


class CreditApplicationStatus(StrEnum):
    """An application for an online credit line (授信申请) made in the app (app/services/lending/online_credit.py)."""

    OFFERED = "offered"  # the strategy passed: an offer waits for the borrower to accept and sign
    REFUSED = "refused"  # the strategy refused (a neutral message; the borrower may ask for a person's review)
    REFERRED = "referred"  # an approver decides: a silent source, a bureau review, or a review the borrower asked for
    SIGNING = "signing"  # accepted: the line is granted, its contract PDF is being rendered, signed and sealed
    ACTIVE = "active"  # accepted and signed: the contract is sealed, the credit line is active
    EXPIRED = "expired"  # an offer not accepted within CUNXIN_ONLINE_OFFER_VALID_DAYS: the borrower may apply again

    @property
    def label(self) -> str:
        return CREDIT_APPLICATION_STATUS_LABELS[self]


CREDIT_APPLICATION_STATUS_LABELS = {
    CreditApplicationStatus.OFFERED: "已出具额度，待客户确认签约",
    CreditApplicationStatus.REFUSED: "未通过自动审批",
    CreditApplicationStatus.REFERRED: "转审批人人工审查",
    CreditApplicationStatus.SIGNING: "已确认，授信合同生成与签署中",
    CreditApplicationStatus.ACTIVE: "已签约，额度生效",
    CreditApplicationStatus.EXPIRED: "额度已过签约有效期，已失效",
}


# --- a one-line summary for the officer (Chinese; an account number masked) ---------------------------------


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _mask_account(number: str) -> str:
    return number if len(number) <= 6 else f"{number[:2]}{'*' * (len(number) - 6)}{number[-4:]}"


def summarise(facts: Any) -> str:
    """What the source said, in one line for the PAD: no ID number, an electricity account number masked."""
    if isinstance(facts, HousingFundFacts):
        arrears = f"，欠缴 {facts.arrears_months} 个月（{_yuan(facts.arrears_fen)} 元）" if facts.arrears_months else "，无欠缴"
        return (f"缴存单位 {facts.employer}；月缴存额 {_yuan(facts.monthly_contribution_fen)} 元（基数 {_yuan(facts.monthly_base_fen)} 元）；"
                f"连续缴存 {facts.months_paid} 个月至 {facts.last_paid_month}{arrears}")
    if isinstance(facts, SocialInsuranceFacts):
        return "；".join(f"{k.kind}{k.status}（缴费 {k.contribution_months} 个月，最近 {k.last_paid_month}）" for k in facts.kinds) or "无参保记录"
    if isinstance(facts, TaxFacts):
        revenue = sum(p.declared_revenue_fen for p in facts.periods)
        span = f"{facts.periods[0].period}–{facts.periods[-1].period}" if facts.periods else "—"
        arrears = f"，欠税 {_yuan(facts.arrears_fen)} 元" if facts.arrears_fen else "，无欠税"
        return f"{facts.business_name}；{span} 申报收入 {_yuan(revenue)} 元{arrears}"
    if isinstance(facts, GrainSubsidyFacts):
        if not facts.records:
            return "无补贴记录"
        year = max(r.year for r in facts.records)
        latest = [r for r in facts.records if r.year == year]
        return f"{year} 年：" + "；".join(f"{r.kind} {r.area_mu} 亩 {_yuan(r.amount_fen)} 元" for r in latest)
    if isinstance(facts, InsuranceFacts):
        return "；".join(f"{p.insurer}{p.product}（{p.status}，年缴 {_yuan(p.annual_premium_fen)} 元，现金价值 {_yuan(p.cash_value_fen)} 元）"
                        for p in facts.policies) or "无保单"
    if isinstance(facts, StateGridFacts):
        late = sum(1 for m in facts.months if not m.paid_on_time)
        arrears = f"，欠费 {_yuan(facts.arrears_fen)} 元" if facts.arrears_fen else "，无欠费"
        return (f"户号 {_mask_account(facts.account_number)}（{facts.account_kind}）；近 {len(facts.months)} 个月用电 "
                f"{sum(m.consumption_kwh for m in facts.months):,} 千瓦时，{late} 个月未按时缴费{arrears}")
    raise TypeError(type(facts).__name__)
