from datetime import date, timedelta
from decimal import ROUND_HALF_EVEN, Decimal, localcontext

import numpy_financial as npf
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.schedule import (

    Conventions,
    Method,
    add_months,
    annuity_payment_fen,
    build_schedule,
    daily_interest_fen,
    due_dates,
    is_settlement_day,
    next_payment_date,
    next_settlement_date,
    previous_settlement_date,
    settlement_dates,
)

TERM_METHODS = [m for m in Method if m is not Method.REVOLVING]  # revolving rows are tested on their own

EI, EP, IF = Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL, Method.INTEREST_FIRST
START = date(2024, 3, 5)


def rows_of(schedule):
    return [(r.principal_fen, r.interest_fen, r.payment_fen, r.remaining_principal_fen) for r in schedule.installments]


# --- public worked examples (docs/domain-facts.md#worked-examples), monthly rate = annual / 12, fen half-up


@pytest.mark.parametrize(
    ("yuan", "ppm", "months", "payment", "first_two"),
    [
        (100_000, 49000, 120, 105577, [(64744, 40833), (65008, 40569)]),
        (1_000_000, 49000, 240, 654444, [(246111, 408333)]),
        (240_000, 49000, 240, 157067, [(59067, 98000), (59308, 97759)]),
        (300_000, 49000, 360, 159218, []),
    ],
)
def test_public_equal_installment_examples(yuan, ppm, months, payment, first_two):
    s = build_schedule(yuan * 100, ppm, months, EI, START)
    assert annuity_payment_fen(yuan * 100, ppm, months) == payment
    assert all(r.payment_fen == payment for r in s.installments[:-1])
    assert [(r.principal_fen, r.interest_fen) for r in s.installments[: len(first_two)]] == first_two


def test_300k_total_interest_is_the_sum_of_rounded_rows():
    # The page's "exact" total (EMI unrounded × 360) is 273,184.86; a real schedule
    # rounds each row and lets the last row absorb the residue: 273,184.72.
    s = build_schedule(30_000_000, 49000, 360, EI, START)
    assert s.total_interest_fen == 27318472
    assert s.total_payment_fen == 30_000_000 + 27318472
    assert abs(s.total_interest_fen - 27318486) <= 100


def test_public_calculator_case_12000_at_24_percent_4_months():
    s = build_schedule(1_200_000, 240000, 4, "equal_installment", date(2011, 9, 20), None)
    assert [r.due_on for r in s.installments] == [date(2011, 10, 20), date(2011, 11, 20), date(2011, 12, 20), date(2012, 1, 20)]
    assert rows_of(s) == [
        (291149, 24000, 315149, 908851),
        (296972, 18177, 315149, 611879),
        (302911, 12238, 315149, 308968),
        (308968, 6179, 315147, 0),
    ]
    assert [r.number for r in s.installments] == [1, 2, 3, 4]
    assert s.total_interest_fen == 60594  # 605.94
    assert s.total_payment_fen == 1260594  # 12605.94
    assert s.principal_fen == 1_200_000
    assert s.term_months == 4


def test_equal_principal_12000_at_24_percent():
    s = build_schedule(1_200_000, 240000, 4, EP, date(2011, 9, 20))
    assert rows_of(s) == [
        (300000, 24000, 324000, 900000),
        (300000, 18000, 318000, 600000),
        (300000, 12000, 312000, 300000),
        (300000, 6000, 306000, 0),
    ]
    assert s.total_interest_fen == 60000


def test_equal_principal_residue_goes_to_last_row():
    s = build_schedule(1000, 0, 3, EP, START)  # 10.00 yuan / 3 = 3.33 + 3.33 + 3.34
    assert [r.principal_fen for r in s.installments] == [333, 333, 334]


def test_interest_first_pays_principal_at_maturity():
    s = build_schedule(1_200_000, 240000, 4, IF, date(2011, 9, 20))
    assert rows_of(s) == [
        (0, 24000, 24000, 1_200_000),
        (0, 24000, 24000, 1_200_000),
        (0, 24000, 24000, 1_200_000),
        (1_200_000, 24000, 1_224_000, 0),
    ]


# --- broken first period: actual days × annual / 360 --------------------------------------------------


