"""Every default rule: a hit on a generated report, and near misses just inside the line."""

from dataclasses import replace
from datetime import date, timedelta

import pytest

from app.domain.credit_report import AccountKind, Guarantee, PublicRecord, QueryRecord
from app.integrations.sandbox import generate_report
from app.domain.rules import evaluate, load_ruleset
from tests.domain.rules.helpers import (
    REPORT_DATE,
    account,
    codes,
    default_text,
    hits,
    run,
    statuses,
    thin_report,
    with_account,
)


def test_thin_report_passes():
    decision = run(thin_report())
    assert (decision.decision, decision.hits) == ("pass", ())


@pytest.mark.parametrize("seed", range(40))
def test_clean_and_thin_profiles_pass(seed):
    for profile in ("clean", "thin"):
        decision = run(generate_report(seed, report_date=REPORT_DATE, profile=profile))
        assert decision.decision == "pass", (profile, seed, codes(decision))


# --- 连三累六 --------------------------------------------------------------------------------


def test_lian_san_lei_liu_hits_generated_profile():
    report = generate_report(11, report_date=REPORT_DATE, profile="lian_san_lei_liu")
    decision = run(report)
    assert decision.decision == "reject"
    assert codes(decision) == ["LIAN_SAN_LEI_LIU"]
    ev = decision.hits[0].evidence
    assert (ev["maxConsecutive"], ev["totalMonths"], ev["windowMonths"]) == (3, 3, 24)
    assert ev["account"] in {a.id for a in report.accounts}
    assert "连三累六" in decision.hits[0].message


def test_three_consecutive_overdue_months_hit_with_months_as_evidence():
    acc = account(statuses({"2025-03": "1", "2025-04": "2", "2025-05": "3"}))
    [hit] = hits(run(with_account(acc)), "LIAN_SAN_LEI_LIU")
    assert hit.evidence == {
        "account": "A9",
        "accountKind": "D1",
        "windowMonths": 24,
        "months": ["2025-03", "2025-04", "2025-05"],
        "maxConsecutive": 3,
        "totalMonths": 3,
    }


def test_two_consecutive_overdue_months_are_a_near_miss():
    acc = account(statuses({"2025-03": "1", "2025-04": "2", "2025-06": "1"}))
    assert hits(run(with_account(acc)), "LIAN_SAN_LEI_LIU") == []


def test_six_scattered_overdue_months_hit():
    months = ["2024-12", "2025-02", "2025-05", "2025-08", "2025-11", "2026-02"]
    acc = account(statuses(dict.fromkeys(months, "1")))
    [hit] = hits(run(with_account(acc)), "LIAN_SAN_LEI_LIU")
    assert (hit.evidence["months"], hit.evidence["maxConsecutive"], hit.evidence["totalMonths"]) == (months, 1, 6)


def test_five_scattered_overdue_months_are_a_near_miss():
    months = ["2024-12", "2025-02", "2025-05", "2025-08", "2025-11"]
    acc = account(statuses(dict.fromkeys(months, "1")))
    assert hits(run(with_account(acc)), "LIAN_SAN_LEI_LIU") == []


def test_window_is_the_24_months_ending_at_the_report_month():
    # 2024-12 is the oldest month of the window ending 2026-11
    inside = account(statuses({"2024-12": "1", "2025-01": "2", "2025-02": "3"}))
    outside = account(statuses({"2024-10": "1", "2024-11": "2", "2024-12": "3"}))
    assert len(hits(run(with_account(inside)), "LIAN_SAN_LEI_LIU")) == 1
    assert hits(run(with_account(outside)), "LIAN_SAN_LEI_LIU") == []


def test_months_after_an_old_end_month_count_as_not_overdue():
    # reported last in 2024-10: its run of three ends before the window starts
    acc = account(statuses({"2024-08": "1", "2024-09": "2", "2024-10": "3"}, end="2024-10"), end="2024-10")
    assert hits(run(with_account(acc)), "LIAN_SAN_LEI_LIU") == []


def test_report_month_symbol_counts_when_the_account_reports_it():
    acc = account(statuses({"2026-09": "1", "2026-10": "2", "2026-11": "3"}, end="2026-11"), end="2026-11")
    [hit] = hits(run(with_account(acc)), "LIAN_SAN_LEI_LIU")
    assert hit.evidence["months"] == ["2026-09", "2026-10", "2026-11"]


