import pytest
from hypothesis import given
from hypothesis import strategies as st

from app.domain.appraisal import (
    DEFAULT_RULES,
    WORST_FIRST,
    Ballot,
    Grade,
    Status,
    aggregate,
    check_approved_amount,
    check_ballot,
    check_transition,
    lower_median,
    proposed_amount_fen,
    rules_from_data,
)
from app.domain.errors import Conflict, ValidationError
from app.domain.scorecard import ADDITIVE_GENERIC, XINHUA, score, scorecard_from_data

RULES = rules_from_data(DEFAULT_RULES)
MAX = 300_000_00
E, G, F, D = Grade.EXCELLENT, Grade.GOOD, Grade.FAIR, Grade.DECLINE


def b(member, grade=None, amount=None, reasons=(), knows=True, round=1):
    return Ballot(member=member, knows=knows, grade=grade, amount_fen=amount, reasons=tuple(reasons), round=round)


def test_grade_is_the_median_of_members_who_know_the_household():
    agg = aggregate([b("a", E, 100_000_00), b("b", G, 50_000_00), b("c", F, 30_000_00), b("d", knows=False)], RULES)
    assert (agg.votes, agg.knowing, agg.grade, agg.panel_amount_fen, agg.excluded) == (4, 3, G, 50_000_00, False)


def test_an_even_count_takes_the_lower_middle_grade():
    assert aggregate([b("a", E), b("b", G)], RULES).grade == G
    assert aggregate([b("a", E), b("b", E), b("c", F), b("d", D)], RULES).grade == F


def test_nobody_knows_the_household_gives_no_grade():
    agg = aggregate([b("a", knows=False), b("b", knows=False)], RULES)
    assert agg.grade is None and agg.insufficient and agg.knowing == 0


def test_one_severe_reason_excludes():
    agg = aggregate([b("a", G, reasons=["gambling"]), b("b", E), b("c", E)], RULES)
    assert agg.excluded and agg.basis == "severe" and agg.reason_counts == {"gambling": 1}


def test_one_ordinary_reason_from_one_member_only_flags():
    agg = aggregate([b("a", F, reasons=["family_discord"]), b("b", G)], RULES)
    assert not agg.excluded and agg.flagged and agg.basis == ""


def test_ordinary_reasons_from_two_members_exclude():
    agg = aggregate([b("a", F, reasons=["family_discord"]), b("b", F, reasons=["bad_habits"]), b("c", G)], RULES)
    assert agg.excluded and agg.basis == "members" and agg.reason_counts == {"bad_habits": 1, "family_discord": 1}


def test_a_reason_in_both_rounds_excludes():
    agg = aggregate([b("a", F, reasons=["wilful_default"]), b("review", F, reasons=["high_interest_debt"], round=2)], RULES)
    assert agg.excluded and agg.basis == "rounds"
    assert agg.grade == F and agg.knowing == 1  # the review ballot does not vote in the median


def test_thresholds_are_configurable():
    strict = rules_from_data({**DEFAULT_RULES, "exclusion": {"min_members": 1, "min_rounds": 3, "severe_excludes": False}})
    assert aggregate([b("a", G, reasons=["bad_habits"])], strict).basis == "members"
    lenient = rules_from_data({**DEFAULT_RULES, "exclusion": {"min_members": 3, "severe_excludes": False}})
    agg = aggregate([b("a", G, reasons=["drugs"]), b("b", G, reasons=["drugs"])], lenient)
    assert not agg.excluded and agg.flagged
    needs_two = rules_from_data({**DEFAULT_RULES, "grade": {"min_knowing_votes": 2}})
    assert aggregate([b("a", E)], needs_two).grade is None


def test_proposed_amount_caps_by_grade_and_product_and_floors_to_the_step():
    agg = aggregate([b("a", G, 123_456_78), b("b", G, 150_000_00)], RULES)
    assert proposed_amount_fen(agg, RULES, product_max_fen=MAX) == 100_000_00  # the 较好 cap
    agg = aggregate([b("a", E, 123_456_78)], RULES)
    assert proposed_amount_fen(agg, RULES, product_max_fen=MAX) == 123_000_00
    assert proposed_amount_fen(agg, RULES, product_max_fen=80_000_00) == 80_000_00
    assert proposed_amount_fen(agg, RULES, product_max_fen=MAX, model_fen=60_000_00, review_fen=90_000_00) == 90_000_00
    assert proposed_amount_fen(agg, RULES, product_max_fen=MAX, grade=D) == 0


def test_excluded_or_declined_is_zero():
    excluded = aggregate([b("a", E, 100_000_00, reasons=["drugs"])], RULES)
    assert proposed_amount_fen(excluded, RULES, product_max_fen=MAX, model_fen=200_000_00) == 0
    declined = aggregate([b("a", D), b("b", D), b("c", E)], RULES)
    assert declined.grade == D and proposed_amount_fen(declined, RULES, product_max_fen=MAX) == 0


def test_check_ballot():
    assert check_ballot(knows=False, grade=None, amount_fen=None, reasons=[], rules=RULES, max_amount_fen=MAX) == (None, None, ())
    assert check_ballot(knows=True, grade="good", amount_fen=5_000_00, reasons=["bad_habits", "bad_habits"], rules=RULES, max_amount_fen=MAX) == (G, 5_000_00, ("bad_habits",))
    cases = [
        ({"knows": False, "grade": "good"}, "knows"),
        ({"knows": True, "grade": ""}, "grade"),
        ({"knows": True, "grade": "superb"}, "grade"),
        ({"knows": True, "grade": "good", "reasons": ["laziness"]}, "reasons"),
        ({"knows": True, "grade": "good", "amount_fen": MAX + 1}, "amount"),
        ({"knows": True, "grade": "decline", "amount_fen": 100}, "amount"),
    ]
    for kwargs, field in cases:
        with pytest.raises(ValidationError) as err:
            check_ballot(**{"amount_fen": None, "reasons": [], "rules": RULES, "max_amount_fen": MAX, **kwargs})
        assert err.value.field == field, kwargs


