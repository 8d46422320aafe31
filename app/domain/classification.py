"""Five-tier loan classification (五级分类) and the NPL ratio (docs/domain-facts.md#five-tier-classification).

The default mapping is the floor set of the 2023 rule 《商业银行金融资产风险分类办法》:
any overdue ⇒ at least 关注; > 90 days ⇒ 次级; > 270 days ⇒ 可疑; > 360 days ⇒ 损失.
The floors are minimums, so a bank may map more strictly; the mapping is a
setting (`DpdMapping`), with two other mappings met in practice provided.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import ROUND_HALF_UP, Decimal
from enum import StrEnum
from typing import Any

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


# --- Stateful classification (the 2023 rule: floors, holds and a judged upgrade) ---------------------


class FloorKind(StrEnum):
    MANUAL = "manual"  # an officer's judgement (人工认定)
    RESTRUCTURED = "restructured"  # 重组: at least 关注 while it is observed


FLOOR_LABELS = {FloorKind.MANUAL: "人工认定", FloorKind.RESTRUCTURED: "重组"}


class UpgradeProposalStatus(StrEnum):
    """An upgrade proposal raised after the observation period, until an approver decides it."""

    PENDING = "pending"
    APPROVED = "approved"
    REJECTED = "rejected"

    @property
    def label(self) -> str:
        return UPGRADE_PROPOSAL_STATUS_LABELS[self]


UPGRADE_PROPOSAL_STATUS_LABELS = {
    UpgradeProposalStatus.PENDING: "待审批", UpgradeProposalStatus.APPROVED: "已同意上调", UpgradeProposalStatus.REJECTED: "不予上调",
}


@dataclass(frozen=True, slots=True)
class ClassificationPolicy:
    """Everything end-of-day needs to classify: DPD floors, grace, the upgrade observation, non-accrual.

    - `grace_days`: days past due up to this many do not count for the floor (宽限期, default 0).
    - observation: a non-performing loan may be proposed for an upgrade once all arrears are repaid and
      it has then paid on time for `observation_periods` consecutive due dates and `observation_months`
      months, whichever ends later.
    - `nonaccrual_after_days`: principal or interest overdue more than this many days ⇒ 非应计.
    """

    mapping: DpdMapping = RULE_2023
    grace_days: int = 0
    observation_months: int = 6
    observation_periods: int = 2
    nonaccrual_after_days: int = 90

    def __post_init__(self) -> None:
        if self.grace_days < 0 or self.grace_days >= self.mapping.substandard_from - 1:
            raise ValueError("grace days must be between 0 and the first non-performing day")
        if self.observation_months < 0 or self.observation_periods < 0 or self.nonaccrual_after_days < 1:
            raise ValueError("observation and non-accrual settings must be positive")

    def dpd_floor(self, days_past_due: int) -> LoanClass:
        """The class days past due alone imply (nothing within the grace days)."""
        return classify(days_past_due if days_past_due > self.grace_days else 0, self.mapping)

    def to_json(self) -> dict[str, Any]:
        """What the close keeps with its day (`eod_run.classification_policy`), so a replay of the day classifies the same."""
        m = self.mapping
        return {"mapping": {"special_mention_from": m.special_mention_from, "substandard_from": m.substandard_from,
                            "doubtful_from": m.doubtful_from, "loss_from": m.loss_from},
                "grace_days": self.grace_days, "observation_months": self.observation_months,
                "observation_periods": self.observation_periods, "nonaccrual_after_days": self.nonaccrual_after_days}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ClassificationPolicy:
        return cls(mapping=DpdMapping.from_dict(data.get("mapping") or {}),
                   **{k: int(data[k]) for k in ("grace_days", "observation_months", "observation_periods", "nonaccrual_after_days") if k in data})


DEFAULT_POLICY = ClassificationPolicy()


def days_past_due(business_on: date, earliest_unpaid_due_on: date | None) -> int:
    """DPD = business date − the earliest unpaid due date (0 when nothing due is unpaid, or on the due date itself)."""
    if earliest_unpaid_due_on is None or earliest_unpaid_due_on >= business_on:
        return 0
    return (business_on - earliest_unpaid_due_on).days


def next_class(current: LoanClass | str, *, dpd_floor: LoanClass, floor: LoanClass | str | None) -> LoanClass:
    """The worst of the DPD floor, the manual/restructuring floor and — for a non-performing loan — its
    current class: nothing upgrades a non-performing loan by itself (only an approved proposal does)."""
    held = LoanClass(current) if is_non_performing(current) else LoanClass.NORMAL
    return worst([dpd_floor, held, *([floor] if floor else [])])


def observation_ends(since: date, due_dates_after: Iterable[date], policy: ClassificationPolicy = DEFAULT_POLICY) -> date:
    """When the observation started on `since` (all arrears repaid) can end: the later of `observation_months`
    after it and the `observation_periods`-th due date after it (just the months if fewer periods remain)."""
    months_end = add_months(since, policy.observation_months)
    later = sorted(d for d in due_dates_after if d > since)
    if policy.observation_periods == 0 or len(later) < policy.observation_periods:
        return months_end
    return max(months_end, later[policy.observation_periods - 1])


def may_propose_upgrade(current: LoanClass | str, *, since: date | None, on: date, ends_on: date | None, arrears: bool) -> bool:
    """A non-performing loan whose observation has run its course with no arrears: raise a proposal (never upgrade)."""
    return is_non_performing(current) and since is not None and ends_on is not None and on >= ends_on and not arrears


def check_upgrade_target(current: LoanClass | str, target: LoanClass | str, *, dpd_floor: LoanClass, floor: LoanClass | str | None) -> LoanClass:
    """An approver's upgrade: strictly better than today, never better than the DPD or manual floor."""
    current, target = LoanClass(current), LoanClass(target)
    limit = worst([dpd_floor, *([floor] if floor else [])])
    if target.rank >= current.rank:
        raise ValueError("an upgrade must move to a better class")
    if target.rank < limit.rank:
        raise ValueError(f"cannot be better than {limit.label}")
    return target


def add_months(day: date, months: int) -> date:
    """Same day of month `months` later, the month's last day when it is shorter."""
    month0 = day.month - 1 + months
    year, month = day.year + month0 // 12, month0 % 12 + 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))
