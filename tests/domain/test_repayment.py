from datetime import date

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from app.domain.errors import ValidationError
from app.domain.repayment import (
    OwedInstallment,
    PrepaymentMode,
    allocate_payment,
    payoff_amount,
    prepay_partial,
)
from app.domain.schedule import Conventions, Method, build_schedule


TERM_METHODS = [m for m in Method if m is not Method.REVOLVING]  # revolving rows are tested on their own

EI, EP, IF = Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL, Method.INTEREST_FIRST

OLD = OwedInstallment(3, date(2024, 3, 20), penalty_fen=50, compound_fen=10, interest_fen=1000, principal_fen=5000)
NEW = OwedInstallment(4, date(2024, 4, 20), penalty_fen=20, compound_fen=5, interest_fen=900, principal_fen=5100)


def parts(line):
    return (line.number, line.penalty_fen, line.compound_fen, line.interest_fen, line.principal_fen)


# --- allocation --------------------------------------------------------------------------------------


def test_allocation_pays_oldest_installment_first_in_component_order():
    a = allocate_payment([OLD, NEW], 6100)
    assert [parts(x) for x in a.lines] == [(3, 50, 10, 1000, 5000), (4, 20, 5, 15, 0)]
    assert (a.allocated_fen, a.remainder_fen) == (6100, 0)


def test_allocation_inside_an_installment_follows_penalty_compound_interest_principal():
    a = allocate_payment([OLD], 1055)
    assert parts(a.lines[0]) == (3, 50, 10, 995, 0)


def test_allocation_sorts_by_due_date():
    a = allocate_payment([NEW, OLD], 60)
    assert [parts(x) for x in a.lines] == [(3, 50, 10, 0, 0), (4, 0, 0, 0, 0)]


def test_allocation_by_component_takes_each_component_across_installments():
    a = allocate_payment([OLD, NEW], 1100, by_component=True)
    # penalties 50+20, compounds 10+5, then interest oldest first: 1000 + 15
    assert [parts(x) for x in a.lines] == [(3, 50, 10, 1000, 0), (4, 20, 5, 15, 0)]


def test_allocation_honours_a_product_order():
    conv = Conventions(allocation_order=("interest", "principal", "penalty", "compound"))
    a = allocate_payment([OLD], 5500, conventions=conv)
    assert parts(a.lines[0]) == (3, 0, 0, 1000, 4500)


def test_overpayment_is_left_unallocated_when_not_strict():
    a = allocate_payment([OLD, NEW], 20000)
    assert a.allocated_fen == OLD.total_fen + NEW.total_fen == 12085
    assert a.remainder_fen == 20000 - 12085
    assert [x.total_fen for x in a.lines] == [OLD.total_fen, NEW.total_fen]


def test_strict_refuses_more_than_owed():
    assert allocate_payment([OLD, NEW], 12085, strict=True).remainder_fen == 0
    with pytest.raises(ValidationError) as err:
        allocate_payment([OLD, NEW], 12086, strict=True)
    assert (err.value.code, err.value.field) == ("AMOUNT_TOO_LARGE", "amount")
    assert "120.85" in err.value.message


@pytest.mark.parametrize("amount", [0, -1, 1.5, True])
def test_allocation_refuses_non_positive_amounts(amount):
    with pytest.raises(ValidationError) as err:
        allocate_payment([OLD], amount)
    assert (err.value.code, err.value.field) == ("INVALID_AMOUNT", "amount")


owed_items = st.lists(
    st.tuples(*(st.integers(0, 10**6) for _ in range(4))), min_size=1, max_size=6
).map(
    lambda rows: [
        OwedInstallment(i + 1, date(2024, i + 1, 20), *amounts) for i, amounts in enumerate(rows)
    ]
)


@settings(max_examples=300)
@given(owed_items, st.integers(1, 5 * 10**6), st.booleans())
def test_allocation_properties(owed, amount, by_component):
    a = allocate_payment(owed, amount, by_component=by_component)
    total = sum(o.total_fen for o in owed)
    assert a.allocated_fen == min(amount, total)
    assert a.allocated_fen + a.remainder_fen == amount
    assert sum(x.total_fen for x in a.lines) == a.allocated_fen
    for o, x in zip(owed, a.lines, strict=True):
        assert 0 <= x.penalty_fen <= o.penalty_fen
        assert 0 <= x.compound_fen <= o.compound_fen
        assert 0 <= x.interest_fen <= o.interest_fen
        assert 0 <= x.principal_fen <= o.principal_fen
    if not by_component:  # a newer installment gets money only once older ones are settled
        for older, newer, x_old, x_new in zip(owed, owed[1:], a.lines, a.lines[1:]):
            if x_new.total_fen:
                assert x_old.total_fen == older.total_fen