def test_long_broken_first_period_changes_only_first_interest():
    regular = build_schedule(1_200_000, 240000, 4, EI, date(2024, 1, 20))
    broken = build_schedule(1_200_000, 240000, 4, EI, date(2024, 1, 10), date(2024, 2, 20))
    # 41 days: 12000 × 24% × 41 / 360 = 328.00
    first = broken.installments[0]
    assert (first.principal_fen, first.interest_fen, first.payment_fen) == (291149, 32800, 323949)
    assert rows_of(broken)[1:] == rows_of(regular)[1:]
    assert broken.total_interest_fen == regular.total_interest_fen + 32800 - 24000


def test_short_broken_first_period():
    s = build_schedule(1_000_000, 43500, 12, EP, date(2024, 1, 25), date(2024, 2, 5))
    # 11 days: 10000 × 4.35% × 11 / 360 = 13.2916… -> 13.29
    assert s.installments[0].interest_fen == 1329
    assert s.installments[0].principal_fen == 83333
    assert s.installments[1].due_on == date(2024, 3, 5)
    assert s.installments[1].interest_fen == 3323  # 916,667 fen × 4.35% / 12 = 3322.92… (whole month)


def test_broken_interest_first_and_rounding_half_up():
    # 1 fen-level tie: 100000 fen × 36000 ppm × 5 days / 360e6 = 50.0 exactly; 100001 -> 50.0005 -> 50
    s = build_schedule(100_000, 36000, 2, IF, date(2024, 1, 1), date(2024, 1, 6))
    assert s.installments[0].interest_fen == 50
    assert s.installments[1].interest_fen == 300


def test_first_due_exactly_one_month_is_not_broken():
    s = build_schedule(1_200_000, 240000, 2, EI, date(2024, 1, 31), date(2024, 2, 29))
    assert s.installments[0].interest_fen == 24000  # not 29 days / 360


# --- dates -------------------------------------------------------------------------------------------


# 每月对日: due dates keep the loan's day of month; a shorter month falls due on its last day and
# does not move the later ones (issue 11, fault 7: they drifted to the 28th/29th).


def test_start_on_jan_31_in_leap_year_keeps_the_31st():
    s = build_schedule(1_200_000, 240000, 4, EI, date(2024, 1, 31))
    assert [r.due_on for r in s.installments] == [date(2024, 2, 29), date(2024, 3, 31), date(2024, 4, 30), date(2024, 5, 31)]


@pytest.mark.parametrize("method", [EI, "equal_principal", "interest_first"])
def test_start_on_jan_31_2026_for_three_months(method):
    s = build_schedule(1_000_000, 43500, 3, method, date(2026, 1, 31))
    assert [r.due_on for r in s.installments] == [date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30)]
    assert s.installments[0].interest_fen == 3625  # a whole month (start + 1 month), not 28 days / 360


@pytest.mark.parametrize(
    ("start", "expected"),
    [
        (date(2026, 1, 29), [date(2026, 2, 28), date(2026, 3, 29), date(2026, 4, 29)]),
        (date(2026, 1, 30), [date(2026, 2, 28), date(2026, 3, 30), date(2026, 4, 30)]),
        (date(2026, 3, 31), [date(2026, 4, 30), date(2026, 5, 31), date(2026, 6, 30)]),
        (date(2027, 12, 31), [date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31)]),
    ],
)
def test_due_dates_keep_the_start_day_of_month(start, expected):
    s = build_schedule(900_000, 43500, 3, EI, start)
    assert [r.due_on for r in s.installments] == expected


def test_start_on_jan_31_in_common_year():
    s = build_schedule(1_200_000, 240000, 3, EI, date(2023, 1, 31))
    assert [r.due_on for r in s.installments] == [date(2023, 2, 28), date(2023, 3, 31), date(2023, 4, 30)]


def test_due_dates_with_an_explicit_day():
    assert due_dates(date(2026, 2, 28), 3, 31) == (date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30))
    assert due_dates(date(2026, 2, 28), 3) == (date(2026, 2, 28), date(2026, 3, 28), date(2026, 4, 28))


def test_first_due_on_31st_clamps_per_month_and_returns_to_31():
    s = build_schedule(1_200_000, 240000, 5, EI, date(2024, 1, 15), date(2024, 1, 31))
    assert [r.due_on for r in s.installments] == [
        date(2024, 1, 31),
        date(2024, 2, 29),
        date(2024, 3, 31),
        date(2024, 4, 30),
        date(2024, 5, 31),
    ]
    assert s.installments[0].interest_fen == 12800  # 16 days: 12000 × 24% × 16 / 360