def test_non_overdue_symbols_break_a_run():
    # M (paid late within the month), * and # are not overdue
    acc = account(statuses({"2025-03": "1", "2025-04": "M", "2025-05": "2", "2025-06": "*", "2025-07": "3"}))
    assert hits(run(with_account(acc)), "LIAN_SAN_LEI_LIU") == []


def test_lian_san_lei_liu_counts_each_account_separately():
    a = account(statuses({"2025-03": "1", "2025-04": "2"}), id="A1")
    b = account(statuses({"2025-05": "1", "2025-06": "1"}), id="A2")
    c = account(statuses({"2025-09": "1", "2025-10": "1"}), id="C1", kind=AccountKind.R2)
    assert hits(run(thin_report(accounts=(a, b, c))), "LIAN_SAN_LEI_LIU") == []


# --- 当前逾期 -------------------------------------------------------------------------------


def test_current_overdue_hits_generated_profile():
    decision = run(generate_report(5, report_date=REPORT_DATE, profile="current_overdue"))
    assert decision.decision == "reject"
    [hit] = hits(decision, "CURRENT_OVERDUE")
    assert hit.evidence["periods"] == 1
    assert hit.evidence["amount"].endswith(".00") and hit.evidence["amount"] != "0.00"


def test_no_current_overdue_amount_is_a_near_miss():
    acc = account(current_overdue_periods=0, current_overdue_amount_fen=0)
    assert hits(run(with_account(acc)), "CURRENT_OVERDUE") == []


def test_one_fen_overdue_hits_with_default_tolerance():
    acc = account(current_overdue_periods=1, current_overdue_amount_fen=1)
    [hit] = hits(run(with_account(acc)), "CURRENT_OVERDUE")
    assert hit.evidence["amount"] == "0.01"
    assert hit.message == "账户A9当前逾期1期，逾期金额0.01元（截至2026-10-31）"


def test_tolerance_parameter_moves_the_line():
    rules = load_ruleset(default_text().replace("tolerance_fen: 0", "tolerance_fen: 10000"))
    at = account(current_overdue_periods=1, current_overdue_amount_fen=10_000)
    over = account(current_overdue_periods=1, current_overdue_amount_fen=10_001)
    assert hits(run(with_account(at), rules), "CURRENT_OVERDUE") == []
    assert len(hits(run(with_account(over), rules), "CURRENT_OVERDUE")) == 1


# --- bad statuses and symbols --------------------------------------------------------------


def test_bad_debt_profile_hits_status_and_symbol():
    decision = run(generate_report(2, report_date=REPORT_DATE, profile="bad_debt"))
    [status_hit] = hits(decision, "BAD_ACCOUNT_STATUS")
    assert (status_hit.evidence["status"], status_hit.evidence["statusName"]) == ("4", "呆账")
    [symbol_hit] = hits(decision, "BAD_REPAYMENT_SYMBOL")
    assert symbol_hit.evidence["foundSymbols"] == "B"
    assert symbol_hit.evidence["months"] == ["2026-04", "2026-05", "2026-06", "2026-07", "2026-08", "2026-09", "2026-10"]


def test_frozen_card_hits_bad_account_status():
    decision = run(generate_report(4, report_date=REPORT_DATE, profile="frozen_card"))
    assert decision.decision == "reject"
    [hit] = hits(decision, "BAD_ACCOUNT_STATUS")
    assert (hit.evidence["accountKind"], hit.evidence["status"]) == ("R2", "冻结")
    assert codes(decision) == ["BAD_ACCOUNT_STATUS"]


@pytest.mark.parametrize("status", ["4", "5", "6", "8", "冻结", "止付"])
def test_each_bad_status_hits(status):
    assert len(hits(run(with_account(account(status=status))), "BAD_ACCOUNT_STATUS")) == 1


@pytest.mark.parametrize("status", ["1", "2", "3", "7", "销户"])
def test_other_statuses_are_near_misses(status):
    assert hits(run(with_account(account(status=status))), "BAD_ACCOUNT_STATUS") == []


def test_guarantor_repaid_profile_hits_symbol_d():
    decision = run(generate_report(8, report_date=REPORT_DATE, profile="guarantor_repaid"))
    assert codes(decision) == ["BAD_REPAYMENT_SYMBOL"]
    ev = decision.hits[0].evidence
    assert (ev["foundSymbols"], ev["foundNames"], len(ev["months"])) == ("D", ["担保人代还"], 1)


