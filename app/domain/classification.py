"""Five-tier loan classification (五级分类) and the NPL ratio (FACTS.md §6).

The default mapping is the floor set of the 2023 rule 《商业银行金融资产风险分类办法》:
any overdue ⇒ at least 关注; > 90 days ⇒ 次级; > 270 days ⇒ 可疑; > 360 days ⇒ 损失.
The floors are minimums, so a bank may map more strictly; the mapping is a
setting (`DpdMapping`), with two other mappings met in practice provided.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum

from app.domain.money import round_div


class LoanClass(StrEnum):
    NORMAL = "normal"
    SPECIAL_MENTION = "special_mention"
    SUBSTANDARD = "substandard"
    DOUBTFUL = "doubtful"
    LOSS = "loss"

    @property
    def label(self) -> str:
        return CLASS_LABELS[self]

    @property
    def rank(self) -> int:
        return _RANK[self]


CLASS_LABELS = {
    LoanClass.NORMAL: "正常",
    LoanClass.SPECIAL_MENTION: "关注",
    LoanClass.SUBSTANDARD: "次级",
    LoanClass.DOUBTFUL: "可疑",
    LoanClass.LOSS: "损失",
}
_RANK = {c: i for i, c in enumerate(LoanClass)}
NON_PERFORMING = frozenset({LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS})
RATIO_PLACES = Decimal("0.000001")


@dataclass(frozen=True, slots=True)
class DpdMapping:
    """First day past due of each class (days past due >= value ⇒ at least that class)."""

    special_mention_from: int = 1
    substandard_from: int = 91
    doubtful_from: int = 271
    loss_from: int = 361

    def __post_init__(self) -> None:
        bounds = (self.special_mention_from, self.substandard_from, self.doubtful_from, self.loss_from)
        if bounds[0] < 1 or any(b <= a for a, b in zip(bounds, bounds[1:])):
            raise ValueError("class boundaries must be increasing and start at 1 day or later")

    @classmethod
    def from_dict(cls, data: Mapping[str, int]) -> DpdMapping:
        """From a settings mapping such as {"substandard_from": 91, ...}; missing keys keep defaults."""
        unknown = set(data) - set(cls.__dataclass_fields__)
        if unknown:
            raise ValueError(f"unknown classification settings: {sorted(unknown)}")
        return cls(**{k: int(v) for k, v in data.items()})


RULE_2023 = DpdMapping()  # regulatory floors (default)
CREDIT_CARD_2011 = DpdMapping(1, 91, 121, 181)  # 信用卡业务监督管理办法 (2011) Art. 92
STRICT_INTERNAL = DpdMapping(1, 91, 181, 361)  # older bank practice: stricter than 2023 for 181–270 days


def classify(days_past_due: int, mapping: DpdMapping = RULE_2023) -> LoanClass:
    if days_past_due < 0:
        raise ValueError("days past due must not be negative")
    if days_past_due >= mapping.loss_from:
        return LoanClass.LOSS
    if days_past_due >= mapping.doubtful_from:
        return LoanClass.DOUBTFUL
    if days_past_due >= mapping.substandard_from:
        return LoanClass.SUBSTANDARD
    if days_past_due >= mapping.special_mention_from:
        return LoanClass.SPECIAL_MENTION
    return LoanClass.NORMAL


def worst(classes: Iterable[LoanClass | str]) -> LoanClass:
    """The most severe class (NORMAL for none)."""
    return max((LoanClass(c) for c in classes), key=lambda c: c.rank, default=LoanClass.NORMAL)


def apply_floor(days_past_due: int, assigned: LoanClass | str, mapping: DpdMapping = RULE_2023) -> LoanClass:
    """An officer may classify more strictly than the days-past-due floor, never less."""
    return worst((classify(days_past_due, mapping), LoanClass(assigned)))


def is_non_performing(cls: LoanClass | str) -> bool:
    return LoanClass(cls) in NON_PERFORMING


def npl_ratio(balances_by_class: Mapping[LoanClass | str, int]) -> Decimal:
    """(次级 + 可疑 + 损失) / all loans, as a fraction rounded half-up to 6 places (0 if no loans)."""
    total = 0
    npl = 0
    for cls, balance in balances_by_class.items():
        if balance < 0:
            raise ValueError("balances must not be negative")
        total += balance
        if is_non_performing(cls):
            npl += balance
    if total == 0:
        return Decimal(0).quantize(RATIO_PLACES)
    return Decimal(round_div(npl * 10**6, total, ROUND_HALF_UP)).scaleb(-6)