def test_due_dates_cross_years_and_leap_february():
    assert due_dates(date(2023, 11, 29), 5) == (
        date(2023, 11, 29),
        date(2023, 12, 29),
        date(2024, 1, 29),
        date(2024, 2, 29),
        date(2024, 3, 29),
    )
    assert due_dates(date(2099, 12, 29), 3)[-1] == date(2100, 2, 28)  # 2100 is not a leap year


@pytest.mark.parametrize(
    ("d", "months", "expected"),
    [
        (date(2024, 1, 31), 1, date(2024, 2, 29)),
        (date(2023, 1, 31), 1, date(2023, 2, 28)),
        (date(2024, 2, 29), 12, date(2025, 2, 28)),
        (date(2024, 2, 29), 48, date(2028, 2, 29)),
        (date(2024, 12, 15), 1, date(2025, 1, 15)),
        (date(2024, 3, 31), -1, date(2024, 2, 29)),
    ],
)
def test_add_months(d, months, expected):
    assert add_months(d, months) == expected


# --- edge cases --------------------------------------------------------------------------------------


@pytest.mark.parametrize("method", TERM_METHODS)
def test_term_one(method):
    s = build_schedule(1_000_000, 49000, 1, method, START)
    assert rows_of(s) == [(1_000_000, 4083, 1_004_083, 0)]


@pytest.mark.parametrize("method", TERM_METHODS)
def test_rate_zero(method):
    s = build_schedule(1_000_000, 0, 3, method, START)
    assert s.total_interest_fen == 0
    assert sum(r.principal_fen for r in s.installments) == 1_000_000
    if method is EI:
        assert [r.payment_fen for r in s.installments] == [333333, 333333, 333334]


@pytest.mark.parametrize("method", TERM_METHODS)
def test_tiny_principal_one_fen_over_twelve_months(method):
    s = build_schedule(1, 49000, 12, method, START)
    principals = [r.principal_fen for r in s.installments]
    assert principals == [0] * 11 + [1]
    assert s.total_interest_fen == 0
    assert s.total_payment_fen == 1


def test_small_principal_never_overpays_early_rows():
    # 0.06 yuan / 12 rounds half-up to 1 fen a month: rows stop at the balance.
    s = build_schedule(6, 0, 12, EP, START)
    assert [r.principal_fen for r in s.installments] == [1] * 6 + [0] * 6
    assert min(r.remaining_principal_fen for r in s.installments) == 0


@pytest.mark.parametrize("method", TERM_METHODS)
def test_huge_principal(method):
    s = build_schedule(10**13, 49000, 360, method, START)
    assert sum(r.principal_fen for r in s.installments) == 10**13
    assert s.installments[0].interest_fen == 40833333333  # 10^11 yuan × 4.9% / 12
    if method is EI:
        exact = npf.pmt(0.049 / 12, 360, -(10**13))
        assert abs(s.installments[0].payment_fen - exact) < 2  # float oracle: 17 digits


def test_half_even_convention_is_honoured():
    # 1000 fen × 3% / 12 = 2.5 fen exactly: half-up 3, half-even 2.
    half_up = build_schedule(1000, 30000, 2, IF, START)
    half_even = build_schedule(1000, 30000, 2, IF, START, conventions=Conventions(rounding=ROUND_HALF_EVEN))
    assert [r.interest_fen for r in half_up.installments] == [3, 3]
    assert [r.interest_fen for r in half_even.installments] == [2, 2]


@pytest.mark.parametrize(
    "bad",
    [
        {"days_in_year_broken": 364},
        {"rounding": "ROUND_SOMETIMES"},
        {"penalty_multiplier": Decimal("0.9")},
        {"allocation_order": ("interest", "principal")},
    ],
)
def test_conventions_refuse_nonsense(bad):
    with pytest.raises(ValueError):
        Conventions(**bad)


