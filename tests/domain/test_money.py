from decimal import ROUND_CEILING, ROUND_DOWN, ROUND_FLOOR, ROUND_HALF_EVEN, ROUND_HALF_UP, ROUND_UP, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.money import (
    ROUNDING,
    Money,
    parse_rate_percent,
    percent_str,
    ppm_to_percent,
    round_div,
    yuan_str,
)


def test_rounding_constant_is_half_up():
    assert ROUNDING == ROUND_HALF_UP


@pytest.mark.parametrize(
    ("value", "fen"),
    [
        ("1200", 120000),
        ("1,200.50", 120050),
        ("0.01", 1),
        (" 3151.49 ", 315149),
        (Decimal("12000.00"), 1200000),
        ("1.000", 100),  # trailing zeros are still two decimals
        (7, 700),
        ("0", 0),
    ],
)
def test_from_yuan_parses_to_fen(value, fen):
    assert Money.from_yuan(value).fen == fen


@pytest.mark.parametrize(
    ("value", "message"),
    [
        ("1.001", "两位小数"),
        ("0.005", "两位小数"),
        ("-1", "负数"),
        ("abc", "格式"),
        ("NaN", "格式"),
        ("Infinity", "格式"),
        ("", "格式"),
        ("1e30", "格式"),
        ("1e3", "格式"),
        ("1,2,3", "格式"),
        ("+5", "格式"),
        (".5", "格式"),
        ("１２", "格式"),
        ("9" * 30, "过大"),
    ],
)
def test_from_yuan_refuses_bad_amounts(value, message):
    with pytest.raises(ValidationError, match=message) as err:
        Money.from_yuan(value, field="principal")
    assert err.value.code == "INVALID_AMOUNT"
    assert err.value.field == "principal"


def test_from_yuan_refuses_float():
    with pytest.raises(ValidationError):
        Money.from_yuan(1.1)  # type: ignore[arg-type]


def test_negative_only_when_explicit():
    assert Money(-500).fen == -500
    assert Money.from_yuan("-5.00", allow_negative=True).fen == -500


def test_constructor_refuses_non_int():
    with pytest.raises(TypeError):
        Money(Decimal("1.5"))  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        Money(True)


@pytest.mark.parametrize(
    ("fen", "yuan", "shown"),
    [
        (120000, "1200.00", "¥1,200.00"),
        (7, "0.07", "¥0.07"),
        (0, "0.00", "¥0.00"),
        (-120005, "-1200.05", "-¥1,200.05"),
        (10**13, "100000000000.00", "¥100,000,000,000.00"),
    ],
)
def test_yuan_and_format(fen, yuan, shown):
    m = Money(fen)
    assert m.yuan == Decimal(yuan)
    assert str(m.yuan) == yuan
    assert str(m) == yuan
    assert yuan_str(fen) == yuan
    assert m.format_yuan() == shown


def test_yuan_is_exact_for_huge_amounts():
    assert str(Money(10**40 + 1).yuan) == "100000000000000000000000000000000000000.01"


def test_add_sub_neg_and_order():
    assert Money(150) + Money(50) == Money(200)
    assert Money(150) - Money(200) == Money(-50)
    assert -Money(3) == Money(-3)
    assert Money(1) < Money(2)
    assert not Money(0)
    with pytest.raises(TypeError):
        Money(1) + 1  # type: ignore[operator]


def test_allocate_even_split_gives_leftover_to_first():
    assert [m.fen for m in Money(100).allocate([1, 1, 1])] == [34, 33, 33]


def test_allocate_by_largest_remainder():
    # 1000 × 1/6 = 166.67, × 2/6 = 333.33, × 3/6 = 500
    assert [m.fen for m in Money(1000).allocate([1, 2, 3])] == [167, 333, 500]


def test_allocate_zero_weight_gets_nothing_and_negatives_mirror():
    assert [m.fen for m in Money(5).allocate([0, 1])] == [0, 5]
    assert [m.fen for m in Money(-100).allocate([1, 1, 1])] == [-34, -33, -33]


