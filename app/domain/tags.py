"""Rule-based customer tags (客户标签): pure rules over facts a service gathers set-based.

Each rule reads only `CustomerFacts` (with `ExternalFacts`: what the external sources said, issue 20); thresholds are `TagRules` values passed in
(defaults below), never literals in the service. Tags an officer set by hand
(`manual`) are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from decimal import Decimal
from enum import StrEnum


class Tag(StrEnum):
    OVERDUE_HISTORY = "overdue_history"  # 有逾期历史: any installment ever overdue
    CURRENTLY_OVERDUE = "currently_overdue"  # 当前逾期
    LARGE_BORROWER = "large_borrower"  # 大额借款: outstanding principal at or above a threshold
    PUBLIC_SERVANT = "public_servant"  # 公职人员
    LARGE_GROWER = "large_grower"  # 种植大户: land farmed at or above a threshold
    PRIME = "prime"  # 优质客户: appraised excellent and never overdue
    # external facts (issue 20): from the latest answer of a source under a consent still in force
    HOUSING_FUND_STEADY = "housing_fund_steady"  # 公积金连续缴存: at least N months paid, no arrears
    SOCIAL_INSURED = "social_insured"  # 社保正常参保: 养老 insurance paid normally
    TAX_ARREARS = "tax_arrears"  # 欠税
    ELECTRICITY_ARREARS = "electricity_arrears"  # 电费欠费
    POLICY_HOLDER = "policy_holder"  # 有效保单: at least one policy in force

    @property
    def label(self) -> str:
        return TAG_LABELS[self]


TAG_LABELS = {
    Tag.OVERDUE_HISTORY: "有逾期历史",
    Tag.CURRENTLY_OVERDUE: "当前逾期",
    Tag.LARGE_BORROWER: "大额借款",
    Tag.PUBLIC_SERVANT: "公职人员",
    Tag.LARGE_GROWER: "种植大户",
    Tag.PRIME: "优质客户",
    Tag.HOUSING_FUND_STEADY: "公积金连续缴存",
    Tag.SOCIAL_INSURED: "社保正常参保",
    Tag.TAX_ARREARS: "欠税",
    Tag.ELECTRICITY_ARREARS: "电费欠费",
    Tag.POLICY_HOLDER: "有效保单",
}


class Occupation(StrEnum):
    FARMER = "farmer"  # 务农
    GROWER = "grower"  # 种植户
    LIVESTOCK = "livestock"  # 养殖户
    BUSINESS = "business"  # 个体经营
    WORKER = "worker"  # 外出务工
    PUBLIC_SERVANT = "public_servant"  # 公职人员（机关、事业单位）
    OTHER = "other"


OCCUPATION_LABELS = {
    Occupation.FARMER: "务农",
    Occupation.GROWER: "种植户",
    Occupation.LIVESTOCK: "养殖户",
    Occupation.BUSINESS: "个体经营",
    Occupation.WORKER: "外出务工",
    Occupation.PUBLIC_SERVANT: "公职人员",
    Occupation.OTHER: "其他",
}


@dataclass(frozen=True, slots=True)
class TagRules:
    large_borrower_fen: int = 20_000_000  # 大额借款: outstanding principal ≥ 200,000.00 yuan
    large_grower_mu: int = 50  # 种植大户: ≥ 50 亩 farmed
    prime_grade: str = "excellent"
    housing_fund_steady_months: int = 12  # 公积金连续缴存: at least this many consecutive months paid

    def __post_init__(self) -> None:
        if self.large_borrower_fen <= 0 or self.large_grower_mu <= 0 or self.housing_fund_steady_months <= 0:
            raise ValueError("tag thresholds must be positive")


DEFAULT_RULES = TagRules()


@dataclass(frozen=True, slots=True)
class ExternalFacts:
    """What the latest answer of each external source says, reduced to what the tags read (None: no answer)."""

    housing_fund_months_paid: int | None = None
    housing_fund_arrears_months: int = 0
    pension_status: str | None = None  # 社保 养老: 正常参保 / 暂停缴费 / 终止
    tax_arrears_fen: int = 0
    electricity_arrears_fen: int = 0
    policies_in_force: int = 0
    subsidy_area_mu: Decimal | None = None  # 粮补: the area of the latest year's subsidies (the largest of them)


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    ever_overdue: bool = False  # an installment is overdue now or was paid after its due date
    days_past_due: int = 0  # worst days past due over the customer's active loans
    outstanding_fen: int = 0  # outstanding principal over active loans
    occupation: Occupation | None = None
    land_area_mu: int | None = None
    grade: str | None = None  # appraisal grade on the customer
    manual: frozenset[Tag] = field(default_factory=frozenset)
    external: ExternalFacts | None = None  # from the external sources (issue 20), when the customer consented

    def __post_init__(self) -> None:
        if self.days_past_due < 0 or self.outstanding_fen < 0:
            raise ValueError("days past due and outstanding must not be negative")


def tags_for(facts: CustomerFacts, rules: TagRules = DEFAULT_RULES) -> frozenset[Tag]:
    tags = set(facts.manual)
    overdue_history = facts.ever_overdue or facts.days_past_due > 0
    if overdue_history:
        tags.add(Tag.OVERDUE_HISTORY)
    if facts.days_past_due > 0:
        tags.add(Tag.CURRENTLY_OVERDUE)
    if facts.outstanding_fen >= rules.large_borrower_fen:
        tags.add(Tag.LARGE_BORROWER)
    if facts.occupation == Occupation.PUBLIC_SERVANT:
        tags.add(Tag.PUBLIC_SERVANT)
    ext = facts.external or ExternalFacts()
    farmed = [a for a in (facts.land_area_mu, ext.subsidy_area_mu) if a is not None]
    if farmed and max(farmed) >= rules.large_grower_mu:  # the profile's area or the area the grain subsidy was paid on
        tags.add(Tag.LARGE_GROWER)
    if facts.grade == rules.prime_grade and not overdue_history:
        tags.add(Tag.PRIME)
    if (ext.housing_fund_months_paid or 0) >= rules.housing_fund_steady_months and ext.housing_fund_arrears_months == 0:
        tags.add(Tag.HOUSING_FUND_STEADY)
    if ext.pension_status == "正常参保":
        tags.add(Tag.SOCIAL_INSURED)
    if ext.tax_arrears_fen > 0:
        tags.add(Tag.TAX_ARREARS)
    if ext.electricity_arrears_fen > 0:
        tags.add(Tag.ELECTRICITY_ARREARS)
    if ext.policies_in_force > 0:
        tags.add(Tag.POLICY_HOLDER)
    return frozenset(tags)


def external_facts(answers: dict[str, object]) -> ExternalFacts:
    """The tags' view of the latest answers, by source value (`housing_fund`, ...: the facts dataclasses)."""
    gjj, si, tax = answers.get("housing_fund"), answers.get("social_insurance"), answers.get("tax")
    grid, ins, grain = answers.get("state_grid"), answers.get("insurance"), answers.get("grain_subsidy")
    pension = next((k.status for k in si.kinds if k.kind == "养老"), None) if si is not None else None
    area = None
    if grain is not None and grain.records:
        latest = max(r.year for r in grain.records)
        area = max(r.area_mu for r in grain.records if r.year == latest)
    return ExternalFacts(
        housing_fund_months_paid=gjj.months_paid if gjj is not None else None,
        housing_fund_arrears_months=gjj.arrears_months if gjj is not None else 0,
        pension_status=pension,
        tax_arrears_fen=tax.arrears_fen if tax is not None else 0,
        electricity_arrears_fen=grid.arrears_fen if grid is not None else 0,
        policies_in_force=sum(1 for p in ins.policies if p.status == "有效") if ins is not None else 0,
        subsidy_area_mu=area,
    )


def parse_manual(values: object) -> frozenset[Tag]:
    """Manual tags as stored (a JSON list); unknown values are ignored rather than failing a refresh."""
    if not isinstance(values, list):
        return frozenset()
    known = {t.value for t in Tag}
    return frozenset(Tag(v) for v in values if isinstance(v, str) and v in known)
