"""Admission, anti-fraud, limit and pricing strategies as versioned data, evaluated on gathered facts.

A strategy rule set is YAML (shipped default: rulesets/default-strategy-1.yaml):

    version: strategy-2026.1
    description: 默认准入、反欺诈、额度与定价策略      # optional
    rules:                                           # admission + anti-fraud, see strategy_catalogue
      - code: AGE_WINDOW
        kind: reject                                 # reject | review
        enabled: true                                # optional
        message: "年龄{age}岁，不在{min_age}–{max_age}岁准入范围内"
        params: {min_age: 18, max_age: 60}
    limit:                                           # optional; every key optional
      income_multiple_pct: 300     # limit ≤ annual income × 3 (skipped when income is unknown)
      debt_to_income_pct: 500      # existing debt + limit ≤ annual income × 5 (skipped likewise)
      round_down_fen: 100000       # the limit is rounded down to this step (here ¥1,000)
      grain_fen_per_mu: 300000     # 粮补: limit ≤ the latest year's subsidised area (亩) × ¥3,000
      housing_fund_multiple: 60    # 公积金: limit ≤ monthly contribution × 60
    pricing:                                         # optional
      spread_bp_by_grade: {excellent: 40, good: 60, fair: 90}   # else the product's own table

The two external-data terms (and the rules HOUSING_FUND_ARREARS, SOCIAL_INSURANCE_LAPSED) read a source
only when the customer has a valid consent for it naming 授信申请; otherwise, or when the source times out
or errs, the term is not used and `LimitResult.unused` says why (a silent source is never a pass: the rule
EXTERNAL_DATA_UNANSWERED can send such a file to an approver). A term that is used cites its data and date
in `LimitResult.evidence`. docs/external-data.md.

Anything unknown or out of range is refused with DomainError code "BAD_RULESET", as
the reject loader does. The output is a `StrategyDecision`: the hits (reusing `Hit`),
the limit with the term that bound it, and the spread over LPR.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from decimal import ROUND_FLOOR, Decimal
from enum import StrEnum
from types import MappingProxyType
from typing import Any


from app.domain.error_codes import RiskCode
from app.domain.errors import DomainError
from app.domain.rules.engine import KIND_NAMES, Hit, Rule, load_document
from app.domain.external_data import ExternalSource, GrainSubsidyFacts, HousingFundFacts
from app.domain.rules.strategy_catalogue import STRATEGY_CATALOGUE, ExternalFact, StrategyFacts
from app.domain.vocabulary import RISK_OUTCOME_LABELS

DEFAULT_STRATEGY_RULESET = "rulesets/default-strategy-1.yaml"  # package resource of app.domain.rules


class LimitTerm(StrEnum):
    """A term of the strategy's limit, in tie-break order: the limit is the smallest term that applies."""

    APPRAISAL = "appraisal"
    PRODUCT_MAX = "product_max"
    INCOME_MULTIPLE = "income_multiple"
    DEBT_TO_INCOME = "debt_to_income"
    GRAIN_AREA = "grain_area"  # 粮补: subsidised area × yuan per 亩 (the visit's strategy, under a consent)
    # the online products' terms (app/domain/rules/online.py): computed in code, parameters from the product's YAML
    HOUSING_FUND_MULTIPLE = "housing_fund_multiple"
    CASH_VALUE_SHARE = "cash_value_share"
    PREMIUM_SHARE = "premium_share"
    ELECTRICITY_RECORD = "electricity_record"
    OWN_REPAYMENT = "own_repayment"
    REPORT_DEBT_ROOM = "report_debt_room"
    ONLINE_CAP = "online_cap"

    @property
    def label(self) -> str:
        return LIMIT_TERMS[self]


