"""Post-loan check rules: when checks fall due, and the officer's form (all errors at once)."""

from datetime import date

import pytest

from app.domain.classification import LoanClass
from app.domain.postloan import (
    DEFAULT_SCHEDULE, CheckReason, CheckSchedule, Conclusion, LoanFacts, PlannedCheck, answer_labels, check_answers, plan_checks,
    warning_check_due, warning_raises_check,
)
from app.domain.warnings import WarningKind

START = date(2026, 6, 1)


def _facts(**kw) -> LoanFacts:
    base = dict(start_on=START, product_code="BIANLI", loan_class="normal", has_first=True, has_open=False, last_confirmed_on=None)
    return LoanFacts(**{**base, **kw})


def test_defaults_are_the_documented_ones():
    s = DEFAULT_SCHEDULE
    assert s.first_after_days == 30 and s.lead_days == 15 and s.warning_due_days == 7
    assert [s.interval("BIANLI", c) for c in LoanClass] == [180, 90, 30, 30, 30]
    assert WarningKind.RECONCILIATION_BREAK.value not in s.warning_kinds and WarningKind.POST_LOAN_CHECK.value not in s.warning_kinds
    assert WarningKind.NEW_OVERDUE.value in s.warning_kinds


def test_first_check_is_due_thirty_days_after_disbursement():
    assert plan_checks(_facts(has_first=False), on=START) == [PlannedCheck(CheckReason.FIRST, date(2026, 7, 1))]


def test_a_loan_older_than_the_first_window_is_due_the_day_it_is_raised():
    on = date(2026, 9, 1)
    assert plan_checks(_facts(has_first=False), on=on) == [PlannedCheck(CheckReason.FIRST, on)]


def test_nothing_before_disbursement_and_nothing_while_a_check_is_open():
    assert plan_checks(_facts(has_first=False), on=date(2026, 5, 31)) == []
    assert plan_checks(_facts(has_open=True), on=date(2027, 6, 1)) == []


@pytest.mark.parametrize("loan_class, interval", [("normal", 180), ("special_mention", 90), ("substandard", 30), ("loss", 30)])
def test_periodic_check_by_class_raised_lead_days_ahead(loan_class, interval):
    last = date(2026, 7, 1)
    facts = _facts(loan_class=loan_class, last_confirmed_on=last)
    due = date.fromordinal(last.toordinal() + interval)
    assert plan_checks(facts, on=date.fromordinal(due.toordinal() - 16)) == []
    assert plan_checks(facts, on=date.fromordinal(due.toordinal() - 15)) == [PlannedCheck(CheckReason.PERIODIC, due)]


def test_product_overrides_the_class_interval():
    schedule = CheckSchedule(product_interval_days={"NONGHU": {"normal": 360}})
    assert schedule.interval("NONGHU", "normal") == 360 and schedule.interval("NONGHU", "special_mention") == 90
    assert schedule.interval("BIANLI", "normal") == 180 and schedule.shortest_interval == 30


def test_a_schedule_must_name_every_class_with_positive_days():
    with pytest.raises(ValueError):
        CheckSchedule(interval_days={"normal": 180})
    with pytest.raises(ValueError):
        CheckSchedule(first_after_days=-1)


def test_warnings_raise_checks_due_in_seven_days():
    assert warning_raises_check("rising_dpd") and not warning_raises_check("reconciliation_break")
    assert warning_check_due(date(2026, 12, 1)) == date(2026, 12, 8)


GOOD = {"funds_use": "consistent", "household": "stable", "repayment": "sufficient", "guarantee": "none", "conclusion": "normal", "note": ""}


def test_a_complete_normal_record_needs_no_note():
    answers, errors = check_answers(GOOD, [], current_class="normal")
    assert errors == {} and answers.conclusion == Conclusion.NORMAL and answers.proposed_class is None


def test_every_missing_answer_is_reported_at_once():
    answers, errors = check_answers({"conclusion": "reclassify"}, ["nonsense"], current_class="special_mention")
    assert answers is None
    assert set(errors) == {"funds_use", "household", "repayment", "guarantee", "risk_signals", "proposed_class", "note"}
    assert errors["funds_use"] == "请选择资金用途是否与约定一致"


def test_reclassify_must_propose_a_stricter_class():
    raw = {**GOOD, "conclusion": "reclassify", "proposed_class": "special_mention", "note": "挪用"}
    _, errors = check_answers(raw, [], current_class="special_mention")
    assert list(errors) == ["proposed_class"]
    answers, errors = check_answers({**raw, "proposed_class": "substandard"}, ["business_loss"], current_class="special_mention")
    assert errors == {} and answers.proposed_class == LoanClass.SUBSTANDARD and answers.risk_signals == ("business_loss",)


def test_the_record_reads_in_chinese():
    answers, _ = check_answers({**GOOD, "conclusion": "collect", "note": "外出务工"}, ["out_of_contact"], current_class="normal")
    rows = dict(answer_labels(answers.as_record()))
    assert rows["资金用途是否与约定一致"] == "一致" and rows["风险信号"] == "外出、联系不上" and rows["检查结论"] == "建议催收"
