"""Online products (公积金贷, 保单贷, 国网贷, 线上便利贷): one versioned strategy per product, on one source's facts.

The YAML only sets parameters; the admission checks and the limit terms are written here, in code
(no expressions in YAML). A strategy (shipped defaults: rulesets/online-*.yaml, marked as configuration,
not credit policy) looks like:

    version: gjj-2026.1
    description: 公积金贷默认策略（配置示例，非信贷政策）
    product: GJJ                      # the product code it decides (each member bank's product of that code)
    source: housing_fund              # the external source it needs (app/domain/external_data.py)
    admission:                        # the source's checks; every key optional, each a reject with evidence
      min_months_paid: 12             # 公积金: at least this many consecutive months paid
      max_arrears_months: 0           # 公积金: no more months in arrears than this
    limit:
      contribution_multiple: 20       # 公积金: monthly contribution × N
      round_down_fen: 100000          # rounded down to ¥1,000
    pricing:
      spread_bp: 80                   # optional: else the product's grade table / default spread

Sources and their keys:

- housing_fund — admission `min_months_paid`, `max_arrears_months`; limit `contribution_multiple` (limit =
  monthly contribution × N).
- insurance — admission `min_active_policies`; limit `cash_value_share_pct` (share of the 有效 policies'
  cash value) and/or `premium_share_pct` (share of their annual premiums); the larger of the two applies.
- state_grid — admission `min_months` (months of record), `max_late_months` (bills not paid on time),
  `max_arrears_fen`; limit `bill_multiple` (limit = the average monthly bill of the record × N; a business
  account's bills, residential ones likewise).
- bank (`source: bank`, 线上便利贷) — no external source: the credit report and the bank's own records
  (`BankRecordFacts`). Admission `min_settled_loans` (loans at this bank repaid in full), `max_late_installments`
  (installments at this bank paid after their due date or overdue now), `max_days_past_due` (the worst current
  days past due at this bank); limit `repaid_principal_pct` (a share of the largest principal repaid in full at
  this bank) and/or `debt_ceiling_fen` (the ceiling minus the open balances on the latest credit report); both
  apply when both are set (the smaller binds). An unreadable credit report is a review hit, never a pass.

Every limit is then capped by the product's maximum and, for a consumer product, by the internet-lending room
left to the person (`online_room_fen`: the cap across online consumer products minus their live online lines): the smallest term binds,
ties to the earlier term, as in app/domain/rules/strategies.py.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from types import MappingProxyType
from typing import Any

import yaml

from app.domain.error_codes import RiskCode
from app.domain.errors import DomainError
from app.domain.external_data import ExternalSource, HousingFundFacts, InsuranceFacts, StateGridFacts
from app.domain.rules.engine import VERSION_PATTERN, Hit
from app.domain.rules.strategies import LimitResult, LimitTerm, PricingResult, StrategyDecision

MAX_STRATEGY_CHARS = 16 * 1024
# the shipped defaults (package resources of app.domain.rules), one per product; a bank's uploaded version replaces its product's
SHIPPED_ONLINE_STRATEGIES = ("rulesets/online-gjj-1.yaml", "rulesets/online-baodan-1.yaml", "rulesets/online-guowang-1.yaml", "rulesets/online-bianli-1.yaml")
BANK_DATA = "bank"  # `source: bank`: the credit report and the bank's own records, no external source (线上便利贷)
BANK_DATA_LABEL = "本行数据"

# what each source's strategy may set: admission and limit keys with their (low, high) bounds (None: the bank's own data)
ADMISSION_KEYS: dict[ExternalSource | None, dict[str, tuple[int, int]]] = {
    ExternalSource.HOUSING_FUND: {"min_months_paid": (0, 600), "max_arrears_months": (0, 120)},
    ExternalSource.INSURANCE: {"min_active_policies": (1, 20)},
    ExternalSource.STATE_GRID: {"min_months": (0, 12), "max_late_months": (0, 12), "max_arrears_fen": (0, 100_000_000)},
    None: {"min_settled_loans": (0, 100), "max_late_installments": (0, 1000), "max_days_past_due": (0, 3650)},
}
LIMIT_KEYS: dict[ExternalSource | None, dict[str, tuple[int, int]]] = {
    ExternalSource.HOUSING_FUND: {"contribution_multiple": (1, 200)},
    ExternalSource.INSURANCE: {"cash_value_share_pct": (1, 100), "premium_share_pct": (1, 1000)},
    ExternalSource.STATE_GRID: {"bill_multiple": (1, 2000)},
    None: {"repaid_principal_pct": (1, 1000), "debt_ceiling_fen": (0, 10_000_000_000)},
}
ACTIVE_POLICY = "有效"


@dataclass(frozen=True, slots=True)
class BankRecordFacts:
    """线上便利贷: what the bank itself knows of the person (their records at this bank) and the open debt on their
    latest credit report. There is no income on a credit report, nor deposits in Cunxin: the repaid principal is the
    capacity the person has shown, the report's open balances the debt they carry."""

    settled_loans: int  # loans at this bank repaid in full (结清)
    largest_settled_principal_fen: int  # the largest principal among them (0: none)
    late_installments: int  # installments at this bank paid after their due date, or overdue now
    days_past_due: int  # the worst current days past due of the person's loans at this bank
    report_open_debt_fen: int | None  # open balances (loans and cards) on the latest credit report; None: none could be read