LIMIT_TERMS = {
    LimitTerm.APPRAISAL: "评议预授信额度",
    LimitTerm.PRODUCT_MAX: "产品最高额度",
    LimitTerm.INCOME_MULTIPLE: "收入倍数上限",
    LimitTerm.DEBT_TO_INCOME: "负债收入比上限",
    LimitTerm.GRAIN_AREA: "粮补种植面积额度",
    LimitTerm.HOUSING_FUND_MULTIPLE: "公积金月缴存额倍数",
    LimitTerm.CASH_VALUE_SHARE: "保单现金价值比例",
    LimitTerm.PREMIUM_SHARE: "保单年缴保费比例",
    LimitTerm.ELECTRICITY_RECORD: "用电缴费记录额度",
    LimitTerm.OWN_REPAYMENT: "本行已结清贷款本金比例",
    LimitTerm.REPORT_DEBT_ROOM: "征信负债上限余量",
    LimitTerm.ONLINE_CAP: "互联网贷款单户余额上限",
}
PRICING_SOURCES = {"ruleset": "策略定价表", "product_grade": "产品等级定价", "product_default": "产品默认加点"}

_GRADE = re.compile(r"^[a-z][a-z_]{0,15}$")


StrategyRule = Rule  # a strategy rule entry has the same shape as a reject rule entry


@dataclass(frozen=True, slots=True)
class LimitPolicy:
    income_multiple_pct: int | None = None
    debt_to_income_pct: int | None = None
    round_down_fen: int = 1
    grain_fen_per_mu: int | None = None  # 粮补 term: fen per 亩 of the latest year's subsidised area
    housing_fund_multiple: int | None = None  # 公积金 term: months of contribution

    def sources(self) -> tuple[ExternalSource, ...]:
        """The external sources the limit terms read."""
        wanted = ((self.grain_fen_per_mu, ExternalSource.GRAIN_SUBSIDY), (self.housing_fund_multiple, ExternalSource.HOUSING_FUND))
        return tuple(source for value, source in wanted if value is not None)


@dataclass(frozen=True, slots=True)
class StrategyRuleSet:
    version: str
    rules: tuple[StrategyRule, ...]
    limit: LimitPolicy = LimitPolicy()
    spread_bp_by_grade: Mapping[str, int] = field(default_factory=dict)
    description: str = ""

    def external_sources(self) -> tuple[ExternalSource, ...]:
        """Every external source the rule set reads (its limit terms and its enabled rules), in a fixed order."""
        wanted = set(self.limit.sources())
        for rule in self.rules:
            if rule.enabled:
                wanted.update(STRATEGY_CATALOGUE[rule.code].sources)
        return tuple(s for s in ExternalSource if s in wanted)


@dataclass(frozen=True, slots=True)
class LimitResult:
    limit_fen: int
    binding: LimitTerm
    terms: Mapping[LimitTerm, int]  # every term that applied, in fen (before rounding)
    skipped: tuple[LimitTerm, ...] = ()  # terms without the facts to compute them
    unused: Mapping[LimitTerm, str] = field(default_factory=dict)  # external-data terms not used, with the reason (Chinese)
    evidence: Mapping[LimitTerm, Mapping[str, Any]] = field(default_factory=dict)  # external-data terms used: their data and its date

    def to_json(self) -> dict[str, Any]:
        out = {"limitFen": self.limit_fen, "binding": self.binding, "terms": dict(self.terms), "skipped": list(self.skipped)}
        if self.unused:
            out["unused"] = dict(self.unused)
        if self.evidence:
            out["evidence"] = {k: dict(v) for k, v in self.evidence.items()}
        return out



@dataclass(frozen=True, slots=True)
class PricingResult:
    spread_bp: int
    grade: str | None
    source: str  # a key of PRICING_SOURCES

    def to_json(self) -> dict[str, Any]:
        return {"spreadBp": self.spread_bp, "grade": self.grade, "source": self.source}


