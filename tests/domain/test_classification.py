from decimal import Decimal

import pytest

from app.domain.classification import (
    CREDIT_CARD_2011,
    STRICT_INTERNAL,
    DpdMapping,
    LoanClass,
    apply_floor,
    classify,
    is_non_performing,
    npl_ratio,
    worst,
)


@pytest.mark.parametrize(
    ("dpd", "cls", "label"),
    [
        (0, "normal", "正常"),
        (1, "special_mention", "关注"),
        (90, "special_mention", "关注"),
        (91, "substandard", "次级"),
        (180, "substandard", "次级"),  # 181–270 is still 次级 under the 2023 floors (docs/domain-facts.md#five-tier-classification)
        (270, "substandard", "次级"),
        (271, "doubtful", "可疑"),
        (360, "doubtful", "可疑"),
        (361, "loss", "损失"),
        (5000, "loss", "损失"),
    ],
)
def test_default_mapping_is_the_2023_floors(dpd, cls, label):
    assert classify(dpd) == cls
    assert classify(dpd).label == label


@pytest.mark.parametrize(("dpd", "cls"), [(120, "substandard"), (121, "doubtful"), (180, "doubtful"), (181, "loss")])
def test_credit_card_mapping(dpd, cls):
    assert classify(dpd, CREDIT_CARD_2011) == cls


def test_strict_internal_mapping_is_stricter_between_181_and_270_days():
    assert classify(200, STRICT_INTERNAL) == LoanClass.DOUBTFUL
    assert classify(200) == LoanClass.SUBSTANDARD


def test_mapping_from_settings_and_validation():
    m = DpdMapping.from_dict({"doubtful_from": 181})
    assert (m.special_mention_from, m.substandard_from, m.doubtful_from, m.loss_from) == (1, 91, 181, 361)
    with pytest.raises(ValueError):
        DpdMapping.from_dict({"doubtfull_from": 181})
    with pytest.raises(ValueError):
        DpdMapping(1, 91, 91, 361)
    with pytest.raises(ValueError):
        DpdMapping(0, 91, 181, 361)


def test_negative_days_refused():
    with pytest.raises(ValueError):
        classify(-1)


def test_non_performing_are_the_last_three():
    assert [c for c in LoanClass if is_non_performing(c)] == [LoanClass.SUBSTANDARD, LoanClass.DOUBTFUL, LoanClass.LOSS]
    assert not is_non_performing("special_mention")
    assert is_non_performing("loss")


def test_worst_and_floor():
    assert worst(["normal", "doubtful", "substandard"]) == LoanClass.DOUBTFUL
    assert worst([]) == LoanClass.NORMAL
    assert apply_floor(0, "substandard") == LoanClass.SUBSTANDARD  # officer may be stricter
    assert apply_floor(300, "special_mention") == LoanClass.DOUBTFUL  # never laxer than the floor


def test_npl_ratio():
    ratio = npl_ratio({"normal": 9_000_000, "special_mention": 500_000, "substandard": 300_000, "doubtful": 150_000, "loss": 50_000})
    assert ratio == Decimal("0.05")
    assert str(ratio) == "0.050000"
    assert npl_ratio({LoanClass.NORMAL: 2, LoanClass.LOSS: 1}) == Decimal("0.333333")
    assert npl_ratio({LoanClass.NORMAL: 1, LoanClass.LOSS: 2}) == Decimal("0.666667")
    assert npl_ratio({}) == 0
    assert npl_ratio({"normal": 0}) == 0
    with pytest.raises(ValueError):
        npl_ratio({"normal": -1})


# --- stateful classification (issue 11) ---

from datetime import date  # noqa: E402

from app.domain.classification import (  # noqa: E402
    ClassificationPolicy,
    add_months,
    check_upgrade_target,
    days_past_due,
    may_propose_upgrade,
    next_class,
    observation_ends,
)


@pytest.mark.parametrize(
    ("on", "earliest", "dpd"),
    [(date(2027, 1, 27), date(2027, 1, 27), 0), (date(2027, 1, 28), date(2027, 1, 27), 1), (date(2027, 1, 27), None, 0), (date(2027, 1, 1), date(2027, 1, 27), 0)],
)
def test_days_past_due_count_from_the_day_after_the_earliest_unpaid_due_date(on, earliest, dpd):
    assert days_past_due(on, earliest) == dpd


def test_grace_days_hold_the_dpd_floor_at_normal():
    policy = ClassificationPolicy(grace_days=3)
    assert [policy.dpd_floor(d) for d in (0, 3, 4, 91)] == [LoanClass.NORMAL, LoanClass.NORMAL, LoanClass.SPECIAL_MENTION, LoanClass.SUBSTANDARD]
    with pytest.raises(ValueError):
        ClassificationPolicy(grace_days=90)


@pytest.mark.parametrize(
    ("current", "dpd_floor", "floor", "expected"),
    [
        ("substandard", LoanClass.NORMAL, None, LoanClass.SUBSTANDARD),  # non-performing: held
        ("loss", LoanClass.SPECIAL_MENTION, None, LoanClass.LOSS),
        ("special_mention", LoanClass.NORMAL, None, LoanClass.NORMAL),  # performing: follows its days past due
        ("normal", LoanClass.NORMAL, "doubtful", LoanClass.DOUBTFUL),  # manual floor
        ("substandard", LoanClass.DOUBTFUL, None, LoanClass.DOUBTFUL),  # days past due still push down
    ],
)
def test_next_class_is_the_worst_of_the_floors_and_the_hold(current, dpd_floor, floor, expected):
    assert next_class(current, dpd_floor=dpd_floor, floor=floor) == expected


def test_observation_is_two_periods_or_six_months_whichever_is_longer():
    monthly = [date(2027, m, 15) for m in range(2, 13)]
    assert observation_ends(date(2027, 1, 20), monthly) == date(2027, 7, 20)  # 6 months are longer
    quarterly = [date(2027, 3, 21), date(2027, 6, 21), date(2027, 9, 21), date(2027, 12, 21)]
    assert observation_ends(date(2027, 1, 20), quarterly) == date(2027, 7, 20)  # 2nd settlement 06-21: the months
    assert observation_ends(date(2027, 3, 21), quarterly) == date(2027, 9, 21)  # a due date on the start day does not count
    assert observation_ends(date(2027, 8, 31), []) == date(2028, 2, 29)  # same day of month, clamped
    assert add_months(date(2027, 1, 31), 1) == date(2027, 2, 28)


def test_an_upgrade_is_only_proposed_never_to_a_performing_loan_and_not_before_its_time():
    since, ends = date(2027, 1, 20), date(2027, 7, 20)
    assert may_propose_upgrade("substandard", since=since, on=ends, ends_on=ends, arrears=False)
    assert not may_propose_upgrade("substandard", since=since, on=date(2027, 7, 19), ends_on=ends, arrears=False)
    assert not may_propose_upgrade("substandard", since=since, on=ends, ends_on=ends, arrears=True)
    assert not may_propose_upgrade("special_mention", since=since, on=ends, ends_on=ends, arrears=False)


def test_an_approved_upgrade_is_better_than_today_and_no_better_than_the_floors():
    assert check_upgrade_target("doubtful", "special_mention", dpd_floor=LoanClass.NORMAL, floor=None) == LoanClass.SPECIAL_MENTION
    with pytest.raises(ValueError):
        check_upgrade_target("doubtful", "loss", dpd_floor=LoanClass.NORMAL, floor=None)
    with pytest.raises(ValueError):
        check_upgrade_target("doubtful", "normal", dpd_floor=LoanClass.NORMAL, floor="substandard")