# --- bad input ---------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"principal_fen": 0}, "INVALID_AMOUNT", "principal"),
        ({"principal_fen": -100}, "INVALID_AMOUNT", "principal"),
        ({"principal_fen": 100.0}, "INVALID_AMOUNT", "principal"),
        ({"principal_fen": True}, "INVALID_AMOUNT", "principal"),
        ({"principal_fen": 10**15 + 1}, "INVALID_AMOUNT", "principal"),
        ({"term_months": 0}, "INVALID_TERM", "term_months"),
        ({"term_months": 601}, "INVALID_TERM", "term_months"),
        ({"term_months": "12"}, "INVALID_TERM", "term_months"),
        ({"annual_rate_ppm": -1}, "INVALID_RATE", "annual_rate_percent"),
        ({"annual_rate_ppm": 1_000_001}, "INVALID_RATE", "annual_rate_percent"),
        ({"first_due_on": date(2024, 3, 5)}, "INVALID_DATE", "first_due_date"),
        ({"first_due_on": date(2024, 3, 1)}, "INVALID_DATE", "first_due_date"),
        ({"first_due_on": date(2024, 5, 6)}, "INVALID_DATE", "first_due_date"),
        ({"method": "balloon"}, "INVALID_METHOD", "method"),
    ],
)
def test_bad_input_is_refused_with_code_and_field(kwargs, code, field):
    args = {"principal_fen": 1_000_000, "annual_rate_ppm": 49000, "term_months": 12, "method": EI, "start_on": START}
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        build_schedule(**args)
    assert (err.value.code, err.value.field) == (code, field)
    assert any("\u4e00" <= ch <= "\u9fff" for ch in err.value.message)  # Chinese message


def test_first_due_two_months_after_start_is_allowed():
    s = build_schedule(1_000_000, 49000, 12, EI, START, date(2024, 5, 5))
    assert s.installments[0].interest_fen == 8303  # 61 days: 10000 × 4.9% × 61 / 360 = 83.0277…


def test_method_accepts_upper_case_string():
    assert build_schedule(1_000_000, 49000, 2, "EQUAL_PRINCIPAL", START).installments[0].principal_fen == 500000


# --- properties --------------------------------------------------------------------------------------

terms = st.integers(1, 360)
principals = st.integers(1, 10**13)
rates = st.integers(0, 360000)
starts = st.dates(date(2000, 1, 1), date(2090, 12, 31))


@settings(max_examples=300, deadline=None)
@given(principals, rates, terms, st.sampled_from(TERM_METHODS), starts, st.integers(1, 61) | st.none())
def test_schedule_invariants(principal, ppm, n, method, start, first_offset):
    first = None if first_offset is None else min(start + timedelta(days=first_offset), add_months(start, 2))
    s = build_schedule(principal, ppm, n, method, start, first)
    rows = s.installments
    assert len(rows) == n
    assert sum(r.principal_fen for r in rows) == principal
    assert s.total_interest_fen == sum(r.interest_fen for r in rows)
    assert s.total_payment_fen == sum(r.payment_fen for r in rows)
    assert rows[-1].remaining_principal_fen == 0
    previous_balance = principal
    previous_due = start
    for i, r in enumerate(rows, start=1):
        assert r.number == i
        assert min(r.principal_fen, r.interest_fen, r.payment_fen, r.remaining_principal_fen) >= 0
        assert r.payment_fen == r.principal_fen + r.interest_fen
        assert r.remaining_principal_fen == previous_balance - r.principal_fen
        assert r.remaining_principal_fen <= previous_balance
        assert r.due_on > previous_due
        previous_balance = r.remaining_principal_fen
        previous_due = r.due_on


@settings(max_examples=300, deadline=None)
@given(st.integers(100, 10**10), st.integers(1000, 360000), terms)  # where float pmt is accurate
def test_annuity_matches_numpy_financial_within_a_fen(principal, ppm, n):
    exact = -npf.pmt(ppm / 12_000_000, n, principal)  # float oracle, unrounded
    assert abs(annuity_payment_fen(principal, ppm, n) - exact) <= 1
    s = build_schedule(principal, ppm, n, EI, START)
    assert abs(s.installments[0].payment_fen - exact) <= 1


@settings(max_examples=200, deadline=None)
@given(st.integers(10**6, 10**12), st.integers(0, 240000), st.integers(2, 360))
def test_equal_installment_rows_are_level_until_the_last(principal, ppm, n):
    # Up to 24 % a year (far above any bank product). At 36 % over 20+ years the compounded
    # per-row rounding can exceed one payment, so the balance runs out a row early: the
    # schedule still sums exactly (test_schedule_invariants), but it is no longer level.
    s = build_schedule(principal, ppm, n, EI, START)
    payment = annuity_payment_fen(principal, ppm, n)
    assert {r.payment_fen for r in s.installments[:-1]} == {payment}
    # Each row's rounding (≤ 1 fen) compounds at the monthly rate until the last row.
    r = Decimal(ppm) / 12_000_000
    bound = n if ppm == 0 else ((1 + r) ** n - 1) / r
    assert abs(s.installments[-1].payment_fen - payment) <= bound