@dataclass(frozen=True, slots=True)
class StrategyDecision:
    decision: str  # pass | review | reject
    ruleset_version: str
    hits: tuple[Hit, ...]
    limit: LimitResult
    pricing: PricingResult
    external: tuple[ExternalFact, ...] = ()  # the external sources the strategy needed: used, or skipped and why

    def to_json(self) -> dict[str, Any]:
        out = {
            "decision": self.decision,
            "ruleSetVersion": self.ruleset_version,
            "rules": [h.to_json() for h in self.hits],
            "limit": self.limit.to_json(),
            "pricing": self.pricing.to_json(),
        }
        if self.external:
            out["externalData"] = [x.to_json() for x in self.external]
        return out

    def limit_detail(self) -> dict[str, Any]:
        """What a stored decision keeps as `limit_detail`: the terms, the skipped ones, and for external data the terms not
        used (with the reason), the data and date of those used, and every source the strategy needed (`externalData`)."""
        body = self.limit.to_json()
        out = {k: body[k] for k in ("terms", "skipped", "unused", "evidence") if k in body}
        if self.external:
            out["externalData"] = [x.to_json() for x in self.external]
        return out


# --- loading ------------------------------------------------------------------------------


def _bad(message: str, field: str | None = None) -> DomainError:
    return DomainError(f"策略规则集无效：{message}", code=RiskCode.BAD_RULESET, field=field)