def test_bad_symbol_at_the_window_edge_hits_and_one_month_earlier_misses():
    inside = account(statuses({"2024-12": "D"}))
    outside = account(statuses({"2024-11": "Z"}))
    [hit] = hits(run(with_account(inside)), "BAD_REPAYMENT_SYMBOL")
    assert hit.evidence["months"] == ["2024-12"]
    assert hits(run(with_account(outside)), "BAD_REPAYMENT_SYMBOL") == []


def test_symbol_g_is_not_in_the_default_symbols():
    assert hits(run(with_account(account(statuses({"2026-01": "G"})))), "BAD_REPAYMENT_SYMBOL") == []


def test_several_bad_symbols_are_reported_together_in_parameter_order():
    acc = account(statuses({"2025-01": "Z", "2025-02": "D", "2025-03": "B"}))
    [hit] = hits(run(with_account(acc)), "BAD_REPAYMENT_SYMBOL")
    assert (hit.evidence["foundSymbols"], hit.evidence["foundNames"]) == ("BDZ", ["呆账", "担保人代还", "以资抵债"])


# --- five-tier class -----------------------------------------------------------------------


def test_special_mention_profile_hits_five_class():
    decision = run(generate_report(9, report_date=REPORT_DATE, profile="special_mention"))
    assert codes(decision) == ["FIVE_CLASS"]
    assert (decision.hits[0].evidence["class"], decision.hits[0].evidence["className"]) == (2, "关注")


@pytest.mark.parametrize(
    "changes",
    [{"five_class": 1}, {"five_class": 9}, {"five_class": None}, {"five_class": 3, "status": "3"}],
    ids=["normal", "unclassified", "none", "settled"],
)
def test_five_class_near_misses(changes):
    assert hits(run(with_account(account(**changes))), "FIVE_CLASS") == []


@pytest.mark.parametrize("five_class", [2, 3, 4, 5])
def test_five_class_hits_on_any_open_loan(five_class):
    for kind in (AccountKind.D1, AccountKind.R1, AccountKind.R4):
        assert len(hits(run(with_account(account(kind=kind, five_class=five_class))), "FIVE_CLASS")) == 1


# --- guarantees ----------------------------------------------------------------------------


def _guarantee(five_class: int) -> Guarantee:
    return Guarantee(amount_fen=3_000_000, balance_fen=1_800_000, five_class=five_class, relation="保证人", institution="某农商行")


def test_problem_guarantee_profile_hits():
    decision = run(generate_report(6, report_date=REPORT_DATE, profile="problem_guarantee"))
    assert codes(decision) == ["PROBLEM_GUARANTEE"]
    assert decision.hits[0].evidence["className"] == "次级"


def test_guarantee_of_class_2_hits_with_message():
    [hit] = hits(run(thin_report(guarantees=(_guarantee(1), _guarantee(2)))), "PROBLEM_GUARANTEE")
    assert hit.evidence["guarantee"] == 2
    assert hit.message == "第2笔相关还款责任（保证人，某农商行）五级分类为「关注」，余额18000.00元"


@pytest.mark.parametrize("five_class", [1, 9])
def test_normal_or_unclassified_guarantee_is_a_near_miss(five_class):
    assert hits(run(thin_report(guarantees=(_guarantee(five_class),))), "PROBLEM_GUARANTEE") == []


# --- hard queries --------------------------------------------------------------------------


def _queries(*days_ago: int, reason: str = "贷款审批") -> tuple[QueryRecord, ...]:
    return tuple(QueryRecord(on=REPORT_DATE - timedelta(days=d), institution="某银行", reason=reason) for d in days_ago)


def test_many_queries_profile_hits_review_and_reject():
    decision = run(generate_report(3, report_date=REPORT_DATE, profile="many_queries"))
    assert decision.decision == "reject"
    assert codes(decision) == ["HARD_QUERIES_1M", "HARD_QUERIES_3M"]
    assert [h.kind for h in decision.hits] == ["review", "reject"]
    one_month = decision.hits[0].evidence
    assert (one_month["count"], one_month["maxCount"], one_month["from"], one_month["to"]) == (6, 4, "2026-10-29", "2026-11-29")


