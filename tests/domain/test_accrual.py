"""The 积数 method: day-based interest, penalty and compound rounded once (docs/lending.md worked examples)."""

from decimal import ROUND_HALF_EVEN, Decimal

import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.accrual import (
    interest_denominator,
    interest_fen,
    jishu,
    penalty_denominator,
    penalty_fen,
    penalty_rate_ppb,
    penalty_rate_ppm,
    post_day,
    split_by_weight,
)
from app.domain.schedule import Conventions


def test_penalty_rate_is_contract_rate_times_one_and_a_half():
    assert penalty_rate_ppm(43500) == Decimal("65250.0")  # 4.35 % -> 6.525 %
    assert penalty_rate_ppm(34501) == Decimal("51751.5")
    assert penalty_rate_ppm(43500, Conventions(penalty_multiplier=Decimal("1.3"))) == Decimal("56550.0")
    assert penalty_rate_ppb(34501, 1_500_000) == 51_751_500  # exact in ppb
    assert penalty_rate_ppb(43500, 1_300_000) == 56_550_000


# --- the worked examples of docs/lending.md, computed by hand ------------------------------------------


def test_revolving_70_days_rounded_once():
    # ¥100,000.00 from 10 Jan to 20 Mar 2026 (22 + 28 + 20 = 70 days) at 3.45 %:
    # 10,000,000 × 34,500 × 70 / 360,000,000 = 67,083.33 fen -> ¥670.83
    assert interest_fen([(10_000_000, 34_500, 70)]) == 67_083
    # rounded every day it would be 958 fen × 70 = ¥670.60
    assert 70 * interest_fen([(10_000_000, 34_500, 1)]) == 67_060


def test_revolving_period_with_a_rate_change():
    # 21–31 Dec (11 days) at 3.45 %, 1 Jan – 20 Mar (31 + 28 + 20 = 79 days) at 3.10 %:
    # 10,000,000 × (34,500 × 11 + 31,000 × 79) / 360,000,000 = 78,569.44 fen -> ¥785.69
    assert interest_fen([(10_000_000, 34_500, 11), (10_000_000, 31_000, 79)]) == 78_569


def test_one_day_of_penalty():
    # ¥10,000.00 of principal one day late at 4.35 % × 1.5 = 6.525 %: 1,000,000 × 65,250 / 360,000,000 = 181.25 fen
    assert penalty_fen([(1_000_000, 1)], 43_500) == 181


def test_small_overdue_interest_earns_compound_over_time():
    # ¥20.00 of overdue interest at 4.35 % × 1.5: 0.3625 fen a day, 0 when each day is rounded;
    # rounded once, 30 days earn 2,000 × 65,250 × 30 / 360,000,000 = 10.875 fen -> 11 fen
    assert penalty_fen([(2_000, 1)], 43_500) == 0
    assert penalty_fen([(2_000, 30)], 43_500) == 11


def test_rounding_and_basis_follow_the_product():
    assert penalty_fen([(2_400, 1)], 50_000) == 1  # 0.5 fen exactly: half-up
    assert penalty_fen([(2_400, 1)], 50_000, Conventions(rounding=ROUND_HALF_EVEN)) == 0
    assert penalty_fen([(10_000_000, 1)], 43_500, Conventions(days_in_year_daily=365)) == 1788  # 17.876…
    assert interest_fen([(1_000_000, 43_500, 30)], Conventions(days_in_year_daily=365)) == 3575


def test_negative_inputs_refused():
    with pytest.raises(ValueError):
        jishu([(-1, 43_500, 1)])
    with pytest.raises(ValueError):
        penalty_fen([(1, 1)], -1)
    with pytest.raises(ValueError):
        post_day(0, -1, interest_denominator())
    with pytest.raises(ValueError):
        penalty_rate_ppb(43_500, 900_000)


# --- daily posting with a carry: the posted total is always the once-rounded figure ---------------------


days = st.lists(st.tuples(st.integers(0, 10**10), st.integers(0, 300_000)), min_size=1, max_size=120)


@given(days)
def test_daily_postings_add_up_to_the_once_rounded_figure(history):
    carry = posted = 0
    for k, (balance, rate) in enumerate(history, start=1):
        fen, carry = post_day(carry, balance * rate, interest_denominator())
        posted += fen
        assert fen >= 0 and abs(carry) <= interest_denominator() // 2
        assert posted == interest_fen([(b, r, 1) for b, r in history[:k]])


@given(days, st.sampled_from([1_300_000, 1_500_000, 2_000_000]))
def test_penalty_postings_in_ppb_add_up_to_the_once_rounded_figure(history, multiplier_ppm):
    carry = posted = 0
    for balance, rate in history:
        fen, carry = post_day(carry, balance * penalty_rate_ppb(rate, multiplier_ppm), penalty_denominator())
        posted += fen
    conventions = Conventions(penalty_multiplier=Decimal(multiplier_ppm) / 1_000_000)
    exact = sum(Decimal(b) * r * conventions.penalty_multiplier for b, r in history) / (360 * 1_000_000)
    assert posted == int(exact + Decimal("0.5"))


def test_split_by_weight_gives_the_oldest_the_rest():
    assert split_by_weight(181, [1_000_000, 1_000_000]) == [91, 90]
    assert split_by_weight(10, [1, 2, 3]) == [2, 3, 5]
    assert split_by_weight(7, [0, 0]) == [7, 0]
    assert split_by_weight(5, []) == []


@given(st.integers(0, 10**7), st.lists(st.integers(0, 10**10), min_size=1, max_size=12))
def test_split_by_weight_loses_nothing(total, weights):
    shares = split_by_weight(total, weights)
    assert sum(shares) == total and min(shares) >= 0