def _bad(message: str, where: str | None = None) -> DomainError:
    return DomainError(f"线上产品策略无效：{message}", code=RiskCode.BAD_RULESET, field=where)


@dataclass(frozen=True, slots=True)
class OnlineStrategy:
    version: str
    product_code: str
    source: ExternalSource | None  # None: the bank's own data (`source: bank`)
    admission: Mapping[str, int] = field(default_factory=dict)
    limit: Mapping[str, int] = field(default_factory=dict)
    round_down_fen: int = 1
    spread_bp: int | None = None
    description: str = ""

    @property
    def source_label(self) -> str:
        return self.source.label if self.source is not None else BANK_DATA_LABEL


def _int(value: Any, low: int, high: int, where: str) -> int:
    if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
        raise _bad(f"{where} 应为 {low} 到 {high} 之间的整数", where)
    return value


def _section(data: dict, name: str, allowed: Mapping[str, tuple[int, int]], extra: tuple[str, ...] = ()) -> dict[str, Any]:
    raw = data.get(name) or {}
    if not isinstance(raw, dict):
        raise _bad(f"{name} 应为映射", name)
    unknown = set(raw) - set(allowed) - set(extra)
    if unknown:
        raise _bad(f"{name} 含该数据来源不支持的参数 {sorted(map(str, unknown))}", name)
    return {k: _int(v, *allowed[k], f"{name}.{k}") for k, v in raw.items() if k in allowed} | {k: raw[k] for k in extra if k in raw}


def load_online_strategy(yaml_text: str) -> OnlineStrategy:
    """Parse and check a product strategy; anything unknown or out of range is refused (BAD_RULESET)."""
    if len(yaml_text) > MAX_STRATEGY_CHARS:
        raise _bad("文件过大（最多 16 KB）")
    try:
        data = yaml.safe_load(yaml_text)
    except yaml.YAMLError:
        raise _bad("不是有效的 YAML") from None
    if not isinstance(data, dict):
        raise _bad("顶层应为映射")
    unknown = set(data) - {"version", "description", "product", "source", "admission", "limit", "pricing"}
    if unknown:
        raise _bad(f"未知的字段 {sorted(map(str, unknown))}")
    version = data.get("version")
    if not isinstance(version, str) or not VERSION_PATTERN.match(version):
        raise _bad("version 必须是字符串（字母、数字、点、横线），例如 gjj-2026.1", "version")
    product = data.get("product")
    if not isinstance(product, str) or not product or len(product) > 32:
        raise _bad("product 应为产品代码，如 GJJ", "product")
    names = "、".join(s.value if s is not None else BANK_DATA for s in LIMIT_KEYS)
    source: ExternalSource | None
    if data.get("source") == BANK_DATA:
        source = None
    else:
        try:
            source = ExternalSource(data.get("source"))
        except ValueError:
            raise _bad(f"source 应为 {names} 之一", "source") from None
        if source not in LIMIT_KEYS:
            raise _bad(f"数据来源 {source.value} 没有线上产品的额度测算项（应为 {names} 之一）", "source")
    admission = _section(data, "admission", ADMISSION_KEYS[source])
    limit = _section(data, "limit", {**LIMIT_KEYS[source], "round_down_fen": (1, 100_000_000)})
    round_down = limit.pop("round_down_fen", 1)
    if not limit:
        raise _bad(f"limit 至少须设置 {'、'.join(LIMIT_KEYS[source])} 之一", "limit")
    pricing = _section(data, "pricing", {"spread_bp": (-500, 3000)})
    description = data.get("description", "")
    if not isinstance(description, str):
        raise _bad("description 必须是字符串", "description")
    return OnlineStrategy(version=version, product_code=product, source=source, admission=MappingProxyType(admission),
                          limit=MappingProxyType(limit), round_down_fen=round_down, spread_bp=pricing.get("spread_bp"), description=description)


# --- admission ----------------------------------------------------------------------------------


