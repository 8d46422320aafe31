from datetime import date

import pytest

from app.domain.errors import DomainError, ValidationError
from app.domain.lpr import (
    LPR_HISTORY,
    LprRate,
    RepricingAnchor,
    Tenor,
    contract_rate_ppm,
    next_repricing_date,
    rate_on,
    tenor_for_term,
)


@pytest.mark.parametrize(("months", "tenor"), [(1, "1y"), (12, "1y"), (60, "1y"), (61, "5y"), (360, "5y")])
def test_tenor_for_term(months, tenor):
    assert tenor_for_term(months) == tenor
    assert tenor_for_term(months) is Tenor(tenor)


@pytest.mark.parametrize("months", [0, -12, True])
def test_tenor_for_term_refuses_bad_terms(months):
    with pytest.raises(ValidationError) as err:
        tenor_for_term(months)
    assert (err.value.code, err.value.field) == ("INVALID_TERM", "term_months")


def test_history_is_the_facts_table():
    assert len(LPR_HISTORY) == 30
    first = [r for r in LPR_HISTORY if r.published_on == date(2019, 8, 20)]
    assert sorted((r.tenor.value, r.rate_ppm) for r in first) == [("1y", 42500), ("5y", 48500)]
    last = [r for r in LPR_HISTORY if r.published_on == date(2025, 5, 20)]
    assert sorted((r.tenor.value, r.rate_ppm) for r in last) == [("1y", 30000), ("5y", 35000)]
    days = [r.published_on for r in LPR_HISTORY if r.tenor is Tenor.ONE_YEAR]
    assert days == sorted(days) and len(set(days)) == 15


@pytest.mark.parametrize(
    ("tenor", "on", "ppm"),
    [
        ("1y", date(2019, 8, 20), 42500),
        ("5y", date(2019, 12, 31), 48000),  # the December-2019 5Y LPR used to convert old mortgages
        ("5y", date(2024, 2, 19), 42000),  # the day before the record 25 bp cut
        ("5y", date(2024, 2, 20), 39500),
        ("1y", date(2024, 6, 15), 34500),
        ("1y", date(2024, 12, 20), 31000),
        ("1y", date(2026, 3, 1), 30000),
        ("5y", date(2022, 8, 21), 44500),  # 2022-08-20 was a Saturday: publication moved to the 22nd
        ("5y", date(2022, 8, 22), 43000),
    ],
)
def test_rate_on_takes_latest_publication_on_or_before(tenor, on, ppm):
    assert rate_on(LPR_HISTORY, tenor, on).rate_ppm == ppm


def test_rate_on_without_publication_raises_no_lpr():
    with pytest.raises(DomainError) as err:
        rate_on(LPR_HISTORY, Tenor.ONE_YEAR, date(2019, 8, 19))
    assert err.value.code == "NO_LPR"
    assert "LPR" in err.value.message


def test_rate_on_ignores_order_and_other_tenor():
    pubs = [
        LprRate(date(2024, 3, 20), Tenor.FIVE_YEAR, 39500),
        LprRate(date(2024, 1, 22), Tenor.ONE_YEAR, 34500),
        LprRate(date(2024, 2, 20), Tenor.ONE_YEAR, 34400),
    ]
    assert rate_on(pubs, "1y", date(2024, 3, 25)).rate_ppm == 34400
    with pytest.raises(DomainError):
        rate_on(pubs, "5y", date(2024, 3, 19))


def test_contract_rate_adds_spread_in_basis_points():
    assert contract_rate_ppm(34500, 50) == 39500  # 3.45 % + 50 bp = 3.95 %
    assert contract_rate_ppm(48000, -39) == 44100  # old 4.41 % mortgage converted: 4.80 % − 39 bp
    assert contract_rate_ppm(31000, 50) == 36000  # repricing example of docs/domain-facts.md#lpr


def test_contract_rate_refuses_negative_result():
    with pytest.raises(ValidationError) as err:
        contract_rate_ppm(10000, -101)
    assert err.value.code == "INVALID_RATE"


@pytest.mark.parametrize(
    ("anchor", "start", "after", "expected"),
    [
        ("jan1", date(2024, 6, 15), date(2024, 6, 15), date(2025, 1, 1)),
        ("jan1", date(2024, 6, 15), date(2024, 12, 31), date(2025, 1, 1)),
        ("jan1", date(2024, 6, 15), date(2025, 1, 1), date(2026, 1, 1)),
        ("jan1", date(2025, 1, 1), date(2024, 12, 1), date(2026, 1, 1)),  # never on the start date itself
        ("anniversary", date(2024, 6, 15), date(2024, 6, 15), date(2025, 6, 15)),
        ("anniversary", date(2024, 6, 15), date(2025, 6, 14), date(2025, 6, 15)),
        ("anniversary", date(2024, 6, 15), date(2025, 6, 15), date(2026, 6, 15)),
        ("anniversary", date(2024, 2, 29), date(2025, 1, 1), date(2025, 2, 28)),
        ("anniversary", date(2024, 2, 29), date(2027, 3, 1), date(2028, 2, 29)),
        (RepricingAnchor.ANNIVERSARY, date(2020, 1, 31), date(2019, 1, 1), date(2021, 1, 31)),
    ],
)
def test_next_repricing_date(anchor, start, after, expected):
    assert next_repricing_date(anchor, start, after) == expected


def test_repricing_with_longer_or_shorter_cycles():
    assert next_repricing_date("anniversary", date(2024, 1, 31), date(2024, 2, 1), cycle_months=6) == date(2024, 7, 31)
    assert next_repricing_date("jan1", date(2024, 6, 1), date(2025, 3, 1), cycle_months=24) == date(2026, 1, 1)
    with pytest.raises(ValueError):
        next_repricing_date("jan1", date(2024, 6, 1), date(2025, 3, 1), cycle_months=6)
    with pytest.raises(ValueError):
        next_repricing_date("monthly", date(2024, 6, 1), date(2025, 3, 1))


def test_repricing_example_from_facts():
    # 1Y LPR 3.45 % + 50 bp in June 2024; repriced on 2025-01-01 with the latest 1Y fixing (3.10 %).
    start = date(2024, 6, 10)
    spread = 50
    assert contract_rate_ppm(rate_on(LPR_HISTORY, "1y", start).rate_ppm, spread) == 39500
    reprice = next_repricing_date("jan1", start, start)
    assert reprice == date(2025, 1, 1)
    assert contract_rate_ppm(rate_on(LPR_HISTORY, "1y", reprice).rate_ppm, spread) == 36000
