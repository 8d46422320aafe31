"""The strategy's external-data limit terms and rules on hand-built facts: computed in code from YAML parameters,
used only when the source's data is there, otherwise not used with the reason."""

from dataclasses import replace
from datetime import date
from decimal import Decimal

import pytest

from app.domain.errors import DomainError
from app.domain.external_data import (
    ExternalSource,
    GrainSubsidyFacts,
    HousingFundFacts,
    InsuranceKindRecord,
    SocialInsuranceFacts,
    SubsidyRecord,
)
from app.domain.rules.strategies import LimitPolicy, compute_limit, evaluate_strategy_rules, explain_strategy, load_strategy_ruleset
from app.domain.rules.strategy_catalogue import NO_CONSENT, UNANSWERED, USED, ExternalFact
from tests.domain.rules.test_strategies import CLEAN, default_text

ON = date(2026, 11, 27)
GRAIN = ExternalFact(ExternalSource.GRAIN_SUBSIDY, USED, query_id="q-grain", data_on=ON, facts=GrainSubsidyFacts(records=(
    SubsidyRecord(2024, "耕地地力保护补贴", Decimal("30.0"), 319_500),
    SubsidyRecord(2025, "耕地地力保护补贴", Decimal("12.35"), 131_527),
    SubsidyRecord(2025, "玉米生产者补贴", Decimal("12.3"), 61_500),
)))
FUND = ExternalFact(ExternalSource.HOUSING_FUND, USED, query_id="q-fund", data_on=ON, facts=HousingFundFacts(
    employer="襄汾县农业农村局", monthly_base_fen=500_000, monthly_contribution_fen=120_000, months_paid=30, last_paid_month="2026-10",
    arrears_months=2, arrears_fen=240_000))
SOCIAL = ExternalFact(ExternalSource.SOCIAL_INSURANCE, USED, query_id="q-si", data_on=ON, facts=SocialInsuranceFacts(kinds=(
    InsuranceKindRecord("养老", "暂停缴费", 60, "2026-06"), InsuranceKindRecord("医疗", "正常参保", 60, "2026-10"))))
POLICY = LimitPolicy(round_down_fen=100_000, grain_fen_per_mu=123_457, housing_fund_multiple=30)


def on(text: str) -> str:
    """The shipped text with the external-data rules and terms switched on."""
    text = text.replace("    enabled: false\n", "")
    return text.replace("  #   grain_fen_per_mu: 300000", "  grain_fen_per_mu: 300000").replace("  #   housing_fund_multiple: 60", "  housing_fund_multiple: 60")


def test_the_shipped_default_names_the_terms_but_leaves_them_off():
    shipped = load_strategy_ruleset(default_text())
    assert shipped.external_sources() == () and shipped.limit.grain_fen_per_mu is None and shipped.limit.housing_fund_multiple is None
    switched = load_strategy_ruleset(on(default_text()))
    assert switched.limit.grain_fen_per_mu == 300_000 and switched.limit.housing_fund_multiple == 60
    assert switched.external_sources() == (ExternalSource.HOUSING_FUND, ExternalSource.SOCIAL_INSURANCE, ExternalSource.GRAIN_SUBSIDY)


def test_the_latest_years_area_times_the_yuan_per_mu_binds_rounded_down():
    facts = replace(CLEAN, external={ExternalSource.GRAIN_SUBSIDY: GRAIN, ExternalSource.HOUSING_FUND: FUND})
    limit = compute_limit(POLICY, facts)
    # 2025: the larger of 12.35 and 12.3 亩; × 1,234.57 元 = 15,246.9395 元 → 1,524,693 fen; the 公积金 term: 1,200 × 30 = 36,000 元
    assert dict(limit.terms) == {"appraisal": 5_000_000, "product_max": 30_000_000, "grain_area": 1_524_693, "housing_fund_multiple": 3_600_000}
    assert (limit.binding, limit.limit_fen, dict(limit.unused)) == ("grain_area", 1_500_000, {})
    assert limit.evidence["grain_area"] == {"source": "grain_subsidy", "dataOn": "2026-11-27", "queryId": "q-grain", "year": 2025, "areaMu": "12.35",
                                            "fenPerMu": 123_457}
    assert limit.evidence["housing_fund_multiple"]["monthlyContributionFen"] == 120_000