def _hit(code: str, message: str, *, kind: str = "reject", **evidence: Any) -> Hit:
    return Hit(code=code, kind=kind, message=message, evidence={"category": "admission", **evidence})


def admission_hits(strategy: OnlineStrategy, facts: Any) -> tuple[Hit, ...]:
    """The source's admission checks on its facts; `facts` None (the source holds nothing) is itself a reject."""
    p = strategy.admission
    label = strategy.source_label
    if facts is None:
        return (_hit("NO_SOURCE_RECORD", f"{label}没有该客户的记录", source=strategy.source.value if strategy.source else BANK_DATA),)
    hits: list[Hit] = []
    if isinstance(facts, HousingFundFacts):
        if "min_months_paid" in p and facts.months_paid < p["min_months_paid"]:
            hits.append(_hit("HOUSING_FUND_MONTHS", f"公积金连续缴存 {facts.months_paid} 个月，不足 {p['min_months_paid']} 个月",
                             months_paid=facts.months_paid, min_months_paid=p["min_months_paid"], last_paid_month=facts.last_paid_month))
        if "max_arrears_months" in p and facts.arrears_months > p["max_arrears_months"]:
            hits.append(_hit("HOUSING_FUND_ARREARS", f"公积金欠缴 {facts.arrears_months} 个月", arrears_months=facts.arrears_months,
                             arrears_fen=facts.arrears_fen))
    elif isinstance(facts, InsuranceFacts):
        active = [x for x in facts.policies if x.status == ACTIVE_POLICY]
        if len(active) < p.get("min_active_policies", 1):
            hits.append(_hit("INSURANCE_NO_ACTIVE_POLICY", f"有效保单 {len(active)} 份，不足 {p.get('min_active_policies', 1)} 份",
                             active_policies=len(active), statuses=[x.status for x in facts.policies]))
    elif isinstance(facts, StateGridFacts):
        late = [m.month for m in facts.months if not m.paid_on_time]
        if "min_months" in p and len(facts.months) < p["min_months"]:
            hits.append(_hit("STATE_GRID_SHORT_RECORD", f"用电记录 {len(facts.months)} 个月，不足 {p['min_months']} 个月", months=len(facts.months)))
        if "max_late_months" in p and len(late) > p["max_late_months"]:
            hits.append(_hit("STATE_GRID_LATE", f"近 {len(facts.months)} 个月有 {len(late)} 个月电费未按时缴纳", late_months=late))
        if "max_arrears_fen" in p and facts.arrears_fen > p["max_arrears_fen"]:
            hits.append(_hit("STATE_GRID_ARREARS", f"电费欠费 {facts.arrears_fen // 100} 元", arrears_fen=facts.arrears_fen))
    elif isinstance(facts, BankRecordFacts):
        if "min_settled_loans" in p and facts.settled_loans < p["min_settled_loans"]:
            hits.append(_hit("OWN_SETTLED_LOANS", f"本行已结清贷款 {facts.settled_loans} 笔，不足 {p['min_settled_loans']} 笔",
                             settled_loans=facts.settled_loans, min_settled_loans=p["min_settled_loans"]))
        if "max_late_installments" in p and facts.late_installments > p["max_late_installments"]:
            hits.append(_hit("OWN_LATE_INSTALLMENTS", f"本行贷款有 {facts.late_installments} 期未按期还款", late_installments=facts.late_installments,
                             max_late_installments=p["max_late_installments"]))
        if "max_days_past_due" in p and facts.days_past_due > p["max_days_past_due"]:
            hits.append(_hit("OWN_DAYS_PAST_DUE", f"本行贷款当前逾期 {facts.days_past_due} 天", days_past_due=facts.days_past_due))
        if facts.report_open_debt_fen is None and "debt_ceiling_fen" in strategy.limit:
            hits.append(_hit("NO_CREDIT_REPORT", "未能读取征信报告的负债，需人工审查", kind="review"))
    else:
        raise TypeError(f"facts of {type(facts).__name__} do not belong to {strategy.source_label}")
    return tuple(hits)


# --- limit --------------------------------------------------------------------------------------