@pytest.mark.parametrize("weights", [[], [0, 0], [1, -1], [1.5]])
def test_allocate_refuses_bad_weights(weights):
    with pytest.raises(ValueError):
        Money(100).allocate(weights)


@given(st.integers(-(10**15), 10**15), st.lists(st.integers(0, 10**6), min_size=1, max_size=12))
def test_allocate_is_lossless_and_fair(fen, weights):
    if sum(weights) == 0:
        weights = [*weights[:-1], 1]
    parts = [m.fen for m in Money(fen).allocate(weights)]
    assert sum(parts) == fen
    total = sum(weights)
    for part, w in zip(parts, weights, strict=True):
        exact = Decimal(fen) * w / total
        assert abs(Decimal(part) - exact) < 1


@pytest.mark.parametrize(
    ("text", "ppm"),
    [("3.45", 34500), ("24", 240000), ("4.9", 49000), ("0", 0), ("3.4567", 34567), ("0.0001", 1), (" 4.35 ", 43500)],
)
def test_parse_rate_percent(text, ppm):
    assert parse_rate_percent(text) == ppm


@pytest.mark.parametrize(("text", "message"), [("3.45001", "四位"), ("-1", "负数"), ("x", "格式"), ("nan", "格式")])
def test_parse_rate_percent_refuses(text, message):
    with pytest.raises(ValidationError, match=message) as err:
        parse_rate_percent(text)
    assert err.value.code == "INVALID_RATE"
    assert err.value.field == "annual_rate_percent"


def test_ppm_to_percent_and_display():
    assert ppm_to_percent(34500) == Decimal("3.45")
    assert str(ppm_to_percent(34500)) == "3.45"
    assert ppm_to_percent(1) == Decimal("0.0001")
    assert percent_str(240000) == "24.00"
    assert percent_str(34500) == "3.45"
    assert percent_str(34567) == "3.4567"
    assert percent_str(0) == "0.00"


@given(st.integers(0, 10**9))
def test_rate_round_trip(ppm):
    assert parse_rate_percent(str(ppm_to_percent(ppm))) == ppm


@pytest.mark.parametrize(
    ("num", "den", "mode", "expected"),
    [
        (5, 2, ROUND_HALF_UP, 3),
        (-5, 2, ROUND_HALF_UP, -3),
        (5, 2, ROUND_HALF_EVEN, 2),
        (7, 2, ROUND_HALF_EVEN, 4),
        (7, 3, ROUND_HALF_UP, 2),
        (8, 3, ROUND_HALF_UP, 3),
        (7, 3, ROUND_FLOOR, 2),
        (7, 3, ROUND_CEILING, 3),
        (-7, 3, ROUND_DOWN, -2),
        (-7, 3, ROUND_UP, -3),
        (6, 3, ROUND_UP, 2),
    ],
)
def test_round_div(num, den, mode, expected):
    assert round_div(num, den, mode) == expected


@given(st.integers(-(10**20), 10**20), st.integers(1, 10**12))
def test_round_div_matches_decimal(num, den):
    from decimal import localcontext

    with localcontext() as ctx:
        ctx.prec = 80
        for mode in (ROUND_HALF_UP, ROUND_HALF_EVEN, ROUND_FLOOR, ROUND_CEILING, ROUND_DOWN, ROUND_UP):
            expected = (Decimal(num) / Decimal(den)).quantize(Decimal(1), rounding=mode)
            assert round_div(num, den, mode) == int(expected)


@given(st.integers(min_value=-(10**20), max_value=10**20))
def test_yuan_str_is_the_money_string_form(fen):
    assert yuan_str(fen) == str(Money(fen))


def test_yuan_str_refuses_what_money_refuses():
    for bad in (True, 1.5, "100"):
        with pytest.raises(TypeError):
            yuan_str(bad)