def test_a_term_without_its_data_is_not_used_and_says_why():
    refused = ExternalFact(ExternalSource.GRAIN_SUBSIDY, NO_CONSENT, reason="客户没有有效的粮补数据查询授权（用途：授信申请）")
    silent = ExternalFact(ExternalSource.HOUSING_FUND, UNANSWERED, reason="公积金查询超时：查询超时（沙箱）", query_id="q", data_on=ON)
    limit = compute_limit(POLICY, replace(CLEAN, external={ExternalSource.GRAIN_SUBSIDY: refused, ExternalSource.HOUSING_FUND: silent}))
    assert dict(limit.terms) == {"appraisal": 5_000_000, "product_max": 30_000_000} and limit.binding == "appraisal"
    assert dict(limit.unused) == {"grain_area": refused.reason, "housing_fund_multiple": silent.reason}
    assert dict(compute_limit(POLICY, CLEAN).unused) == {"grain_area": "未查询粮补数据", "housing_fund_multiple": "未查询公积金数据"}
    empty = replace(GRAIN, facts=GrainSubsidyFacts(records=()))
    assert compute_limit(POLICY, replace(CLEAN, external={ExternalSource.GRAIN_SUBSIDY: empty})).unused["grain_area"] == "粮补数据中没有补贴面积"


def test_the_rules_read_the_data_with_its_date_and_a_silent_source_is_a_review():
    rules = load_strategy_ruleset(on(default_text()))
    decision = evaluate_strategy_rules(rules, replace(CLEAN, external={ExternalSource.HOUSING_FUND: FUND, ExternalSource.SOCIAL_INSURANCE: SOCIAL}))
    hits = {h.code: h for h in decision.hits}
    assert decision.decision == "review" and set(hits) == {"HOUSING_FUND_ARREARS", "SOCIAL_INSURANCE_LAPSED"}
    assert hits["HOUSING_FUND_ARREARS"].message == "公积金欠缴2个月，欠缴2,400.00元（襄汾县农业农村局，数据日期 2026-11-27）"
    assert hits["HOUSING_FUND_ARREARS"].evidence["queryId"] == "q-fund"
    assert hits["SOCIAL_INSURANCE_LAPSED"].message == "社保未正常参保：养老暂停缴费（最近缴费 2026-06）（数据日期 2026-11-27）"
    silent = ExternalFact(ExternalSource.SOCIAL_INSURANCE, UNANSWERED, reason="社保查询出错：系统繁忙")
    quiet = evaluate_strategy_rules(rules, replace(CLEAN, external={ExternalSource.SOCIAL_INSURANCE: silent}))
    assert [h.code for h in quiet.hits] == ["EXTERNAL_DATA_UNANSWERED"] and quiet.decision == "review"
    assert "外部数据：社保未使用（社保查询出错：系统繁忙）" in explain_strategy(quiet)
    # no consent: the rules cannot look and say nothing; the decision is the one without external data
    none = ExternalFact(ExternalSource.HOUSING_FUND, NO_CONSENT, reason="客户没有有效的公积金数据查询授权（用途：授信申请）")
    assert evaluate_strategy_rules(rules, replace(CLEAN, external={ExternalSource.HOUSING_FUND: none})).decision == "pass"


@pytest.mark.parametrize("limit", ["grain_fen_per_mu: 0", "grain_fen_per_mu: 1.5", "housing_fund_multiple: 201", "contribution_multiple: 20"])
def test_bad_external_parameters_are_refused(limit):
    text = default_text().replace("  round_down_fen: 100000     # whole ¥1,000", f"  round_down_fen: 100000\n  {limit}")
    with pytest.raises(DomainError) as bad:
        load_strategy_ruleset(text)
    assert bad.value.code == "BAD_RULESET"
