"""展期 (issue 17): the limits of 贷款通则 art. 12 and the rebuilt schedule, figures to the fen."""

from datetime import date

import pytest

from app.domain.errors import ValidationError
from app.domain.extension import ExtensionPolicy, check_extension, extension_dates, max_extension_months, rebuild
from app.domain.schedule import Method


@pytest.mark.parametrize(("term", "allowed"), [
    (3, 3), (6, 6), (12, 12),  # short-term: by its original term
    (13, 6), (24, 12), (36, 18), (60, 30),  # medium-term: by half (whole months, rounded down)
    (61, 36), (120, 36), (360, 36),  # long-term: three years
])
def test_the_total_extension_allowed_follows_the_original_term(term, allowed):
    assert max_extension_months(term) == allowed


OK = dict(original_term_months=12, extended_months=0, times_extended=0, method="equal_installment", today=date(2027, 10, 28),
          maturity_on=date(2027, 11, 27), overdue_fen=0)


@pytest.mark.parametrize(("change", "message"), [
    ({"months": 13}, "短期贷款展期累计不得超过原贷款期限：原期限 12 个月，最多还可展期 12 个月"),
    ({"months": 19, "original_term_months": 36}, "中期贷款展期累计不得超过原贷款期限的一半：原期限 36 个月，最多还可展期 18 个月"),
    ({"months": 37, "original_term_months": 120}, "长期贷款展期累计不得超过 3 年：原期限 120 个月，最多还可展期 36 个月"),
    ({"months": 1, "times_extended": 1, "extended_months": 6}, "该借据已展期 1 次，每笔贷款最多展期一次"),
    ({"months": 0}, "展期期限至少 1 个月"),
    ({"months": 3, "today": date(2027, 11, 27)}, "展期须在贷款到期日（2027-11-27）前申请"),
    ({"months": 3, "overdue_fen": 1}, "借据有逾期或到期未还款项，请先归还后再申请展期"),
    ({"months": 3, "method": "revolving"}, "随借随还贷款没有还款计划，不能展期"),
])
def test_extensions_the_rules_refuse_are_refused_in_chinese(change, message):
    with pytest.raises(ValidationError) as refused:
        check_extension(**{**OK, **change})
    assert refused.value.message == message


def test_within_the_limits_an_extension_passes_and_a_second_one_only_when_configured():
    check_extension(months=12, **OK)
    second = {**OK, "times_extended": 1, "extended_months": 6}
    check_extension(months=6, **second, policy=ExtensionPolicy(max_times=2))
    with pytest.raises(ValidationError) as refused:
        check_extension(months=7, **second, policy=ExtensionPolicy(max_times=2))
    assert refused.value.message == "短期贷款展期累计不得超过原贷款期限：原期限 12 个月，已展期 6 个月，最多还可展期 6 个月"


def test_the_extension_continues_the_loans_monthly_dates_after_the_original_maturity():
    assert extension_dates(date(2026, 12, 27), 12, 3, None) == (date(2027, 12, 27), date(2028, 1, 27), date(2028, 2, 27))
    # a loan due on the 31st keeps its day, on the month's last day when shorter
    assert extension_dates(date(2027, 1, 31), 12, 2, 31) == (date(2028, 1, 31), date(2028, 2, 29))


DATES = (date(2027, 11, 27), date(2027, 12, 27), date(2028, 1, 27), date(2028, 2, 27), date(2028, 3, 27), date(2028, 4, 27))


def test_interest_first_the_current_period_keeps_its_interest_and_the_principal_moves_to_the_new_maturity():
    # 12,000.00 yuan at 4.35 %: a whole month's interest is 1,200,000 × 43,500 / 12,000,000 = 4,350 fen
    rows = rebuild(1_200_000, 43_500, Method.INTEREST_FIRST, DATES, current_interest_fen=4_209, first_number=12)
    assert [(r.number, r.principal_fen, r.interest_fen) for r in rows] == [
        (12, 0, 4_209), (13, 0, 4_350), (14, 0, 4_350), (15, 0, 4_350), (16, 0, 4_350), (17, 1_200_000, 4_350),
    ]


def test_equal_principal_at_a_new_rate_rounds_each_row_half_up_and_sums_to_the_balance():
    # 6,000.00 yuan over six dates: 1,000.00 a month; interest at 4.90 % on the balance left (the current period keeps 2,175)
    rows = rebuild(600_000, 49_000, Method.EQUAL_PRINCIPAL, DATES, current_interest_fen=2_175, first_number=12)
    assert [(r.principal_fen, r.interest_fen) for r in rows] == [
        (100_000, 2_175),  # kept
        (100_000, 2_042),  # 500,000 × 49,000 / 12,000,000 = 2,041.67
        (100_000, 1_633),  # 400,000 → 1,633.33
        (100_000, 1_225),  # 300,000 → 1,225.00
        (100_000, 817),  # 200,000 → 816.67
        (100_000, 408),  # 100,000 → 408.33
    ]
    assert sum(r.principal_fen for r in rows) == 600_000


def test_equal_installment_the_last_row_takes_the_remainder():
    rows = rebuild(1_000_001, 43_500, Method.EQUAL_INSTALLMENT, DATES, current_interest_fen=0, first_number=1)
    assert sum(r.principal_fen for r in rows) == 1_000_001
    assert all(r.principal_fen > 0 for r in rows)
