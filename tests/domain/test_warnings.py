"""The early-warning rules: a hit and a near miss for each kind."""

from datetime import date, timedelta

import pytest

from app.domain.credit_report.model import QueryRecord
from app.domain.warnings import (
    Severity,
    Thresholds,
    WarningKind,
    large_drawdown_after_grant,
    new_hard_queries,
    new_overdue,
    repeated_failed_debits,
    rising_dpd,
)

ON = date(2026, 12, 27)


def test_new_overdue_hits_when_the_first_unpaid_installment_fell_due_today():
    finding = new_overdue(on=ON, oldest_overdue_due_on=ON, overdue_principal_fen=95_644, overdue_interest_fen=4_500)
    assert finding.kind == WarningKind.NEW_OVERDUE and finding.severity == Severity.LOW
    assert finding.evidence == {"dueOn": "2026-12-27", "overduePrincipal": "956.44", "overdueInterest": "45.00"}
    assert "逾期本金 956.44 元" in finding.message


def test_new_overdue_misses_a_loan_already_overdue_before_today():
    assert new_overdue(on=ON, oldest_overdue_due_on=ON - timedelta(days=1), overdue_principal_fen=95_644, overdue_interest_fen=4_500) is None


def test_new_overdue_misses_when_nothing_is_owed():
    assert new_overdue(on=ON, oldest_overdue_due_on=ON, overdue_principal_fen=0, overdue_interest_fen=0) is None
    assert new_overdue(on=ON, oldest_overdue_due_on=None, overdue_principal_fen=10, overdue_interest_fen=0) is None


@pytest.mark.parametrize(("dpd", "warned", "level", "severity"), [(30, 0, 30, Severity.MEDIUM), (61, 30, 60, Severity.HIGH), (95, 0, 90, Severity.HIGH)])
def test_rising_dpd_hits_each_threshold_once(dpd, warned, level, severity):
    finding = rising_dpd(days_past_due=dpd, warned_level=warned)
    assert (finding.kind, finding.level, finding.severity) == (WarningKind.RISING_DPD, level, severity)
    assert finding.evidence["daysPastDue"] == dpd and finding.evidence["threshold"] == level


@pytest.mark.parametrize(("dpd", "warned"), [(29, 0), (59, 30), (75, 60), (120, 90)])
def test_rising_dpd_near_misses(dpd, warned):
    assert rising_dpd(days_past_due=dpd, warned_level=warned) is None


def test_rising_dpd_levels_are_parameters():
    assert rising_dpd(days_past_due=15, levels=(15, 45)).level == 15
    assert rising_dpd(days_past_due=14, levels=(15, 45)) is None


def _q(on, institution="某消费金融公司", reason="贷款审批"):
    return QueryRecord(on=on, institution=institution, reason=reason)


def test_new_hard_queries_counts_other_institutions_after_the_previous_report():
    previous, report_on = date(2026, 11, 1), date(2026, 12, 27)
    records = [
        _q(date(2026, 12, 3)),
        _q(date(2026, 12, 20), "某银行信用卡中心", "信用卡审批"),
        _q(date(2026, 11, 1)),  # on the previous report's date: already known
        _q(date(2026, 12, 10), reason="贷后管理"),  # soft
        _q(report_on, "襄汾农商行"),  # our own refresh
    ]
    finding = new_hard_queries(records, report_on=report_on, previous_report_on=previous, own_institution="襄汾农商行")
    assert finding.kind == WarningKind.NEW_HARD_QUERIES and finding.level == 2 and finding.severity == Severity.MEDIUM
    assert [q["on"] for q in finding.evidence["queries"]] == ["2026-12-03", "2026-12-20"]
    assert "新增征信硬查询 2 次" in finding.message and "某银行信用卡中心" in finding.message


def test_new_hard_queries_near_misses():
    previous, report_on = date(2026, 11, 1), date(2026, 12, 27)
    soft_or_old = [_q(date(2026, 10, 30)), _q(date(2026, 12, 1), reason="本人查询"), _q(date(2026, 12, 2), "襄汾农商行")]
    assert new_hard_queries(soft_or_old, report_on=report_on, previous_report_on=previous, own_institution="襄汾农商行") is None
    assert new_hard_queries([_q(date(2026, 12, 3))], report_on=report_on, previous_report_on=None) is None  # no baseline
    assert new_hard_queries([_q(date(2026, 12, 3))], report_on=report_on, previous_report_on=previous, min_count=2) is None


def test_three_new_hard_queries_are_high():
    records = [_q(date(2026, 12, d)) for d in (3, 4, 5)]
    assert new_hard_queries(records, report_on=ON, previous_report_on=date(2026, 12, 1)).severity == Severity.HIGH


def test_large_drawdown_hits_at_80_percent_within_7_days():
    finding = large_drawdown_after_grant(drawn_fen=8_000_000, limit_fen=10_000_000, granted_on=ON, last_drawdown_on=ON + timedelta(days=7))
    assert (finding.kind, finding.severity, finding.level) == (WarningKind.LARGE_DRAWDOWN_AFTER_GRANT, Severity.MEDIUM, 80)
    assert finding.evidence["drawn"] == "80000.00" and finding.evidence["limit"] == "100000.00"
    full = large_drawdown_after_grant(drawn_fen=10_000_000, limit_fen=10_000_000, granted_on=ON, last_drawdown_on=ON)
    assert full.severity == Severity.HIGH


def test_large_drawdown_near_misses():
    assert large_drawdown_after_grant(drawn_fen=7_999_999, limit_fen=10_000_000, granted_on=ON, last_drawdown_on=ON) is None
    assert large_drawdown_after_grant(drawn_fen=9_000_000, limit_fen=10_000_000, granted_on=ON, last_drawdown_on=ON + timedelta(days=8)) is None
    assert large_drawdown_after_grant(drawn_fen=9_000_000, limit_fen=10_000_000, granted_on=ON, last_drawdown_on=ON - timedelta(days=1)) is None
    assert large_drawdown_after_grant(drawn_fen=5_000_000, limit_fen=10_000_000, granted_on=ON, last_drawdown_on=ON, ratio_ppm=500_000).level == 50


def test_repeated_failed_debits_hits_three_in_ten_business_days():
    failures = [ON - timedelta(days=9), ON - timedelta(days=4), ON]
    finding = repeated_failed_debits(failures, on=ON)
    assert (finding.kind, finding.severity, finding.level) == (WarningKind.REPEATED_FAILED_DEBITS, Severity.MEDIUM, 3)
    assert finding.evidence["failedOn"] == ["2026-12-18", "2026-12-23", "2026-12-27"]
    five = repeated_failed_debits([ON - timedelta(days=d) for d in range(5)], on=ON)
    assert five.severity == Severity.HIGH


def test_repeated_failed_debits_near_misses():
    assert repeated_failed_debits([ON - timedelta(days=10), ON - timedelta(days=4), ON], on=ON) is None  # first one is 11 days back
    assert repeated_failed_debits([ON, ON, ON - timedelta(days=1)], on=ON) is None  # one failure per business date
    assert repeated_failed_debits([ON + timedelta(days=1), ON, ON - timedelta(days=1)], on=ON) is None  # after the run's date


def test_thresholds_refuse_nonsense():
    with pytest.raises(ValueError):
        Thresholds(dpd_levels=(60, 30))
    with pytest.raises(ValueError):
        Thresholds(large_drawdown_ratio_ppm=0)
    with pytest.raises(ValueError):
        Thresholds(failed_debits_min=0)