# --- partial prepayment ------------------------------------------------------------------------------

START = date(2011, 9, 20)


def remaining_after(schedule, paid):
    return schedule.installments[paid:]


def test_prepay_keep_term_lowers_the_installment():
    s = build_schedule(1_200_000, 240000, 4, EI, START)
    q = prepay_partial(
        remaining_after(s, 1),
        amount_fen=300_000,
        mode="keep_term",
        method=EI,
        annual_rate_ppm=240000,
        last_due_on=date(2011, 10, 20),
        on=date(2011, 11, 5),
    )
    assert q.interest_fen == 3200  # 3000 × 24% × 16 / 360
    assert q.total_fen == 303_200
    rows = q.schedule.installments
    assert [r.number for r in rows] == [2, 3, 4]
    assert [r.due_on for r in rows] == [date(2011, 11, 20), date(2011, 12, 20), date(2012, 1, 20)]
    fresh = build_schedule(608_851, 240000, 3, EI, date(2011, 10, 20))
    assert [r[2:] for r in rows] == [r[2:] for r in fresh.installments]
    assert rows[0].payment_fen == 211_122 < 315_149  # annuity of 6088.51 at 2 % over 3 months


def test_prepay_keep_installment_shortens_the_term():
    s = build_schedule(1_200_000, 240000, 4, EI, START)
    q = prepay_partial(
        remaining_after(s, 1),
        amount_fen=300_000,
        mode=PrepaymentMode.KEEP_INSTALLMENT,
        method="equal_installment",
        annual_rate_ppm=240000,
        last_due_on=date(2011, 10, 20),
        on=date(2011, 11, 5),
    )
    assert [(r.number, r.principal_fen, r.interest_fen, r.payment_fen, r.remaining_principal_fen) for r in q.schedule.installments] == [
        (2, 302_972, 12_177, 315_149, 305_879),
        (3, 305_879, 6_118, 311_997, 0),
    ]


def test_prepay_keep_installment_equal_principal_keeps_the_principal_part():
    s = build_schedule(1_200_000, 240000, 4, EP, START)
    q = prepay_partial(
        remaining_after(s, 1),
        amount_fen=400_000,
        mode="keep_installment",
        method=EP,
        annual_rate_ppm=240000,
        last_due_on=date(2011, 10, 20),
        on=date(2011, 10, 20),
    )
    assert q.interest_fen == 0
    assert [(r.number, r.principal_fen) for r in q.schedule.installments] == [(2, 300_000), (3, 200_000)]


@pytest.mark.parametrize("mode", list(PrepaymentMode))
def test_prepay_interest_first_keeps_maturity(mode):
    s = build_schedule(1_200_000, 240000, 4, IF, START)
    q = prepay_partial(
        remaining_after(s, 2),
        amount_fen=200_000,
        mode=mode,
        method=IF,
        annual_rate_ppm=240000,
        last_due_on=date(2011, 11, 20),
        on=date(2011, 12, 1),
    )
    assert [(r.number, r.principal_fen, r.interest_fen) for r in q.schedule.installments] == [
        (3, 0, 20_000),
        (4, 1_000_000, 20_000),
    ]


def test_prepay_during_a_broken_first_period_keeps_broken_interest():
    s = build_schedule(1_200_000, 240000, 4, EI, date(2024, 1, 10), date(2024, 2, 20))
    q = prepay_partial(
        s.installments,
        amount_fen=600_000,
        mode="keep_term",
        method=EI,
        annual_rate_ppm=240000,
        last_due_on=date(2024, 1, 10),
        on=date(2024, 1, 30),
    )
    assert q.interest_fen == 8000  # 6000 × 24% × 20 / 360
    assert q.schedule.installments[0].interest_fen == 16400  # 6000 × 24% × 41 / 360 on the rest


