"""The pure tag rules."""

import pytest

from app.domain.tags import DEFAULT_RULES, CustomerFacts, Occupation, Tag, TagRules, parse_manual, tags_for


def test_no_facts_no_tags():
    assert tags_for(CustomerFacts()) == frozenset()


def test_overdue_now_implies_history_and_paid_late_is_history_only():
    assert tags_for(CustomerFacts(days_past_due=1)) == {Tag.OVERDUE_HISTORY, Tag.CURRENTLY_OVERDUE}
    assert tags_for(CustomerFacts(ever_overdue=True)) == {Tag.OVERDUE_HISTORY}


def test_large_borrower_at_the_threshold_not_below():
    assert tags_for(CustomerFacts(outstanding_fen=DEFAULT_RULES.large_borrower_fen)) == {Tag.LARGE_BORROWER}
    assert tags_for(CustomerFacts(outstanding_fen=DEFAULT_RULES.large_borrower_fen - 1)) == frozenset()
    assert tags_for(CustomerFacts(outstanding_fen=500_000), TagRules(large_borrower_fen=500_000)) == {Tag.LARGE_BORROWER}


def test_occupation_land_and_grade():
    assert tags_for(CustomerFacts(occupation=Occupation.PUBLIC_SERVANT)) == {Tag.PUBLIC_SERVANT}
    assert tags_for(CustomerFacts(land_area_mu=50)) == {Tag.LARGE_GROWER}
    assert tags_for(CustomerFacts(land_area_mu=49, occupation=Occupation.GROWER)) == frozenset()
    assert tags_for(CustomerFacts(grade="excellent")) == {Tag.PRIME}
    assert tags_for(CustomerFacts(grade="excellent", ever_overdue=True)) == {Tag.OVERDUE_HISTORY}
    assert tags_for(CustomerFacts(grade="good")) == frozenset()


def test_manual_tags_are_kept_and_unknown_ones_ignored():
    manual = parse_manual(["public_servant", "astronaut", 3])
    assert manual == {Tag.PUBLIC_SERVANT}
    assert tags_for(CustomerFacts(manual=manual)) == {Tag.PUBLIC_SERVANT}
    assert parse_manual("public_servant") == frozenset()


def test_bad_facts_and_rules_are_refused():
    with pytest.raises(ValueError):
        CustomerFacts(outstanding_fen=-1)
    with pytest.raises(ValueError):
        TagRules(large_grower_mu=0)


def test_labels_are_chinese():
    assert [t.label for t in Tag] == ["有逾期历史", "当前逾期", "大额借款", "公职人员", "种植大户", "优质客户", "公积金连续缴存", "社保正常参保", "欠税", "电费欠费", "有效保单"]


def test_external_facts_become_tags():
    from decimal import Decimal

    from app.domain.external_data import (
        GrainSubsidyFacts, HousingFundFacts, InsuranceFacts, InsuranceKindRecord, InsurancePolicy, SocialInsuranceFacts, StateGridFacts,
        SubsidyRecord, TaxFacts,
    )
    from app.domain.tags import ExternalFacts, external_facts

    answers = {
        "housing_fund": HousingFundFacts("襄汾县第一中学", 600000, 144000, 12, "2026-10", 0, 0),
        "social_insurance": SocialInsuranceFacts((InsuranceKindRecord("养老", "正常参保", 120, "2026-10"),)),
        "tax": TaxFacts("襄汾县丰收农资店", (), 120000),
        "state_grid": StateGridFacts("1400123456", "居民", (), 15600),
        "insurance": InsuranceFacts((InsurancePolicy("中国人寿", "国寿福", 500000, 2100000, "退保"),)),
        "grain_subsidy": GrainSubsidyFacts((SubsidyRecord(2025, "耕地地力保护补贴", Decimal("80"), 852000),
                                            SubsidyRecord(2026, "耕地地力保护补贴", Decimal("50"), 532500))),
    }
    facts = external_facts(answers)
    assert facts.subsidy_area_mu == Decimal("50") and facts.policies_in_force == 0  # the latest year's area; a surrendered policy is not in force
    assert tags_for(CustomerFacts(external=facts)) == {Tag.HOUSING_FUND_STEADY, Tag.SOCIAL_INSURED, Tag.TAX_ARREARS, Tag.ELECTRICITY_ARREARS,
                                                      Tag.LARGE_GROWER}
    assert tags_for(CustomerFacts(external=ExternalFacts(housing_fund_months_paid=11))) == frozenset()
    assert tags_for(CustomerFacts(external=ExternalFacts(housing_fund_months_paid=24, housing_fund_arrears_months=1, pension_status="暂停缴费"))) == frozenset()
    assert tags_for(CustomerFacts(external=ExternalFacts(policies_in_force=1))) == {Tag.POLICY_HOLDER}
    assert tags_for(CustomerFacts(land_area_mu=10, external=ExternalFacts(subsidy_area_mu=Decimal("49.9")))) == frozenset()