@settings(max_examples=200, deadline=None)
@given(st.integers(1, 10**13), st.integers(1, 360000), terms)
def test_exact_annuity_agrees_with_high_precision_decimal(principal, ppm, n):
    with localcontext() as ctx:
        ctx.prec = 100
        r = Decimal(ppm) / Decimal(12_000_000)
        exact = Decimal(principal) * r / (1 - (1 + r) ** -n)
        expected = int(exact.quantize(Decimal(1), rounding="ROUND_HALF_UP"))
    assert annuity_payment_fen(principal, ppm, n) == expected


@settings(max_examples=100, deadline=None)
@given(principals, rates, st.integers(2, 360))
def test_equal_principal_interest_never_rises(principal, ppm, n):
    s = build_schedule(principal, ppm, n, EP, START)
    interests = [r.interest_fen for r in s.installments]
    assert interests == sorted(interests, reverse=True)


# --- revolving lines (随借随还) ---------------------------------------------------------------------


def test_daily_interest():
    assert daily_interest_fen(1_000_000, 43500) == 121  # 10000 × 4.35% / 360 = 1.2083 yuan
    assert daily_interest_fen(1_000_000, 43500, days=90) == 10875  # exact 108.75, rounded once
    assert daily_interest_fen(1_000_000, 43500, days=30, basis=365) == 3575  # 35.7534…
    assert daily_interest_fen(0, 43500) == 0
    assert daily_interest_fen(720, 2500) == 0  # 0.005 fen -> 0
    assert daily_interest_fen(1440, 250000) == 1  # exactly 1.0 fen


def test_daily_interest_tie_rounds_half_up():
    assert daily_interest_fen(720, 250000) == 1  # exactly 0.5 fen -> 1


def test_daily_interest_refuses_negatives():
    with pytest.raises(ValueError):
        daily_interest_fen(-1, 43500)


def test_settlement_dates_are_20th_of_quarter_end_months():
    assert settlement_dates(2024) == (date(2024, 3, 20), date(2024, 6, 20), date(2024, 9, 20), date(2024, 12, 20))
    assert is_settlement_day(date(2025, 9, 20))
    assert not is_settlement_day(date(2025, 9, 21))
    assert not is_settlement_day(date(2025, 10, 20))


def test_next_and_previous_settlement_dates():
    assert next_settlement_date(date(2024, 3, 19)) == date(2024, 3, 20)
    assert next_settlement_date(date(2024, 3, 20)) == date(2024, 6, 20)
    assert next_settlement_date(date(2024, 12, 20)) == date(2025, 3, 20)
    assert previous_settlement_date(date(2024, 3, 20)) == date(2024, 3, 20)
    assert previous_settlement_date(date(2024, 3, 19)) == date(2023, 12, 20)


@pytest.mark.parametrize(
    ("after", "expected"),
    [
        (date(2026, 11, 27), date(2026, 12, 21)),
        (date(2026, 12, 20), date(2026, 12, 21)),  # drawn on the 结息日: one day, due the next morning
        (date(2026, 12, 21), date(2027, 3, 21)),  # drawn on the 付息日: the 21st starts a period
        (date(2026, 12, 31), date(2027, 3, 21)),
        (date(2026, 1, 10), date(2026, 3, 21)),
    ],
)
def test_interest_falls_due_on_the_21st(after, expected):
    assert next_payment_date(after) == expected


def test_revolving_rows_fall_due_on_the_21st_and_repay_principal_at_maturity():
    # periods 21st – 20th fall due on the 21st (issue 11, fault 4: they were 20th – 19th, due the 20th)
    s = build_schedule(1_000_000, 45_000, 12, "revolving", date(2026, 11, 27))
    assert [r.due_on for r in s.installments] == [date(2026, 12, 21), date(2027, 3, 21), date(2027, 6, 21), date(2027, 9, 21), date(2027, 11, 27)]
    assert [r.principal_fen for r in s.installments] == [0, 0, 0, 0, 1_000_000]
    assert s.installments[0].interest_fen == (2 * 1_000_000 * 45_000 * 24 + 360_000_000) // 720_000_000  # 27 Nov – 20 Dec: 24 days
    assert s.installments[-1].interest_fen == (2 * 1_000_000 * 45_000 * 67 + 360_000_000) // 720_000_000  # 21 Sep – 26 Nov: 67 days
    assert s.principal_fen == 1_000_000


def test_amortize_refuses_revolving():
    from datetime import date

    import pytest

    from app.domain.schedule import Method, amortize

    with pytest.raises(ValueError):
        amortize(1000, 45_000, Method.REVOLVING, [date(2027, 1, 1)])
