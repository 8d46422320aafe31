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
        (180, "substandard", "次级"),  # CORRECTION in FACTS §6.1: 181–270 is still 次级 under the 2023 floors
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