def source_terms(strategy: OnlineStrategy, facts: Any) -> dict[LimitTerm, int]:
    """The product's own limit terms from its source's facts (fen, before the caps and rounding)."""
    p = strategy.limit
    terms: dict[LimitTerm, int] = {}
    if isinstance(facts, HousingFundFacts):
        terms[LimitTerm.HOUSING_FUND_MULTIPLE] = facts.monthly_contribution_fen * p["contribution_multiple"]
    elif isinstance(facts, InsuranceFacts):
        active = [x for x in facts.policies if x.status == ACTIVE_POLICY]
        shares = {}
        if "cash_value_share_pct" in p:
            shares[LimitTerm.CASH_VALUE_SHARE] = sum(x.cash_value_fen for x in active) * p["cash_value_share_pct"] // 100
        if "premium_share_pct" in p:
            shares[LimitTerm.PREMIUM_SHARE] = sum(x.annual_premium_fen for x in active) * p["premium_share_pct"] // 100
        best = max(shares, key=lambda k: shares[k])  # either basis may carry the loan: the larger one is the term
        terms[best] = shares[best]
    elif isinstance(facts, StateGridFacts):
        months = len(facts.months)
        average = sum(m.billed_fen for m in facts.months) // months if months else 0
        terms[LimitTerm.ELECTRICITY_RECORD] = average * p["bill_multiple"]
    elif isinstance(facts, BankRecordFacts):
        if "repaid_principal_pct" in p:
            terms[LimitTerm.OWN_REPAYMENT] = facts.largest_settled_principal_fen * p["repaid_principal_pct"] // 100
        if "debt_ceiling_fen" in p and facts.report_open_debt_fen is not None:
            terms[LimitTerm.REPORT_DEBT_ROOM] = max(0, p["debt_ceiling_fen"] - facts.report_open_debt_fen)
    return terms


@dataclass(frozen=True, slots=True)
class OnlineLimitInputs:
    product_max_fen: int
    online_room_fen: int | None  # a consumer product: the internet-lending cap minus the person's live online consumer lines; else None
    product_spread_bp_by_grade: Mapping[str, int] = field(default_factory=dict)
    product_default_spread_bp: int = 0
    grade: str | None = None


def evaluate_online(strategy: OnlineStrategy, facts: Any, inputs: OnlineLimitInputs) -> StrategyDecision:
    """Admission, then the limit (smallest of the source's term, the product max and the online room) and the spread.

    A reject hit, or a limit below the product's minimum handled by the caller, refuses; the only review outcome
    from the facts is the bank's own data without a readable credit report (a silent source is the caller's
    referral, never evaluated here)."""
    hits = admission_hits(strategy, facts)
    terms: dict[LimitTerm, int] = {} if facts is None else source_terms(strategy, facts)
    terms[LimitTerm.PRODUCT_MAX] = inputs.product_max_fen
    if inputs.online_room_fen is not None:
        terms[LimitTerm.ONLINE_CAP] = max(0, inputs.online_room_fen)
    binding = min(terms, key=lambda k: terms[k])
    amount = max(0, terms[binding])
    skipped = (LimitTerm.REPORT_DEBT_ROOM,) if isinstance(facts, BankRecordFacts) and "debt_ceiling_fen" in strategy.limit and facts.report_open_debt_fen is None else ()
    limit = LimitResult(limit_fen=amount - amount % strategy.round_down_fen, binding=binding, terms=MappingProxyType(terms), skipped=skipped)
    if strategy.spread_bp is not None:
        pricing = PricingResult(spread_bp=strategy.spread_bp, grade=inputs.grade, source="ruleset")
    elif inputs.grade is not None and inputs.grade in inputs.product_spread_bp_by_grade:
        pricing = PricingResult(spread_bp=int(inputs.product_spread_bp_by_grade[inputs.grade]), grade=inputs.grade, source="product_grade")
    else:
        pricing = PricingResult(spread_bp=inputs.product_default_spread_bp, grade=inputs.grade, source="product_default")
    kinds = {h.kind for h in hits}
    decision = "reject" if "reject" in kinds else "review" if kinds else "pass"
    return StrategyDecision(decision=decision, ruleset_version=strategy.version, hits=hits, limit=limit, pricing=pricing)


# --- the internet-lending rules (商业银行互联网贷款管理暂行办法), as settings ---------------------------


@dataclass(frozen=True, slots=True)
class InternetLendingRules:
    """Defaults are the regulation's; a bank sets its own (CUNXIN_ONLINE_*)."""

    cap_per_borrower_fen: int = 20_000_000  # ¥200,000 of online consumer credit per borrower, across online products
    bullet_max_months: int = 12  # a 先息后本 consumer line: at most 12 months


INTEREST_FIRST = "interest_first"


def offered_terms(methods: list[str], max_term_months: int, *, consumer: bool, rules: InternetLendingRules) -> tuple[list[str], int]:
    """The methods and longest term a line may offer: a consumer line longer than the bullet limit does not offer
    先息后本 (the other methods keep the product's term); a consumer line of only 先息后本 is shortened instead."""
    if not consumer or INTEREST_FIRST not in methods or max_term_months <= rules.bullet_max_months:
        return list(methods), max_term_months
    others = [m for m in methods if m != INTEREST_FIRST]
    if others:
        return others, max_term_months
    return [INTEREST_FIRST], rules.bullet_max_months

