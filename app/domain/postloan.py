"""Post-loan checks (贷后检查): when a loan is due a check, what the officer's form says, what the conclusion feeds.

A check is a task for the loan's officer, raised by the day's close for one of three reasons:

- 首次检查 (`first`): within `first_after_days` of disbursement (default 30 days), raised by the first
  close after disbursement (a loan older than that when checks start is due the day it is raised);
- 定期检查 (`periodic`): every `interval_days` after the last confirmed check (or disbursement),
  by the loan's class (defaults: 正常 180 days, 关注 90, 次级/可疑/损失 30), with a per-product
  override; a periodic task is raised `lead_days` (default 15) before it falls due, and only when the
  loan has no open check;
- 预警触发 (`warning`): an early warning of one of `warning_kinds` (default: every kind but 对账差错,
  which is the bank's own bookkeeping) raises a check due `warning_due_days` (default 7) after the warning.

A task is unique per (loan, reason, due date): the close can run twice and raises nothing twice.
The numbers are settings (`CUNXIN_POSTLOAN_*`, app/config.py); this module reads none of them.

The form (`check_answers`) is validated all at once: every wrong or missing answer comes back with
its field, never one per submit. The conclusion (`Conclusion`) decides what the confirmed check feeds:
关注 → an early warning; 建议调整分类 → the proposed class as a floor (认定); 建议催收 → a collection task.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum

from app.domain.classification import LoanClass
from app.domain.errors import ValidationError
from app.domain.warnings import WarningKind


class CheckReason(StrEnum):
    FIRST = "first"
    PERIODIC = "periodic"
    WARNING = "warning"

    @property
    def label(self) -> str:
        return REASON_LABELS[self]


class CheckStatus(StrEnum):
    DUE = "due"  # waiting for the officer
    SUBMITTED = "submitted"  # the officer's record, waiting for the branch manager's review
    RETURNED = "returned"  # sent back with a note: the officer corrects and submits again
    CONFIRMED = "confirmed"  # approved by the manager: archived, its conclusion acted on

    @property
    def label(self) -> str:
        return STATUS_LABELS[self]


OPEN_STATUSES = (CheckStatus.DUE, CheckStatus.RETURNED, CheckStatus.SUBMITTED)
TO_DO_STATUSES = (CheckStatus.DUE, CheckStatus.RETURNED)  # the officer's move


class Conclusion(StrEnum):
    NORMAL = "normal"
    WATCH = "watch"
    RECLASSIFY = "reclassify"
    COLLECT = "collect"

    @property
    def label(self) -> str:
        return CONCLUSION_LABELS[self]


REASON_LABELS = {CheckReason.FIRST: "首次检查", CheckReason.PERIODIC: "定期检查", CheckReason.WARNING: "预警触发检查"}
STATUS_LABELS = {
    CheckStatus.DUE: "待检查", CheckStatus.SUBMITTED: "待复核", CheckStatus.RETURNED: "退回修改", CheckStatus.CONFIRMED: "已复核",
}
CONCLUSION_LABELS = {
    Conclusion.NORMAL: "正常", Conclusion.WATCH: "关注", Conclusion.RECLASSIFY: "建议调整分类", Conclusion.COLLECT: "建议催收",
}

# The form's questions: field -> (label, {value: label}). Values are stored; labels are shown.
FUNDS_USE = ("资金用途是否与约定一致", {"consistent": "一致", "partly": "部分一致", "diverted": "不一致（挪用）"})
HOUSEHOLD = ("家庭经营状况", {"good": "良好", "stable": "稳定", "declining": "下滑", "severe": "严重恶化"})
REPAYMENT = ("还款能力", {"sufficient": "充足", "adequate": "基本满足", "weak": "不足"})
GUARANTEE = ("担保情况", {
    "none": "信用贷款，无担保", "normal": "担保正常", "weakened": "担保人能力或抵押物价值下降", "lost": "担保落空",
})
QUESTIONS: dict[str, tuple[str, dict[str, str]]] = {
    "funds_use": FUNDS_USE, "household": HOUSEHOLD, "repayment": REPAYMENT, "guarantee": GUARANTEE,
}
RISK_SIGNALS = {
    "business_loss": "经营亏损或停产", "family_event": "家庭重大变故（疾病、离婚、死亡）", "lawsuit": "涉诉或被执行",
    "other_debt": "多头借贷、民间借贷", "out_of_contact": "外出、联系不上", "asset_sale": "变卖主要资产",
}
MAX_NOTE = 500


@dataclass(frozen=True, slots=True)
class CheckSchedule:
    """When checks fall due (docs/post-loan.md). Intervals in days, by class, with per-product overrides."""

    first_after_days: int = 30
    interval_days: Mapping[str, int] = field(default_factory=lambda: {
        LoanClass.NORMAL.value: 180, LoanClass.SPECIAL_MENTION.value: 90,
        LoanClass.SUBSTANDARD.value: 30, LoanClass.DOUBTFUL.value: 30, LoanClass.LOSS.value: 30,
    })
    product_interval_days: Mapping[str, Mapping[str, int]] = field(default_factory=dict)  # product code -> {class: days}
    lead_days: int = 15
    warning_due_days: int = 7
    warning_kinds: frozenset[str] = frozenset(k.value for k in WarningKind if k not in (WarningKind.RECONCILIATION_BREAK,
                                                                                     WarningKind.POST_LOAN_CHECK))

    def __post_init__(self) -> None:
        numbers = [self.first_after_days, self.lead_days, self.warning_due_days, *self.interval_days.values(),
                   *(d for by_class in self.product_interval_days.values() for d in by_class.values())]
        if any(n < 0 for n in numbers) or any(d < 1 for d in self.interval_days.values()):
            raise ValueError("post-loan check days must be positive")
        unknown = set(self.interval_days) - {c.value for c in LoanClass}
        if unknown or set(LoanClass) - set(map(LoanClass, self.interval_days)):
            raise ValueError(f"interval_days must name every class once: {sorted(unknown)}")

    def interval(self, product_code: str, loan_class: LoanClass | str) -> int:
        """Days between periodic checks for a loan of this product and class."""
        key = LoanClass(loan_class).value
        return self.product_interval_days.get(product_code, {}).get(key) or self.interval_days[key]

    @property
    def shortest_interval(self) -> int:
        values = [*self.interval_days.values(), *(d for by_class in self.product_interval_days.values() for d in by_class.values() if d)]
        return min(values)


DEFAULT_SCHEDULE = CheckSchedule()


@dataclass(frozen=True, slots=True)
class LoanFacts:
    """What the rule needs to know about one active loan on the business date."""

    start_on: date
    product_code: str
    loan_class: LoanClass | str
    has_first: bool  # a first check was ever raised
    has_open: bool  # a check is due, returned or waiting for review
    last_confirmed_on: date | None  # the business date the last confirmed check was done


@dataclass(frozen=True, slots=True)
class PlannedCheck:
    reason: CheckReason
    due_on: date


def first_check_due(start_on: date, schedule: CheckSchedule = DEFAULT_SCHEDULE) -> date:
    return start_on + timedelta(days=schedule.first_after_days)


def next_periodic_due(facts: LoanFacts, schedule: CheckSchedule = DEFAULT_SCHEDULE) -> date:
    anchor = facts.last_confirmed_on or facts.start_on
    return anchor + timedelta(days=schedule.interval(facts.product_code, facts.loan_class))


def plan_checks(facts: LoanFacts, *, on: date, schedule: CheckSchedule = DEFAULT_SCHEDULE) -> list[PlannedCheck]:
    """The scheduled checks to raise for a loan at the close of `on` (first, then periodic; never both)."""
    if on < facts.start_on:
        return []
    if not facts.has_first:
        return [PlannedCheck(CheckReason.FIRST, max(first_check_due(facts.start_on, schedule), on))]
    if facts.has_open:
        return []
    due = next_periodic_due(facts, schedule)
    if on >= due - timedelta(days=schedule.lead_days):
        return [PlannedCheck(CheckReason.PERIODIC, max(due, on))]
    return []


def warning_raises_check(kind: str, schedule: CheckSchedule = DEFAULT_SCHEDULE) -> bool:
    return str(kind) in schedule.warning_kinds


def warning_check_due(warned_on: date, schedule: CheckSchedule = DEFAULT_SCHEDULE) -> date:
    return warned_on + timedelta(days=schedule.warning_due_days)


# --- the officer's form ----------------------------------------------------------------------------


class CheckInvalid(ValidationError):
    """Several answers are wrong: `errors` maps each field to its message (all shown at once)."""

    def __init__(self, errors: dict[str, str]) -> None:
        field_name, message = next(iter(errors.items()))
        super().__init__(message, field=field_name)
        self.errors = errors


@dataclass(frozen=True, slots=True)
class CheckAnswers:
    funds_use: str
    household: str
    repayment: str
    guarantee: str
    risk_signals: tuple[str, ...]
    conclusion: Conclusion
    proposed_class: LoanClass | None
    note: str

    def as_record(self) -> dict:
        return {
            "fundsUse": self.funds_use, "household": self.household, "repayment": self.repayment, "guarantee": self.guarantee,
            "riskSignals": list(self.risk_signals), "conclusion": self.conclusion.value,
            "proposedClass": self.proposed_class.value if self.proposed_class else None, "note": self.note,
        }


def check_answers(
    raw: Mapping[str, str], risk_signals: Sequence[str], *, current_class: LoanClass | str,
) -> tuple[CheckAnswers | None, dict[str, str]]:
    """The form's answers, or every error by field (an empty dict means the answers are valid)."""
    errors: dict[str, str] = {}
    values: dict[str, str] = {}
    for name, (label, options) in QUESTIONS.items():
        value = (raw.get(name) or "").strip()
        if value not in options:
            errors[name] = f"请选择{label}"
        values[name] = value
    signals = tuple(dict.fromkeys(s for s in risk_signals if s))
    if any(s not in RISK_SIGNALS for s in signals):
        errors["risk_signals"] = "风险信号选项无效"
    try:
        conclusion = Conclusion((raw.get("conclusion") or "").strip())
    except ValueError:
        conclusion = None
        errors["conclusion"] = "请选择检查结论"
    proposed = None
    if conclusion == Conclusion.RECLASSIFY:
        try:
            proposed = LoanClass((raw.get("proposed_class") or "").strip())
        except ValueError:
            errors["proposed_class"] = "建议调整分类时请选择建议的分类"
        else:
            if proposed.rank <= LoanClass(current_class).rank:
                errors["proposed_class"] = f"建议的分类须比当前分类（{LoanClass(current_class).label}）更审慎；上调分类按观察期规则由审批人决定"
    note = (raw.get("note") or "").strip()
    if len(note) > MAX_NOTE:
        errors["note"] = f"检查说明最多 {MAX_NOTE} 字"
    elif not note and (signals or conclusion not in (None, Conclusion.NORMAL)):
        errors["note"] = "有风险信号或结论不是「正常」时，请填写检查说明"
    if errors:
        return None, errors
    return CheckAnswers(
        funds_use=values["funds_use"], household=values["household"], repayment=values["repayment"], guarantee=values["guarantee"],
        risk_signals=signals, conclusion=conclusion, proposed_class=proposed, note=note,
    ), {}


def answer_labels(record: Mapping) -> list[tuple[str, str]]:
    """The stored answers as (question, answer) pairs in Chinese, for the review page and the archive."""
    rows = [(label, options.get(record.get(_camel(name), ""), "—")) for name, (label, options) in QUESTIONS.items()]
    signals = [RISK_SIGNALS.get(s, s) for s in record.get("riskSignals", [])]
    rows.append(("风险信号", "、".join(signals) if signals else "无"))
    conclusion = record.get("conclusion")
    text = CONCLUSION_LABELS.get(Conclusion(conclusion), "—") if conclusion in set(Conclusion) else "—"
    if record.get("proposedClass"):
        text += f"（建议调整为{LoanClass(record['proposedClass']).label}）"
    rows.append(("检查结论", text))
    rows.append(("检查说明", record.get("note") or "—"))
    return rows


def _camel(name: str) -> str:
    head, *rest = name.split("_")
    return head + "".join(p.title() for p in rest)