def test_four_hard_queries_in_a_month_are_a_near_miss_and_five_are_review():
    four = run(thin_report(query_records=_queries(0, 3, 10, 20)))
    five = run(thin_report(query_records=_queries(0, 3, 10, 20, 31)))
    assert four.decision == "pass"
    assert (five.decision, codes(five)) == ("review", ["HARD_QUERIES_1M"])


def test_one_month_window_includes_the_same_day_last_month_only():
    # 2026-10-29 is in the window ending 2026-11-29, 2026-10-28 is not
    on_edge = run(thin_report(query_records=_queries(0, 1, 2, 3, 31)))
    beyond = run(thin_report(query_records=_queries(0, 1, 2, 3, 32)))
    assert codes(on_edge) == ["HARD_QUERIES_1M"]
    assert beyond.hits == ()


def test_soft_queries_do_not_count():
    soft = _queries(1, 2, 3, 4, 5, 6, 7, reason="贷后管理") + _queries(8, 9, 10, reason="本人查询")
    assert run(thin_report(query_records=_queries(0) + soft)).decision == "pass"


def test_all_three_hard_reasons_count():
    records = _queries(1, reason="贷款审批") + _queries(2, 3, reason="信用卡审批") + _queries(4, 5, reason="担保资格审查")
    assert hits(run(thin_report(query_records=records)), "HARD_QUERIES_1M")[0].evidence["count"] == 5


def test_three_month_line():
    six = _queries(0, 10, 40, 50, 60, 85)
    assert hits(run(thin_report(query_records=six)), "HARD_QUERIES_3M") == []
    [hit] = hits(run(thin_report(query_records=six + _queries(90))), "HARD_QUERIES_3M")
    assert hit.evidence["count"] == 7


def test_six_month_line():
    ten = _queries(0, 100, 110, 120, 130, 140, 150, 160, 170, 180)
    assert run(thin_report(query_records=ten)).decision == "pass"
    decision = run(thin_report(query_records=ten + _queries(181)))
    assert (decision.decision, codes(decision)) == ("reject", ["HARD_QUERIES_6M"])


def test_query_window_falls_back_to_the_last_day_of_a_short_month():
    report = thin_report(report_date=date(2026, 3, 31), query_records=())
    records = tuple(QueryRecord(on=d, institution="x", reason="贷款审批") for d in
                    [date(2026, 2, 28), date(2026, 3, 1), date(2026, 3, 2), date(2026, 3, 3), date(2026, 3, 31)])
    [hit] = hits(run(replace(report, query_records=records)), "HARD_QUERIES_1M")
    assert hit.evidence["from"] == "2026-02-28"


# --- public records ------------------------------------------------------------------------


def test_public_record_profile_is_review():
    decision = run(generate_report(1, report_date=REPORT_DATE, profile="public_record"))
    assert (decision.decision, codes(decision)) == ("review", ["PUBLIC_RECORD"])
    assert decision.hits[0].evidence["status"] == "执行中"


@pytest.mark.parametrize(
    "record",
    [
        PublicRecord(kind="强制执行", on=date(2021, 6, 1), amount_fen=800_000, status="执行完毕"),
        PublicRecord(kind="强制执行", on=date(2021, 6, 1), status="结案"),
        PublicRecord(kind="民事判决", on=date(2025, 6, 1), status="判决"),
        PublicRecord(kind="住房公积金参缴", on=date(2025, 6, 1), status="正常缴存"),
    ],
)
def test_completed_or_other_public_records_are_near_misses(record):
    assert run(thin_report(public_records=(record,))).decision == "pass"


def test_public_record_without_amount_or_status_still_explains():
    [hit] = run(thin_report(public_records=(PublicRecord(kind="强制执行", on=date(2025, 6, 1)),))).hits
    assert hit.evidence == {"record": 1, "recordKind": "强制执行", "on": "2025-06-01", "status": "未知"}
    assert hit.message == "存在未执行完毕的强制执行记录（2025-06-01，状态：未知）"


# --- the spec example ----------------------------------------------------------------------


def test_spec_example_passes():
    from app.domain.credit_report import parse_report
    from tests.domain.credit_report.samples import SPEC_EXAMPLE

    report = parse_report(SPEC_EXAMPLE)
    assert evaluate(load_ruleset(default_text()), report, report.report_date).decision == "pass"
