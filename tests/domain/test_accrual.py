from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.accrual import daily_penalty, penalty_fraction, penalty_rate_ppm
from app.domain.schedule import Conventions


def test_penalty_rate_is_contract_rate_times_one_and_a_half():
    assert penalty_rate_ppm(43500) == Decimal("65250.0")  # 4.35 % -> 6.525 % (docs/domain-facts.md#penalty-and-compound-interest)
    assert penalty_rate_ppm(34501) == Decimal("51751.5")
    assert penalty_rate_ppm(43500, Conventions(penalty_multiplier=Decimal("1.3"))) == Decimal("56550.0")


def test_facts_illustration_daily_rate():
    # 6.525 % / 360 = 0.018125 % a day: 100,000 yuan overdue -> 18.125 yuan -> 18.13 (half-up)
    a = daily_penalty(10_000_000, 0, 43500)
    assert (a.penalty_fen, a.compound_fen) == (1813, 0)


def test_penalty_and_compound_for_one_day():
    a = daily_penalty(10_000_000, 40833, 49000)
    assert a.penalty_fen == 2042  # 100,000 × 7.35 % / 360 = 20.4166…
    assert a.compound_fen == 8  # 408.33 × 7.35 % / 360 = 0.0834 yuan = 8.34 fen
    assert a.total_fen == 2050


def test_each_day_is_rounded_on_its_own():
    one = daily_penalty(10_000_000, 40833, 49000)
    ten = daily_penalty(10_000_000, 40833, 49000, days=10)
    assert (ten.penalty_fen, ten.compound_fen) == (10 * one.penalty_fen, 10 * one.compound_fen)


def test_tiny_amounts_round_to_zero_and_ties_round_up():
    assert daily_penalty(1, 1, 49000).total_fen == 0
    # 48,000 fen × 5 % × 1.5 / 360 = 10.0 fen exactly; 47,760 -> 9.95 -> 10 (half-up)
    assert daily_penalty(48_000, 0, 50000).penalty_fen == 10
    assert daily_penalty(47_760, 0, 50000).penalty_fen == 10
    assert daily_penalty(47_520, 0, 50000).penalty_fen == 10  # 9.9 -> 10
    assert daily_penalty(47_280, 0, 50000).penalty_fen == 10  # 9.85 -> 10


def test_rounding_and_basis_follow_the_product():
    half_even = Conventions(rounding=ROUND_HALF_EVEN)
    # 2,400 fen × 5 % × 1.5 / 360 = 0.5 fen exactly
    assert daily_penalty(2_400, 0, 50000).penalty_fen == 1
    assert daily_penalty(2_400, 0, 50000, half_even).penalty_fen == 0
    basis_365 = Conventions(days_in_year_daily=365)
    assert daily_penalty(10_000_000, 0, 43500, basis_365).penalty_fen == 1788  # 17.876…


def test_penalty_fraction_matches_the_sql_formula():
    factor, denominator = penalty_fraction(49000)
    assert (factor, denominator) == (49000 * 3, 360 * 1_000_000 * 2)


@given(st.integers(0, 10**13), st.integers(0, 10**11), st.integers(0, 400000))
def test_matches_the_documented_integer_formula(principal, interest, ppm):
    factor, denominator = penalty_fraction(ppm)
    a = daily_penalty(principal, interest, ppm)
    assert a.penalty_fen == (2 * principal * factor + denominator) // (2 * denominator)
    assert a.compound_fen == (2 * interest * factor + denominator) // (2 * denominator)


def test_negative_inputs_refused():
    with pytest.raises(ValueError):
        daily_penalty(-1, 0, 49000)
    with pytest.raises(ValueError):
        daily_penalty(1, 0, -1)