def _int(value: Any, low: int, high: int, label: str, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _bad(f"{label} 应为 {low} 到 {high} 之间的整数", where)
    return value


def load_strategy_ruleset(yaml_text: str) -> StrategyRuleSet:
    doc = load_document(
        yaml_text, example="strategy-2026.1", extra_keys=("limit", "pricing"), catalogue=STRATEGY_CATALOGUE, make=StrategyRule, bad=_bad
    )
    return StrategyRuleSet(
        version=doc.version,
        rules=doc.rules,
        limit=_load_limit(doc.data.get("limit") or {}),
        spread_bp_by_grade=_load_pricing(doc.data.get("pricing") or {}),
        description=doc.description,
    )


def _load_limit(raw: Any) -> LimitPolicy:
    if not isinstance(raw, dict):
        raise _bad("limit 应为映射", "limit")
    unknown = set(raw) - {"income_multiple_pct", "debt_to_income_pct", "round_down_fen", "grain_fen_per_mu", "housing_fund_multiple"}
    if unknown:
        raise _bad(f"limit 含未知参数 {sorted(map(str, unknown))}", "limit")

    def opt(name: str, high: int) -> int | None:
        value = raw.get(name)
        return None if value is None else _int(value, 1, high, f"limit 的参数 {name}", f"limit.{name}")

    round_down = raw.get("round_down_fen", 1)
    return LimitPolicy(
        income_multiple_pct=opt("income_multiple_pct", 10_000),
        debt_to_income_pct=opt("debt_to_income_pct", 10_000),
        grain_fen_per_mu=opt("grain_fen_per_mu", 10_000_000),  # at most ¥100,000 a 亩
        housing_fund_multiple=opt("housing_fund_multiple", 200),
        round_down_fen=_int(round_down, 1, 100_000_000, "limit 的参数 round_down_fen", "limit.round_down_fen"),
    )


def _load_pricing(raw: Any) -> Mapping[str, int]:
    if not isinstance(raw, dict):
        raise _bad("pricing 应为映射", "pricing")
    unknown = set(raw) - {"spread_bp_by_grade"}
    if unknown:
        raise _bad(f"pricing 含未知参数 {sorted(map(str, unknown))}", "pricing")
    table = raw.get("spread_bp_by_grade") or {}
    if not isinstance(table, dict):
        raise _bad("pricing.spread_bp_by_grade 应为 等级: 基点 的映射", "pricing.spread_bp_by_grade")
    out = {}
    for grade, bp in table.items():
        if not isinstance(grade, str) or not _GRADE.match(grade):
            raise _bad(f"pricing 的等级 {grade!r} 无效（小写英文，如 excellent）", "pricing.spread_bp_by_grade")
        out[grade] = _int(bp, -500, 3000, f"等级 {grade} 的加点", f"pricing.spread_bp_by_grade.{grade}")
    return MappingProxyType(out)


# --- evaluation ---------------------------------------------------------------------------


def _show(value: Any) -> str:
    return "、".join(str(v) for v in value) if isinstance(value, list | tuple) else str(value)


def compute_limit(policy: LimitPolicy, facts: StrategyFacts) -> LimitResult:
    """The smallest applicable term, rounded down; ties go to the earlier term in LIMIT_TERMS."""
    terms: dict[LimitTerm, int] = {}
    skipped: list[LimitTerm] = []
    if facts.pre_credit_fen is not None:
        terms[LimitTerm.APPRAISAL] = facts.pre_credit_fen
    else:
        skipped.append(LimitTerm.APPRAISAL)
    terms[LimitTerm.PRODUCT_MAX] = facts.product_max_fen
    income = facts.annual_income_fen
    if policy.income_multiple_pct is not None:
        if income is None:
            skipped.append(LimitTerm.INCOME_MULTIPLE)
        else:
            terms[LimitTerm.INCOME_MULTIPLE] = income * policy.income_multiple_pct // 100
    if policy.debt_to_income_pct is not None:
        if income is None or facts.open_debt_fen is None:
            skipped.append(LimitTerm.DEBT_TO_INCOME)
        else:
            terms[LimitTerm.DEBT_TO_INCOME] = max(0, income * policy.debt_to_income_pct // 100 - facts.open_debt_fen)
    unused: dict[LimitTerm, str] = {}
    evidence: dict[LimitTerm, Mapping[str, Any]] = {}
    if policy.grain_fen_per_mu is not None:
        _grain_term(policy.grain_fen_per_mu, facts, terms, unused, evidence)
    if policy.housing_fund_multiple is not None:
        _housing_fund_term(policy.housing_fund_multiple, facts, terms, unused, evidence)
    binding = min(terms, key=lambda k: terms[k])  # dicts keep insertion order: ties go to the earlier term
    amount = max(0, terms[binding])
    return LimitResult(limit_fen=amount - amount % policy.round_down_fen, binding=binding, terms=MappingProxyType(terms), skipped=tuple(skipped),
                       unused=MappingProxyType(unused), evidence=MappingProxyType(evidence))


def _not_used(facts: StrategyFacts, source: ExternalSource) -> str | None:
    """Why the source's data cannot serve a term (None: it can)."""
    fact = facts.external.get(source)
    if fact is None:
        return f"未查询{source.label}数据"
    return None if fact.used else (fact.reason or f"{source.label}数据不可用")


def _grain_term(fen_per_mu: int, facts: StrategyFacts, terms: dict, unused: dict, evidence: dict) -> None:
    """粮补: the latest year's subsidised area (the largest of its subsidies, one plot carries several) × fen per 亩."""
    why = _not_used(facts, ExternalSource.GRAIN_SUBSIDY)
    fact = facts.external.get(ExternalSource.GRAIN_SUBSIDY)
    grain = fact.facts if fact is not None else None
    if why is None and (not isinstance(grain, GrainSubsidyFacts) or not grain.records):
        why = "粮补数据中没有补贴面积"
    if why is not None:
        unused[LimitTerm.GRAIN_AREA] = why
        return
    year = max(r.year for r in grain.records)
    area = max(Decimal(r.area_mu) for r in grain.records if r.year == year)
    terms[LimitTerm.GRAIN_AREA] = int((area * fen_per_mu).to_integral_value(rounding=ROUND_FLOOR))
    evidence[LimitTerm.GRAIN_AREA] = {**fact.cited(), "year": year, "areaMu": str(area), "fenPerMu": fen_per_mu}


def _housing_fund_term(multiple: int, facts: StrategyFacts, terms: dict, unused: dict, evidence: dict) -> None:
    """公积金: the monthly contribution (unit + person) × the multiple."""
    why = _not_used(facts, ExternalSource.HOUSING_FUND)
    fact = facts.external.get(ExternalSource.HOUSING_FUND)
    if why is None and not isinstance(fact.facts, HousingFundFacts):
        why = "公积金数据不可用"
    if why is not None:
        unused[LimitTerm.HOUSING_FUND_MULTIPLE] = why
        return
    hf = fact.facts
    terms[LimitTerm.HOUSING_FUND_MULTIPLE] = hf.monthly_contribution_fen * multiple
    evidence[LimitTerm.HOUSING_FUND_MULTIPLE] = {**fact.cited(), "monthlyContributionFen": hf.monthly_contribution_fen, "multiple": multiple,
                                                 "monthsPaid": hf.months_paid, "lastPaidMonth": hf.last_paid_month}


def compute_pricing(ruleset: StrategyRuleSet, facts: StrategyFacts) -> PricingResult:
    grade = facts.grade
    if grade is not None and grade in ruleset.spread_bp_by_grade:
        return PricingResult(spread_bp=ruleset.spread_bp_by_grade[grade], grade=grade, source="ruleset")
    if grade is not None and grade in facts.product_spread_bp_by_grade:
        return PricingResult(spread_bp=int(facts.product_spread_bp_by_grade[grade]), grade=grade, source="product_grade")
    return PricingResult(spread_bp=facts.product_default_spread_bp, grade=grade, source="product_default")


def evaluate_strategy_rules(ruleset: StrategyRuleSet, facts: StrategyFacts) -> StrategyDecision:
    """Every enabled rule on the facts; reject if any reject hit, else review if any hit, else pass."""
    hits: list[Hit] = []
    for rule in ruleset.rules:
        if not rule.enabled:
            continue
        rule_type = STRATEGY_CATALOGUE[rule.code]
        evidence = rule_type.evaluate(facts, rule.params)
        if evidence is None:
            continue
        values = dict.fromkeys(rule_type.evidence_keys, "—")
        values.update((k, _show(v)) for k, v in rule.params.items())
        values.update((k, _show(v)) for k, v in evidence.items())
        hits.append(Hit(code=rule.code, kind=rule.kind, message=rule.message.format_map(values), evidence={"category": rule_type.category, **evidence}))
    decision = "reject" if any(h.kind == "reject" for h in hits) else ("review" if hits else "pass")
    return StrategyDecision(
        decision=decision,
        ruleset_version=ruleset.version,
        hits=tuple(hits),
        limit=compute_limit(ruleset.limit, facts),
        pricing=compute_pricing(ruleset, facts),
        external=tuple(facts.external[s] for s in ruleset.external_sources() if s in facts.external),
    )


def _yuan(fen: int) -> str:
    return f"{fen // 100:,}.{fen % 100:02d}"


def _basis(term: LimitTerm, cited: Mapping[str, Any]) -> str:
    if term == LimitTerm.GRAIN_AREA:
        return f"{cited['year']} 年补贴面积 {cited['areaMu']} 亩 × {_yuan(cited['fenPerMu'])} 元/亩"
    return f"月缴存额 {_yuan(cited['monthlyContributionFen'])} 元 × {cited['multiple']}"


def _data_line(fact: ExternalFact) -> str:
    if fact.used:
        return f"{fact.source.label}已使用（数据日期 {fact.data_on.isoformat() if fact.data_on else '—'}{'，沿用近期查询结果' if fact.reused else ''}）"
    return f"{fact.source.label}未使用（{fact.reason or '数据不可用'}）"


def explain_strategy(decision: StrategyDecision) -> str:
    """A short Chinese explanation for the officer."""
    head = f"准入与反欺诈结论：{RISK_OUTCOME_LABELS[decision.decision]}（策略 {decision.ruleset_version}）"
    lines = [head + ("，未命中任何规则。" if not decision.hits else f"，命中 {len(decision.hits)} 条规则：")]
    lines += [f"{i}.【{KIND_NAMES[h.kind]}】{h.message}" for i, h in enumerate(decision.hits, start=1)]
    limit = decision.limit
    lines.append(f"建议额度：{_yuan(limit.limit_fen)} 元（受{limit.binding.label}约束）")
    for term, cited in limit.evidence.items():
        lines.append(f"{term.label}：{_yuan(limit.terms[term])} 元（{_basis(term, cited)}，{ExternalSource(cited['source']).label}数据日期 {cited['dataOn']}）")
    for term, why in limit.unused.items():
        lines.append(f"{term.label}未使用：{why}")
    if decision.external:
        lines.append("外部数据：" + "；".join(_data_line(x) for x in decision.external))
    p = decision.pricing
    lines.append(f"利率加点：LPR + {p.spread_bp} 个基点（{PRICING_SOURCES[p.source]}）")
    return "\n".join(lines)
