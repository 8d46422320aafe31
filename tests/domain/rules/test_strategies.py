import importlib.resources
from dataclasses import replace
from datetime import date

import pytest

from app.domain.errors import DomainError
from app.domain.rules.strategies import (
    DEFAULT_STRATEGY_RULESET,
    LimitPolicy,
    compute_limit,
    evaluate_strategy_rules,
    explain_strategy,
    load_strategy_ruleset,
)
from app.domain.rules.strategy_catalogue import STRATEGY_CATALOGUE, StrategyFacts

TODAY = date(2026, 11, 27)
CLEAN = StrategyFacts(
    as_of=TODAY,
    age=40,
    resides_in_village=True,
    village_name="东关村",
    id_card_valid_until=date(2030, 1, 1),
    visit_distance_m=1_200,
    ocr_name="王建国",
    checked_name="王建国",
    id_number_matches=True,
    pre_credit_fen=5_000_000,
    product_max_fen=30_000_000,
    grade="good",
    product_spread_bp_by_grade={"good": 70, "fair": 110},
    product_default_spread_bp=100,
)


def default_text() -> str:
    return importlib.resources.files("app.domain.rules").joinpath(DEFAULT_STRATEGY_RULESET).read_text("utf-8")


RULES = load_strategy_ruleset(default_text())


def hits(facts: StrategyFacts) -> dict[str, object]:
    return {h.code: h for h in evaluate_strategy_rules(RULES, facts).hits}


def test_default_strategy_loads_every_catalogue_rule():
    assert RULES.version == "strategy-2026.1"
    assert {r.code for r in RULES.rules} == set(STRATEGY_CATALOGUE)
    assert RULES.limit == LimitPolicy(income_multiple_pct=300, debt_to_income_pct=500, round_down_fen=100_000)
    assert dict(RULES.spread_bp_by_grade) == {}  # the shipped strategy prices by the product's grade table


def test_clean_facts_pass_with_no_hits():
    decision = evaluate_strategy_rules(RULES, CLEAN)
    assert decision.decision == "pass"
    assert decision.hits == ()


# --- admission: a hit and a near miss per rule ----------------------------------------------


@pytest.mark.parametrize(("age", "hit"), [(17, True), (18, False), (60, False), (61, True)])
def test_age_window_edges(age, hit):
    found = hits(replace(CLEAN, age=age))
    assert ("AGE_WINDOW" in found) is hit
    if hit:
        assert found["AGE_WINDOW"].kind == "reject"
        assert found["AGE_WINDOW"].message == f"年龄{age}岁，不在18–60岁的准入范围内"
        assert found["AGE_WINDOW"].evidence == {"category": "admission", "age": age}


def test_age_window_unknown_age_is_silent():
    assert "AGE_WINDOW" not in hits(replace(CLEAN, age=None))


def test_residence_outside_village_is_review_and_unknown_is_silent():
    found = hits(replace(CLEAN, resides_in_village=False))
    assert found["RESIDENCE"].kind == "review"
    assert found["RESIDENCE"].message == "客户家庭不在东关村，非本村居住"
    assert "RESIDENCE" not in hits(replace(CLEAN, resides_in_village=None))
    assert "RESIDENCE" not in hits(CLEAN)


def test_black_list_rejects_grey_list_reviews():
    decision = evaluate_strategy_rules(RULES, replace(CLEAN, black_list_reasons=("骗贷",)))
    assert decision.decision == "reject"
    assert [(h.code, h.message) for h in decision.hits] == [("BLACK_LIST", "客户在黑名单中：骗贷")]
    decision = evaluate_strategy_rules(RULES, replace(CLEAN, grey_list_reasons=("多头借贷", "失联")))
    assert decision.decision == "review"
    assert [(h.code, h.message) for h in decision.hits] == [("GREY_LIST", "客户在灰名单中：多头借贷、失联")]


# --- anti-fraud ------------------------------------------------------------------------------


def test_shared_phone_hit_and_near_miss():
    assert "SHARED_PHONE" not in hits(replace(CLEAN, phone_shared_with=0))
    found = hits(replace(CLEAN, phone_shared_with=2))
    assert found["SHARED_PHONE"].message == "手机号同时登记在其他家庭的2位客户名下"
    assert found["SHARED_PHONE"].evidence == {"category": "antifraud", "others": 2}


def test_shared_device_allows_one_other_by_default():
    assert "SHARED_DEVICE" not in hits(replace(CLEAN, device_shared_with=1))
    assert hits(replace(CLEAN, device_shared_with=2))["SHARED_DEVICE"].kind == "review"


def test_shared_card_rejects():
    assert "SHARED_CARD" not in hits(CLEAN)
    decision = evaluate_strategy_rules(RULES, replace(CLEAN, card_shared_with=1))
    assert decision.decision == "reject"
    assert decision.hits[0].message == "银行卡同时绑定在另外1位客户名下"