def test_status_transitions():
    check_transition("draft", Status.FIRST_ROUND)
    check_transition("approval", Status.REVIEW)
    for current, target in [("draft", Status.REVIEW), ("first_round", Status.APPROVAL), ("closed", Status.PUBLISHED), ("published", Status.REVIEW)]:
        with pytest.raises(Conflict) as err:
            check_transition(current, target)
        assert err.value.code == "WRONG_STATUS"


def test_approved_amount_checks():
    check_approved_amount(0, product_max_fen=MAX, excluded=True)
    with pytest.raises(ValidationError, match="只能为 0"):
        check_approved_amount(1, product_max_fen=MAX, excluded=True)
    with pytest.raises(ValidationError, match="300,000"):
        check_approved_amount(MAX + 1, product_max_fen=MAX, excluded=False)


@pytest.mark.parametrize(
    ("data", "message"),
    [
        ({"exclusion_reasons": []}, "不予授信情形"),
        ({"exclusion_reasons": [{"code": "a", "label": "甲"}, {"code": "a", "label": "乙"}]}, "代码重复"),
        ({"scorecard": "nope"}, "未知评分卡"),
        ({"exclusion": {"min_members": 0}}, "exclusion.min_members"),
        ({"grade_caps_yuan": {"excellent": 1}}, "缺少或错误的字段"),
        ({"amount_step_yuan": 1.5}, "amount_step_yuan"),
    ],
)
def test_bad_rules_are_refused(data, message):
    with pytest.raises(ValidationError) as err:
        rules_from_data(data)
    assert err.value.code == "INVALID_RULES" and message in err.value.message


def test_additive_scorecard_adds_the_model_amounts():
    card = scorecard_from_data(ADDITIVE_GENERIC)
    result = score(card, {"rural_house": "good", "town_house": "yes", "vehicle": "no", "work": "business", "income": "5to10"})
    assert result.amount_fen == 70_000_00 and result.points == 70_000
    assert [line.answer for line in result.lines] == ["良好", "有", "无", "经营类", "5–10 万元"]


def test_xinhua_scorecard_tiers():
    card = scorecard_from_data(XINHUA)
    best = {"deposit": "ge50k", "health": "good", "labour": "4", "income": "gt20", "house_value": "ge100", "vehicle": "high",
            "reputation": "good", "public_servant": "yes", "graduate": "yes"}
    assert score(card, best).points == 105 and score(card, best).amount_fen == 200_000_00
    middle = {**best, "income": "5to10", "house_value": "lt10", "public_servant": "no", "graduate": "no", "vehicle": "none"}
    assert score(card, middle).points == 65 and score(card, middle).amount_fen == 80_000_00
    # three labourers score 7 (the original code tested the health string here by mistake)
    three = {**middle, "labour": "3"}
    assert score(card, three).points == 62 and score(card, three).amount_fen == 80_000_00
    low = {f.code: min(f.options, key=lambda o: o.score).value for f in card.factors}
    assert score(card, low).points == 22 and score(card, low).amount_fen == 40_000_00


def test_a_missing_answer_names_the_factor():
    with pytest.raises(ValidationError) as err:
        score(scorecard_from_data(ADDITIVE_GENERIC), {"rural_house": "good"})
    assert err.value.field == "facts.town_house" and "城区有无房产" in err.value.message


@given(st.lists(st.sampled_from(list(Grade)), min_size=1, max_size=15))
def test_the_median_grade_lies_between_the_lowest_and_the_highest(grades):
    agg = aggregate([b(str(i), g) for i, g in enumerate(grades)], RULES)
    ranks = [WORST_FIRST.index(g) for g in grades]
    assert min(ranks) <= WORST_FIRST.index(agg.grade) <= max(ranks)
    assert sum(r < WORST_FIRST.index(agg.grade) for r in ranks) <= len(ranks) // 2


@given(st.lists(st.integers(min_value=0, max_value=10**9), min_size=1, max_size=20))
def test_lower_median_has_at_least_half_at_or_above(values):
    m = lower_median(values)
    assert sum(v >= m for v in values) * 2 >= len(values)
    assert sum(v <= m for v in values) * 2 >= len(values)


@given(st.lists(st.tuples(st.booleans(), st.sampled_from(list(Grade)), st.integers(0, 400_000_00), st.lists(st.sampled_from([r.code for r in RULES.reasons]), max_size=2)), max_size=8),
       st.integers(1, 400_000_00))
def test_proposed_amount_never_exceeds_caps(votes, product_max):
    agg = aggregate([b(str(i), g, a, r, knows=k) for i, (k, g, a, r) in enumerate(votes)], RULES)
    amount = proposed_amount_fen(agg, RULES, product_max_fen=product_max)
    assert 0 <= amount <= product_max and amount % RULES.amount_step_fen == 0
    if agg.grade is not None:
        assert amount <= RULES.grade_caps_fen[agg.grade.value]
    if agg.excluded:
        assert amount == 0
