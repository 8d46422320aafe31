"""The API's one door for money and rates: a yuan or percent string in, fen or ppm out, or the same
ValidationError (code, field, Chinese message) the services raised when they parsed strings themselves."""

import pytest

from app.api.scalars import fen, optional_fen, rate_ppm
from app.domain.errors import ValidationError

TOO_BIG = "9" * 30  # fits the scalar's 40 characters, not a signed 64-bit column


@pytest.mark.parametrize(
    ("text", "expected"),
    [("1200", 120_000), ("1,200.50", 120_050), (" 0.01 ", 1), ("0", 0)],
)
def test_yuan_strings_become_fen(text, expected):
    assert fen(text, field="amount") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("abc", "金额格式不正确"),
        ("", "金额格式不正确"),
        ("  ", "金额格式不正确"),
        ("NaN", "金额格式不正确"),
        ("1e3", "金额格式不正确"),
        ("1.001", "金额最多保留两位小数"),
        ("-1", "金额不能为负数"),
        (TOO_BIG, "金额过大"),
    ],
)
def test_bad_yuan_strings_are_invalid_amount_on_the_named_field(text, message):
    with pytest.raises(ValidationError) as exc:
        fen(text, field="promised_amount")
    assert (exc.value.code, exc.value.field, exc.value.message) == ("INVALID_AMOUNT", "promised_amount", message)


def test_an_amount_not_sent_is_none_and_a_blank_one_only_when_asked():
    assert optional_fen(None, field="amount") is None
    assert optional_fen("12.30", field="amount") == 1230
    assert optional_fen("  ", field="promised_amount", blank_is_none=True) is None
    with pytest.raises(ValidationError) as exc:
        optional_fen("", field="amount")  # a prepayment of "" is a bad amount, never a payoff
    assert (exc.value.code, exc.value.field) == ("INVALID_AMOUNT", "amount")


@pytest.mark.parametrize(("text", "expected"), [("3.45", 34_500), ("0", 0), ("4.5678", 45_678)])
def test_percent_strings_become_ppm(text, expected):
    assert rate_ppm(text, field="annual_rate_percent") == expected


@pytest.mark.parametrize(
    ("text", "message"),
    [("abc", "利率格式不正确"), ("", "利率格式不正确"), ("-1", "利率不能为负数"), ("1.00001", "利率最多保留四位小数")],
)
def test_bad_percent_strings_are_invalid_rate_on_the_named_field(text, message):
    with pytest.raises(ValidationError) as exc:
        rate_ppm(text, field="one_year_percent")
    assert (exc.value.code, exc.value.field, exc.value.message) == ("INVALID_RATE", "one_year_percent", message)