def test_id_card_expired_on_the_day_after_its_last_day():
    assert "ID_CARD_EXPIRED" not in hits(replace(CLEAN, id_card_valid_until=TODAY))
    found = hits(replace(CLEAN, id_card_valid_until=date(2026, 11, 26)))
    assert found["ID_CARD_EXPIRED"].message == "身份证已于2026-11-26过期，请客户换领后再办理"
    assert "ID_CARD_EXPIRED" not in hits(replace(CLEAN, id_card_valid_until=None, id_card_long_term=True))
    assert "ID_CARD_EXPIRED" not in hits(replace(CLEAN, id_card_valid_until=None))


def test_visit_distance_hit_and_near_miss():
    assert "VISIT_DISTANCE" not in hits(replace(CLEAN, visit_distance_m=5_000))
    found = hits(replace(CLEAN, visit_distance_m=5_001))
    assert found["VISIT_DISTANCE"].message == "走访位置距东关村5.0公里，超过5公里"
    assert found["VISIT_DISTANCE"].evidence["distanceM"] == 5_001
    assert "VISIT_DISTANCE" not in hits(replace(CLEAN, visit_distance_m=None))


def test_ocr_name_mismatch_ignores_spaces_and_middle_dots():
    assert "OCR_NAME_MISMATCH" not in hits(replace(CLEAN, ocr_name="王 建国"))
    assert "OCR_NAME_MISMATCH" not in hits(replace(CLEAN, ocr_name="买买提·艾力", checked_name="买买提艾力"))
    found = hits(replace(CLEAN, ocr_name="王建图"))
    assert found["OCR_NAME_MISMATCH"].message == "身份证识别姓名「王建图」与联网核查姓名「王建国」不一致"
    assert "OCR_NAME_MISMATCH" not in hits(replace(CLEAN, checked_name=None))


def test_ocr_id_number_mismatch():
    assert "OCR_ID_NUMBER_MISMATCH" not in hits(replace(CLEAN, id_number_matches=None))
    found = hits(replace(CLEAN, id_number_matches=False, ocr_id_number_masked="1410**********1234", checked_id_number_masked="1410**********5678"))
    assert found["OCR_ID_NUMBER_MISMATCH"].kind == "reject"
    assert found["OCR_ID_NUMBER_MISMATCH"].evidence == {
        "category": "antifraud", "ocrIdNumber": "1410**********1234", "checkedIdNumber": "1410**********5678"
    }


def test_disabled_rule_and_review_only_decision():
    text = default_text().replace("  - code: SHARED_PHONE\n    kind: review\n", "  - code: SHARED_PHONE\n    kind: review\n    enabled: false\n")
    rules = load_strategy_ruleset(text)
    assert evaluate_strategy_rules(rules, replace(CLEAN, phone_shared_with=3)).hits == ()


# --- limit -----------------------------------------------------------------------------------


def test_limit_appraisal_binds_when_smallest():
    limit = compute_limit(RULES.limit, CLEAN)
    assert (limit.limit_fen, limit.binding) == (5_000_000, "appraisal")
    assert limit.skipped == ("income_multiple", "debt_to_income")


def test_limit_product_max_binds():
    limit = compute_limit(RULES.limit, replace(CLEAN, pre_credit_fen=40_000_000))
    assert (limit.limit_fen, limit.binding) == (30_000_000, "product_max")


def test_limit_income_multiple_binds_and_rounds_down():
    limit = compute_limit(RULES.limit, replace(CLEAN, annual_income_fen=1_234_567, open_debt_fen=0))
    assert limit.terms["income_multiple"] == 3_703_701
    assert (limit.limit_fen, limit.binding) == (3_700_000, "income_multiple")


def test_limit_debt_to_income_binds_and_never_goes_negative():
    limit = compute_limit(RULES.limit, replace(CLEAN, annual_income_fen=2_000_000, open_debt_fen=6_000_000))
    assert limit.terms == {"appraisal": 5_000_000, "product_max": 30_000_000, "income_multiple": 6_000_000, "debt_to_income": 4_000_000}
    assert (limit.limit_fen, limit.binding) == (4_000_000, "debt_to_income")
    limit = compute_limit(RULES.limit, replace(CLEAN, annual_income_fen=2_000_000, open_debt_fen=12_000_000))
    assert (limit.limit_fen, limit.binding) == (0, "debt_to_income")


def test_limit_without_income_or_debt_skips_those_terms():
    limit = compute_limit(RULES.limit, replace(CLEAN, annual_income_fen=2_000_000, open_debt_fen=None))
    assert limit.skipped == ("debt_to_income",)
    assert limit.binding == "appraisal"


def test_limit_without_appraisal_is_bound_by_product():
    limit = compute_limit(LimitPolicy(), replace(CLEAN, pre_credit_fen=None))
    assert (limit.limit_fen, limit.binding, limit.skipped) == (30_000_000, "product_max", ("appraisal",))


