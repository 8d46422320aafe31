"""Early warnings from external data (issue 20): the pure rules, each citing the data, its date and the query."""

from datetime import date
from uuid import uuid4

from app.domain.external_data import (
    ElectricityMonth, HousingFundFacts, InsuranceFacts, InsuranceKindRecord, InsurancePolicy, SocialInsuranceFacts, StateGridFacts, TaxFacts,
    TaxPeriod,
)
from app.domain.external_warnings import (
    Answer, electricity_arrears, housing_fund_stopped, months_unpaid, new_tax_arrears, policy_surrendered, social_insurance_stopped,
)
from app.domain.warnings import Severity, WarningKind

ON = date(2026, 11, 27)


def _answer(facts, on=ON, imported_from=None):
    return Answer(facts=facts, data_on=on, query_id=uuid4(), imported_from=imported_from)


def _gjj(last_paid):
    return HousingFundFacts(employer="襄汾县第一中学", monthly_base_fen=600000, monthly_contribution_fen=144000, months_paid=30,
                            last_paid_month=last_paid, arrears_months=0, arrears_fen=0)


def test_months_unpaid_counts_the_whole_months_between_the_last_paid_and_the_data_month():
    assert months_unpaid("2026-10", ON) == 0  # November's contribution may not be due yet
    assert months_unpaid("2026-07", ON) == 3
    assert months_unpaid("2025-12", date(2026, 3, 1)) == 2
    assert months_unpaid("2026-12", ON) == 0  # paid ahead


def test_housing_fund_stopped_for_n_months_cites_the_employer_the_last_month_and_the_data():
    assert housing_fund_stopped(_answer(_gjj("2026-08")), months=3) is None
    answer = _answer(_gjj("2026-07"), imported_from="gjj-2026-11.csv")
    finding = housing_fund_stopped(answer, months=3)
    assert (finding.kind, finding.severity, finding.level) == (WarningKind.HOUSING_FUND_STOPPED, Severity.MEDIUM, 3)
    assert finding.message == "公积金已 3 个月未缴存（最近缴存 2026-07，缴存单位 襄汾县第一中学；数据日期 2026-11-27）"
    assert finding.evidence["queryId"] == str(answer.query_id) and finding.evidence["dataOn"] == "2026-11-27"
    assert finding.evidence["importedFrom"] == "gjj-2026-11.csv" and finding.evidence["lastPaidMonth"] == "2026-07"
    assert housing_fund_stopped(_answer(_gjj("2026-04")), months=3).severity == Severity.HIGH
    assert housing_fund_stopped(_answer(_gjj("2026-08")), months=2) is not None  # N is a setting


def test_social_insurance_names_the_kinds_that_stopped():
    facts = SocialInsuranceFacts(kinds=(InsuranceKindRecord("养老", "暂停缴费", 100, "2026-07"), InsuranceKindRecord("医疗", "暂停缴费", 100, "2026-06"),
                                        InsuranceKindRecord("失业", "正常参保", 100, "2026-10")))
    finding = social_insurance_stopped(_answer(facts), months=3)
    assert finding.kind == WarningKind.SOCIAL_INSURANCE_STOPPED and finding.level == 4
    assert finding.message == "社保养老、医疗已 4 个月未缴费（最近缴费 2026-06；数据日期 2026-11-27）"
    assert [k["kind"] for k in finding.evidence["kinds"]] == ["养老", "医疗"]
    assert social_insurance_stopped(_answer(SocialInsuranceFacts(kinds=(InsuranceKindRecord("养老", "正常参保", 100, "2026-10"),))), months=3) is None


def _tax(arrears):
    return TaxFacts(business_name="襄汾县丰收农资店", periods=(TaxPeriod("2026Q3", 8600000, 0),), arrears_fen=arrears)


def test_tax_arrears_warn_when_they_are_new_or_higher_than_the_previous_answer():
    assert new_tax_arrears(_answer(_tax(0)), None) is None
    first = new_tax_arrears(_answer(_tax(120000)), None)
    assert first.kind == WarningKind.NEW_TAX_ARREARS and first.message == "襄汾县丰收农资店新增欠税：欠税 1200.00 元（数据日期 2026-11-27）"
    previous = _answer(_tax(120000), on=date(2026, 10, 27))
    assert new_tax_arrears(_answer(_tax(120000)), previous) is None  # the same arrears: nothing new
    higher = new_tax_arrears(_answer(_tax(200000)), previous)
    assert higher.evidence["previousArrears"] == "1200.00" and higher.evidence["previousDataOn"] == "2026-10-27"
    assert "上次数据（2026-10-27）欠税 1200.00 元" in higher.message


def _policies(*statuses):
    return InsuranceFacts(policies=tuple(InsurancePolicy("中国人寿", f"产品{i}", 500000, 2100000, s) for i, s in enumerate(statuses)))


def test_a_policy_surrendered_since_the_previous_answer_warns_once():
    assert policy_surrendered(_answer(_policies("有效", "失效")), None) is None
    finding = policy_surrendered(_answer(_policies("退保", "有效")), _answer(_policies("有效", "有效"), on=date(2026, 10, 1)))
    assert finding.kind == WarningKind.POLICY_SURRENDERED and finding.message == "保单已退保：中国人寿「产品0」（数据日期 2026-11-27）"
    assert finding.evidence["policies"][0]["cashValue"] == "21000.00"
    assert policy_surrendered(_answer(_policies("退保", "有效")), _answer(_policies("退保", "有效"))) is None


def test_electricity_arrears_cite_the_account_and_the_late_months():
    months = tuple(ElectricityMonth(f"2026-{m:02d}", 300, 15600, m < 9) for m in range(1, 11))
    finding = electricity_arrears(_answer(StateGridFacts("1400123456", "居民", months, 31200)))
    assert finding.kind == WarningKind.ELECTRICITY_ARREARS and finding.severity == Severity.MEDIUM
    assert finding.message == "电费欠费 312.00 元（户号 1400123456，未按时缴费 2 个月；数据日期 2026-11-27）"
    assert finding.evidence["lateMonths"] == ["2026-09", "2026-10"]
    assert electricity_arrears(_answer(StateGridFacts("1400123456", "居民", months, 0))) is None