@pytest.mark.parametrize(
    ("kwargs", "code", "field"),
    [
        ({"amount_fen": 908_851}, "AMOUNT_TOO_LARGE", "amount"),
        ({"amount_fen": 0}, "INVALID_AMOUNT", "amount"),
        ({"on": date(2011, 10, 19)}, "INVALID_DATE", "date"),
        ({"on": date(2011, 11, 20)}, "INVALID_DATE", "date"),
        ({"mode": "shorter"}, "INVALID_MODE", "mode"),
        ({"method": "bullet"}, "INVALID_METHOD", "method"),
    ],
)
def test_prepay_refuses_bad_input(kwargs, code, field):
    s = build_schedule(1_200_000, 240000, 4, EI, START)
    args = {
        "amount_fen": 100_000,
        "mode": "keep_term",
        "method": EI,
        "annual_rate_ppm": 240000,
        "last_due_on": date(2011, 10, 20),
        "on": date(2011, 11, 5),
    }
    args.update(kwargs)
    with pytest.raises(ValidationError) as err:
        prepay_partial(remaining_after(s, 1), **args)
    assert (err.value.code, err.value.field) == (code, field)


@settings(max_examples=200, deadline=None)
@given(
    st.integers(10**5, 10**10),
    st.integers(0, 240000),
    st.integers(2, 120),
    st.sampled_from(TERM_METHODS),
    st.sampled_from(list(PrepaymentMode)),
    st.data(),
)
def test_prepayment_properties(principal, ppm, n, method, mode, data):
    s = build_schedule(principal, ppm, n, method, date(2024, 1, 15))
    paid = data.draw(st.integers(0, n - 2))
    remaining = s.installments[paid:]
    outstanding = remaining[0].principal_fen + remaining[0].remaining_principal_fen
    amount = data.draw(st.integers(1, outstanding - 1))
    last_due = date(2024, 1, 15) if paid == 0 else s.installments[paid - 1].due_on
    q = prepay_partial(
        remaining, amount_fen=amount, mode=mode, method=method, annual_rate_ppm=ppm, last_due_on=last_due, on=last_due
    )
    rows = q.schedule.installments
    assert 1 <= len(rows) <= len(remaining)
    assert sum(r.principal_fen for r in rows) == outstanding - amount
    assert rows[-1].remaining_principal_fen == 0
    assert all(min(r.principal_fen, r.interest_fen, r.payment_fen, r.remaining_principal_fen) >= 0 for r in rows)
    assert [r.number for r in rows] == list(range(remaining[0].number, remaining[0].number + len(rows)))
    assert [r.due_on for r in rows] == [r.due_on for r in remaining[: len(rows)]]
    # Less principal means less interest, up to re-rounding noise (≤ 1 fen a row, compounding).
    noise = len(rows) + len(rows) ** 2 * ppm // 12_000_000
    assert q.schedule.total_interest_fen <= sum(r.interest_fen for r in remaining) + noise
    if mode is PrepaymentMode.KEEP_TERM or method is IF:
        assert len(rows) == len(remaining)


# --- payoff ------------------------------------------------------------------------------------------


def test_payoff_is_principal_plus_interest_to_date_plus_overdue():
    s = build_schedule(1_200_000, 240000, 4, EI, START)
    q = payoff_amount(
        s.installments[1:],
        annual_rate_ppm=240000,
        last_due_on=date(2011, 10, 20),
        on=date(2011, 11, 5),
        overdue=[OLD],
    )
    assert q.principal_fen == 908_851
    assert q.interest_fen == 9694  # 9088.51 × 24% × 16 / 360 = 96.9441
    assert q.overdue_fen == OLD.total_fen == 6060
    assert q.total_fen == 908_851 + 9694 + 6060


def test_payoff_on_a_due_date_has_no_interest_and_only_overdue_when_nothing_remains():
    s = build_schedule(1_200_000, 240000, 4, EI, START)
    assert payoff_amount(s.installments[2:], annual_rate_ppm=240000, last_due_on=date(2011, 11, 20), on=date(2011, 11, 20)).total_fen == 611_879
    q = payoff_amount([], annual_rate_ppm=240000, last_due_on=date(2012, 1, 20), on=date(2012, 2, 1), overdue=[NEW])
    assert (q.principal_fen, q.interest_fen, q.total_fen) == (0, 0, NEW.total_fen)


def test_payoff_refuses_dates_outside_the_current_period():
    s = build_schedule(1_200_000, 240000, 4, EI, START)
    with pytest.raises(ValidationError) as err:
        payoff_amount(s.installments[1:], annual_rate_ppm=240000, last_due_on=date(2011, 10, 20), on=date(2011, 10, 1))
    assert err.value.code == "INVALID_DATE"