# --- pricing ---------------------------------------------------------------------------------


TABLE = load_strategy_ruleset(default_text() + "\npricing:\n  spread_bp_by_grade: {excellent: 40, good: 60}\n")


def test_pricing_from_ruleset_then_product_grade_then_product_default():
    assert evaluate_strategy_rules(TABLE, CLEAN).pricing.to_json() == {"spreadBp": 60, "grade": "good", "source": "ruleset"}
    assert evaluate_strategy_rules(TABLE, replace(CLEAN, grade="fair")).pricing.to_json() == {"spreadBp": 110, "grade": "fair", "source": "product_grade"}
    assert evaluate_strategy_rules(RULES, CLEAN).pricing.to_json() == {"spreadBp": 70, "grade": "good", "source": "product_grade"}
    assert evaluate_strategy_rules(RULES, replace(CLEAN, grade=None)).pricing.spread_bp == 100
    assert evaluate_strategy_rules(TABLE, replace(CLEAN, grade="unknown")).pricing.source == "product_default"


def test_explanation_and_json():
    decision = evaluate_strategy_rules(TABLE, replace(CLEAN, age=65, annual_income_fen=1_000_000, open_debt_fen=0))
    assert explain_strategy(decision) == (
        "准入与反欺诈结论：拒绝（策略 strategy-2026.1），命中 1 条规则：\n"
        "1.【拒绝】年龄65岁，不在18–60岁的准入范围内\n"
        "建议额度：30,000.00 元（受收入倍数上限约束）\n"
        "利率加点：LPR + 60 个基点（策略定价表）"
    )
    body = decision.to_json()
    assert body["decision"] == "reject"
    assert body["limit"]["limitFen"] == 3_000_000
    assert body["rules"][0]["code"] == "AGE_WINDOW"


# --- validation ------------------------------------------------------------------------------

MINIMAL = """
version: s-1
rules:
  - code: AGE_WINDOW
    kind: reject
    message: "年龄{age}"
"""


def bad(text: str) -> DomainError:
    with pytest.raises(DomainError) as info:
        load_strategy_ruleset(text)
    assert info.value.code == "BAD_RULESET"
    return info.value


def test_minimal_ruleset_takes_defaults():
    rules = load_strategy_ruleset(MINIMAL)
    assert dict(rules.rules[0].params) == {"min_age": 18, "max_age": 60}
    assert rules.limit == LimitPolicy()
    assert dict(rules.spread_bp_by_grade) == {}


@pytest.mark.parametrize(
    ("text", "field"),
    [
        (MINIMAL.replace("AGE_WINDOW", "AGE_LIMIT"), "rules[0].code"),
        (MINIMAL + "    params: {min_years: 20}\n", "rules[0].params"),
        (MINIMAL + "    params: {min_age: 70}\n", "rules[0].params"),
        (MINIMAL + "    params: {max_age: 200}\n", "rules[0].params.max_age"),
        (MINIMAL + "    params: {max_age: true}\n", "rules[0].params.max_age"),
        (MINIMAL.replace("kind: reject", "kind: warn"), "rules[0].kind"),
        (MINIMAL.replace("{age}", "{phone}"), "rules[0].message"),
        (MINIMAL + "    colour: red\n", "rules[0]"),
        (MINIMAL + "limit: {income_multiple_pct: 0}\n", "limit.income_multiple_pct"),
        (MINIMAL + "limit: {cap: 5}\n", "limit"),
        (MINIMAL + "limit: {round_down_fen: 1.5}\n", "limit.round_down_fen"),
        (MINIMAL + "pricing: {spread_bp_by_grade: {good: 9999}}\n", "pricing.spread_bp_by_grade.good"),
        (MINIMAL + "pricing: {spread_bp_by_grade: {Good: 50}}\n", "pricing.spread_bp_by_grade"),
        (MINIMAL + "pricing: {base: 10}\n", "pricing"),
        (MINIMAL.replace("version: s-1", "version: 's 1'"), "version"),
        (MINIMAL + "  - code: AGE_WINDOW\n    kind: review\n    message: x\n", "rules[1].code"),
    ],
)
def test_bad_rulesets_are_refused(text, field):
    assert bad(text).field == field


def test_unknown_top_level_key_and_non_yaml_refused():
    assert "未知的字段" in bad(MINIMAL + "extra: 1\n").message
    bad("rules: [")
    bad("- just a list")
    bad("version: s-1\nrules: []\n")
    bad("x" * (64 * 1024 + 1))


def test_reject_loader_still_refuses_strategy_codes():
    from app.domain.rules import load_ruleset

    with pytest.raises(DomainError) as info:
        load_ruleset(MINIMAL)
    assert info.value.code == "BAD_RULESET"
