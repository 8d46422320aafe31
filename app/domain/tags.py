"""Rule-based customer tags (客户标签): pure rules over facts a service gathers set-based.

Each rule reads only `CustomerFacts`; thresholds are `TagRules` values passed in
(defaults below), never literals in the service. Tags an officer set by hand
(`manual`) are kept as they are.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum


class Tag(StrEnum):
    OVERDUE_HISTORY = "overdue_history"  # 有逾期历史: any installment ever overdue
    CURRENTLY_OVERDUE = "currently_overdue"  # 当前逾期
    LARGE_BORROWER = "large_borrower"  # 大额借款: outstanding principal at or above a threshold
    PUBLIC_SERVANT = "public_servant"  # 公职人员
    LARGE_GROWER = "large_grower"  # 种植大户: land farmed at or above a threshold
    PRIME = "prime"  # 优质客户: appraised excellent and never overdue

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

    def __post_init__(self) -> None:
        if self.large_borrower_fen <= 0 or self.large_grower_mu <= 0:
            raise ValueError("tag thresholds must be positive")


DEFAULT_RULES = TagRules()


@dataclass(frozen=True, slots=True)
class CustomerFacts:
    ever_overdue: bool = False  # an installment is overdue now or was paid after its due date
    days_past_due: int = 0  # worst days past due over the customer's active loans
    outstanding_fen: int = 0  # outstanding principal over active loans
    occupation: Occupation | None = None
    land_area_mu: int | None = None
    grade: str | None = None  # appraisal grade on the customer
    manual: frozenset[Tag] = field(default_factory=frozenset)

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
    if facts.land_area_mu is not None and facts.land_area_mu >= rules.large_grower_mu:
        tags.add(Tag.LARGE_GROWER)
    if facts.grade == rules.prime_grade and not overdue_history:
        tags.add(Tag.PRIME)
    return frozenset(tags)


def parse_manual(values: object) -> frozenset[Tag]:
    """Manual tags as stored (a JSON list); unknown values are ignored rather than failing a refresh."""
    if not isinstance(values, list):
        return frozenset()
    known = {t.value for t in Tag}
    return frozenset(Tag(v) for v in values if isinstance(v, str) and v in known)
