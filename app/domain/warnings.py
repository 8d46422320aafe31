"""Early-warning rules (贷后预警): pure decisions over facts the service gathers with set-based SQL.

Each rule takes the facts of one candidate (a loan, a credit line, a credit report
refresh) and returns a `Finding` (kind, severity, level, a Chinese message and the
evidence) or None. The service's SQL only narrows the portfolio down to candidates;
whether a candidate is a warning, and how severe, is decided here.

Thresholds are parameters (`Thresholds`), with the defaults the bank starts from:
- rising days past due: a warning each time DPD crosses 30, 60 or 90 days within
  one overdue episode;
- large drawdown right after granting: the loans drawn on a line within 7 days
  of the line taking effect add up to at least 80 % of its limit;
- repeated failed auto-debits: at least 3 failures in the last 10 business days;
- new hard queries at a report refresh: at least 1 hard query by another
  institution dated after the previous report;
- external data (app/domain/external_warnings.py): 公积金 or 社保 not paid for 3 whole
  months, new tax arrears, a policy surrendered, electricity arrears.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta
from enum import StrEnum
from typing import Any

from app.domain.credit_report.model import QueryRecord
from app.domain.money import PPM, yuan_str


class WarningKind(StrEnum):
    NEW_OVERDUE = "new_overdue"
    RISING_DPD = "rising_dpd"
    NEW_HARD_QUERIES = "new_hard_queries"
    LARGE_DRAWDOWN_AFTER_GRANT = "large_drawdown_after_grant"
    REPEATED_FAILED_DEBITS = "repeated_failed_debits"
    RECONCILIATION_BREAK = "reconciliation_break"  # the core's journal and the ledger disagree on a loan's movement
    POST_LOAN_CHECK = "post_loan_check"  # a confirmed post-loan check concluded 关注 (app/domain/postloan.py)
    GUARANTEE_CALLED = "guarantee_called"  # a 联保 member's loan is overdue: its guarantor is told, citing the guarantee contract
    # from external data (app/domain/external_warnings.py), customer-level, each citing the answer and its date
    HOUSING_FUND_STOPPED = "housing_fund_stopped"  # 公积金 not paid for N months
    SOCIAL_INSURANCE_STOPPED = "social_insurance_stopped"  # 社保 not paid for N months
    NEW_TAX_ARREARS = "new_tax_arrears"  # 税务: arrears new or higher than in the previous answer
    POLICY_SURRENDERED = "policy_surrendered"  # 保单: a policy surrendered since the previous answer
    ELECTRICITY_ARREARS = "electricity_arrears"  # 国网: the electricity account owes money


class Severity(StrEnum):
    LOW = "low"
    MEDIUM = "medium"
    HIGH = "high"


KIND_LABELS = {
    WarningKind.NEW_OVERDUE: "新增逾期",
    WarningKind.RISING_DPD: "逾期天数上升",
    WarningKind.NEW_HARD_QUERIES: "新增征信硬查询",
    WarningKind.LARGE_DRAWDOWN_AFTER_GRANT: "授信后短期大额用信",
    WarningKind.REPEATED_FAILED_DEBITS: "多次扣款失败",
    WarningKind.RECONCILIATION_BREAK: "对账差错",
    WarningKind.POST_LOAN_CHECK: "贷后检查关注",
    WarningKind.GUARANTEE_CALLED: "被担保借款逾期",
    WarningKind.HOUSING_FUND_STOPPED: "公积金断缴",
    WarningKind.SOCIAL_INSURANCE_STOPPED: "社保断缴",
    WarningKind.NEW_TAX_ARREARS: "新增欠税",
    WarningKind.POLICY_SURRENDERED: "保单退保",
    WarningKind.ELECTRICITY_ARREARS: "电费欠费",
}
SEVERITY_LABELS = {Severity.LOW: "低", Severity.MEDIUM: "中", Severity.HIGH: "高"}


class WarningStatus(StrEnum):
    OPEN = "open"
    HANDLED = "handled"
    DISMISSED = "dismissed"

    @property
    def label(self) -> str:
        return WARNING_STATUS_LABELS[self]


class WarningActionKind(StrEnum):
    NOTE = "note"  # follow-up noted; the warning stays open
    HANDLE = "handle"  # dealt with: closes the warning as handled
    DISMISS = "dismiss"  # not a real risk: closes the warning as dismissed

    @property
    def label(self) -> str:
        return WARNING_ACTION_LABELS[self]


WARNING_STATUS_LABELS = {WarningStatus.OPEN: "待处理", WarningStatus.HANDLED: "已处理", WarningStatus.DISMISSED: "已排除"}
WARNING_ACTION_LABELS = {WarningActionKind.NOTE: "记录跟进", WarningActionKind.HANDLE: "处理完毕", WarningActionKind.DISMISS: "排除预警"}


@dataclass(frozen=True, slots=True)
class Thresholds:
    dpd_levels: tuple[int, ...] = (30, 60, 90)
    large_drawdown_ratio_ppm: int = 800_000  # 80 % of the limit
    large_drawdown_days: int = 7
    failed_debits_min: int = 3
    failed_debits_window_days: int = 10  # business dates, counting the run's own date
    hard_queries_min: int = 1
    contributions_stopped_months: int = 3  # 公积金/社保: whole months without a contribution before a warning

    def __post_init__(self) -> None:
        levels = self.dpd_levels
        if not levels or any(x <= 0 for x in levels) or list(levels) != sorted(set(levels)):
            raise ValueError("dpd_levels must be positive and strictly increasing")
        if not 0 < self.large_drawdown_ratio_ppm <= PPM:
            raise ValueError("large_drawdown_ratio_ppm must be in (0, 1_000_000]")
        if self.large_drawdown_days < 0 or self.failed_debits_window_days < 1:
            raise ValueError("windows must be non-negative (failed debits: at least one day)")
        if self.failed_debits_min < 1 or self.hard_queries_min < 1 or self.contributions_stopped_months < 1:
            raise ValueError("minimum counts must be at least 1")


DEFAULT_THRESHOLDS = Thresholds()


@dataclass(frozen=True, slots=True)
class Finding:
    kind: WarningKind
    severity: Severity
    message: str
    evidence: dict[str, Any] = field(default_factory=dict)
    level: int = 0  # rising DPD: the threshold crossed; other kinds: the count that fired


def new_overdue(
    *, on: date, oldest_overdue_due_on: date | None, overdue_principal_fen: int, overdue_interest_fen: int
) -> Finding | None:
    """A loan that was not overdue before `on` has an unpaid installment at the end of `on`.

    A loan already overdue since an earlier date is not "new" (rising DPD covers it).
    """
    if oldest_overdue_due_on is None or oldest_overdue_due_on != on:
        return None
    owed = overdue_principal_fen + overdue_interest_fen
    if owed <= 0:
        return None
    return Finding(
        kind=WarningKind.NEW_OVERDUE,
        severity=Severity.LOW,
        message=f"借据出现逾期：{on.isoformat()} 到期的本息未还，逾期本金 {yuan_str(overdue_principal_fen)} 元、利息 {yuan_str(overdue_interest_fen)} 元",
        evidence={
            "dueOn": on.isoformat(),
            "overduePrincipal": yuan_str(overdue_principal_fen),
            "overdueInterest": yuan_str(overdue_interest_fen),
        },
        level=0,
    )


def rising_dpd(*, days_past_due: int, warned_level: int = 0, levels: tuple[int, ...] = DEFAULT_THRESHOLDS.dpd_levels) -> Finding | None:
    """DPD has reached a threshold above the highest one already warned in this overdue episode."""
    crossed = [x for x in levels if days_past_due >= x]
    if not crossed or crossed[-1] <= warned_level:
        return None
    level = crossed[-1]
    severity = Severity.MEDIUM if level == levels[0] else Severity.HIGH
    return Finding(
        kind=WarningKind.RISING_DPD,
        severity=severity,
        message=f"逾期天数已达 {days_past_due} 天，超过 {level} 天",
        evidence={"daysPastDue": days_past_due, "threshold": level, "previousThreshold": warned_level or None},
        level=level,
    )


def new_hard_queries(
    records: Iterable[QueryRecord],
    *,
    report_on: date,
    previous_report_on: date | None,
    own_institution: str = "",
    min_count: int = DEFAULT_THRESHOLDS.hard_queries_min,
) -> Finding | None:
    """Hard queries (loan / card / guarantee approval) by other institutions since the previous report.

    Without a previous report there is no baseline and nothing is "new".
    Queries made by our own institution (the refresh itself) do not count.
    """
    if previous_report_on is None or previous_report_on >= report_on:
        return None
    new = sorted(
        (r for r in records if r.is_hard and previous_report_on < r.on <= report_on and r.institution != own_institution),
        key=lambda r: (r.on, r.institution),
    )
    if len(new) < min_count:
        return None
    count = len(new)
    severity = Severity.HIGH if count >= 3 else Severity.MEDIUM if count == 2 else Severity.LOW
    institutions = "、".join(dict.fromkeys(r.institution for r in new))
    return Finding(
        kind=WarningKind.NEW_HARD_QUERIES,
        severity=severity,
        message=f"{previous_report_on.isoformat()} 以来新增征信硬查询 {count} 次（{institutions}）",
        evidence={
            "previousReportOn": previous_report_on.isoformat(),
            "reportOn": report_on.isoformat(),
            "queries": [{"on": r.on.isoformat(), "institution": r.institution, "reason": r.reason} for r in new],
        },
        level=count,
    )


def large_drawdown_after_grant(
    *,
    drawn_fen: int,
    limit_fen: int,
    granted_on: date,
    last_drawdown_on: date,
    ratio_ppm: int = DEFAULT_THRESHOLDS.large_drawdown_ratio_ppm,
    days: int = DEFAULT_THRESHOLDS.large_drawdown_days,
) -> Finding | None:
    """What was drawn within `days` of the line taking effect reaches `ratio_ppm` of its limit."""
    if limit_fen <= 0 or drawn_fen <= 0:
        return None
    elapsed = (last_drawdown_on - granted_on).days
    if not 0 <= elapsed <= days:
        return None
    if drawn_fen * PPM < ratio_ppm * limit_fen:
        return None
    percent = drawn_fen * 100 // limit_fen
    return Finding(
        kind=WarningKind.LARGE_DRAWDOWN_AFTER_GRANT,
        severity=Severity.HIGH if drawn_fen >= limit_fen else Severity.MEDIUM,
        message=f"额度生效后 {elapsed} 天内用信 {yuan_str(drawn_fen)} 元，占授信额度 {yuan_str(limit_fen)} 元的 {percent}%",
        evidence={
            "grantedOn": granted_on.isoformat(),
            "lastDrawdownOn": last_drawdown_on.isoformat(),
            "drawn": yuan_str(drawn_fen),
            "limit": yuan_str(limit_fen),
            "percent": percent,
        },
        level=percent,
    )


def repeated_failed_debits(
    failure_dates: Iterable[date],
    *,
    on: date,
    min_count: int = DEFAULT_THRESHOLDS.failed_debits_min,
    window_days: int = DEFAULT_THRESHOLDS.failed_debits_window_days,
) -> Finding | None:
    """At least `min_count` failed auto-debits on the `window_days` business dates ending with `on`."""
    first = on - timedelta(days=window_days - 1)
    dates = sorted({d for d in failure_dates if first <= d <= on})
    if len(dates) < min_count:
        return None
    count = len(dates)
    return Finding(
        kind=WarningKind.REPEATED_FAILED_DEBITS,
        severity=Severity.HIGH if count >= min_count + 2 else Severity.MEDIUM,
        message=f"近 {window_days} 个会计日自动扣款失败 {count} 次",
        evidence={"windowFrom": first.isoformat(), "windowTo": on.isoformat(), "failedOn": [d.isoformat() for d in dates]},
        level=count,
    )
