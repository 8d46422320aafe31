import pytest

from app.domain.credit_report import Repayment, YearMonth


def test_year_month_arithmetic_crosses_years():
    assert YearMonth(2026, 1).shift(-1) == YearMonth(2025, 12)
    assert YearMonth(2025, 12).shift(13) == YearMonth(2027, 1)
    assert str(YearMonth(2026, 3)) == "2026-03"
    assert YearMonth(2025, 12) < YearMonth(2026, 1)


def test_year_month_refuses_month_13():
    with pytest.raises(ValueError):
        YearMonth(2026, 13)


def test_last_symbol_is_the_end_month():
    rep = Repayment(end=YearMonth(2026, 10), statuses="1" + "N" * 58 + "2")
    assert rep.symbol_at(YearMonth(2026, 10)) == "2"
    assert rep.symbol_at(YearMonth(2021, 11)) == "1"
    assert rep.start == YearMonth(2021, 11)
    assert rep.symbol_at(YearMonth(2021, 10)) is None
    assert rep.symbol_at(YearMonth(2026, 11)) is None


def test_window_leaves_out_months_after_the_end():
    # the account was last reported two months before the window's last month
    rep = Repayment(end=YearMonth(2026, 9), statuses="N" * 57 + "123")
    window = rep.window(YearMonth(2026, 11), 4)
    assert window == [(YearMonth(2026, 8), "2"), (YearMonth(2026, 9), "3")]


def test_window_leaves_out_months_before_the_string():
    rep = Repayment(end=YearMonth(2026, 11), statuses="1" + "N" * 59)
    window = rep.window(YearMonth(2026, 11), 61)
    assert len(window) == 60
    assert window[0] == (YearMonth(2021, 12), "1")
