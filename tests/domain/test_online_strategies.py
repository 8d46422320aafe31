"""Online product strategies: YAML sets parameters, the terms are code; a bad file is refused."""

from __future__ import annotations

import pytest

from app.domain.errors import DomainError
from app.domain.external_data import ElectricityMonth, HousingFundFacts, InsuranceFacts, InsurancePolicy, StateGridFacts
from app.domain.rules.online import BankRecordFacts, InternetLendingRules, OnlineLimitInputs, evaluate_online, load_online_strategy, offered_terms
from app.domain.rules.strategies import LimitTerm

GJJ = """
version: gjj-test.1
product: GJJ
source: housing_fund
admission: {min_months_paid: 12, max_arrears_months: 0}
limit: {contribution_multiple: 20, round_down_fen: 100000}
"""


def _fund(**kw) -> HousingFundFacts:
    base = dict(employer="襄汾县第一中学", monthly_base_fen=600_000, monthly_contribution_fen=144_000, months_paid=36, last_paid_month="2026-10",
                arrears_months=0, arrears_fen=0)
    return HousingFundFacts(**{**base, **kw})


def test_housing_fund_limit_is_the_contribution_multiple_capped_and_rounded():
    strategy = load_online_strategy(GJJ)
    decision = evaluate_online(strategy, _fund(), OnlineLimitInputs(product_max_fen=50_000_000, online_room_fen=20_000_000, product_default_spread_bp=80))
    assert decision.decision == "pass" and decision.limit.terms[LimitTerm.HOUSING_FUND_MULTIPLE] == 2_880_000
    assert (decision.limit.limit_fen, decision.limit.binding) == (2_800_000, LimitTerm.HOUSING_FUND_MULTIPLE)  # ¥28,800 → ¥28,000
    capped = evaluate_online(strategy, _fund(monthly_contribution_fen=2_000_000), OnlineLimitInputs(product_max_fen=50_000_000, online_room_fen=5_000_000))
    assert (capped.limit.limit_fen, capped.limit.binding) == (5_000_000, LimitTerm.ONLINE_CAP)
    assert decision.pricing.spread_bp == 80 and decision.pricing.source == "product_default"


def test_housing_fund_admission_needs_twelve_months_and_no_arrears():
    strategy = load_online_strategy(GJJ)
    inputs = OnlineLimitInputs(product_max_fen=50_000_000, online_room_fen=None)
    short = evaluate_online(strategy, _fund(months_paid=11), inputs)
    assert short.decision == "reject" and [h.code for h in short.hits] == ["HOUSING_FUND_MONTHS"]
    owing = evaluate_online(strategy, _fund(arrears_months=1, arrears_fen=144_000), inputs)
    assert [h.code for h in owing.hits] == ["HOUSING_FUND_ARREARS"] and owing.hits[0].evidence["arrears_fen"] == 144_000
    nothing = evaluate_online(strategy, None, inputs)
    assert nothing.decision == "reject" and [h.code for h in nothing.hits] == ["NO_SOURCE_RECORD"]


def test_insurance_takes_the_larger_share_of_active_policies_only():
    strategy = load_online_strategy("version: b.1\nproduct: BAODAN\nsource: insurance\nlimit: {cash_value_share_pct: 80, premium_share_pct: 300}\n")
    facts = InsuranceFacts(policies=(InsurancePolicy("中国人寿", "年金", 1_000_000, 5_000_000, "有效"), InsurancePolicy("中国平安", "寿险", 9_000_000, 9_000_000, "失效")))
    decision = evaluate_online(strategy, facts, OnlineLimitInputs(product_max_fen=20_000_000, online_room_fen=None))
    assert decision.limit.terms == {LimitTerm.CASH_VALUE_SHARE: 4_000_000, LimitTerm.PRODUCT_MAX: 20_000_000}
    lapsed = InsuranceFacts(policies=(InsurancePolicy("中国平安", "寿险", 9_000_000, 9_000_000, "失效"),))
    assert [h.code for h in evaluate_online(strategy, lapsed, OnlineLimitInputs(product_max_fen=20_000_000, online_room_fen=None)).hits] == ["INSURANCE_NO_ACTIVE_POLICY"]


def test_electricity_record_is_the_average_bill_times_n_and_late_bills_refuse():
    strategy = load_online_strategy("version: g.1\nproduct: GUOWANG\nsource: state_grid\nadmission: {max_late_months: 0}\nlimit: {bill_multiple: 100}\n")
    months = tuple(ElectricityMonth(f"2026-{m:02d}", 1000, 80_000 + 1000 * m, True) for m in range(1, 13))
    facts = StateGridFacts(account_number="1400000001", account_kind="经营", months=months, arrears_fen=0)
    decision = evaluate_online(strategy, facts, OnlineLimitInputs(product_max_fen=30_000_000, online_room_fen=None))
    assert decision.decision == "pass" and decision.limit.terms[LimitTerm.ELECTRICITY_RECORD] == (sum(m.billed_fen for m in months) // 12) * 100
    late = StateGridFacts(account_number="1400000001", account_kind="经营", months=(*months[:-1], ElectricityMonth("2026-12", 1000, 92_000, False)), arrears_fen=92_000)
    assert [h.code for h in evaluate_online(strategy, late, OnlineLimitInputs(product_max_fen=30_000_000, online_room_fen=None)).hits] == ["STATE_GRID_LATE"]


BIANLI = """
version: bl-test.1
product: BIANLI_ONLINE
source: bank
admission: {min_settled_loans: 1, max_late_installments: 0, max_days_past_due: 0}
limit: {repaid_principal_pct: 150, debt_ceiling_fen: 30000000, round_down_fen: 100000}
"""


def _own(**kw) -> BankRecordFacts:
    base = dict(settled_loans=2, largest_settled_principal_fen=8_000_000, late_installments=0, days_past_due=0, report_open_debt_fen=5_000_000)
    return BankRecordFacts(**{**base, **kw})


def test_bank_data_limit_is_the_smaller_of_the_repaid_principal_share_and_the_debt_room():
    strategy = load_online_strategy(BIANLI)
    assert strategy.source is None and strategy.source_label == "本行数据"
    inputs = OnlineLimitInputs(product_max_fen=20_000_000, online_room_fen=20_000_000)
    decision = evaluate_online(strategy, _own(), inputs)
    assert decision.decision == "pass"
    assert decision.limit.terms[LimitTerm.OWN_REPAYMENT] == 12_000_000 and decision.limit.terms[LimitTerm.REPORT_DEBT_ROOM] == 25_000_000
    assert (decision.limit.limit_fen, decision.limit.binding) == (12_000_000, LimitTerm.OWN_REPAYMENT)
    indebted = evaluate_online(strategy, _own(report_open_debt_fen=26_050_000), inputs)
    assert (indebted.limit.limit_fen, indebted.limit.binding) == (3_900_000, LimitTerm.REPORT_DEBT_ROOM)  # ¥39,500 → ¥39,000
    over = evaluate_online(strategy, _own(report_open_debt_fen=40_000_000), inputs)
    assert over.limit.terms[LimitTerm.REPORT_DEBT_ROOM] == 0 and over.limit.limit_fen == 0
    capped = evaluate_online(strategy, _own(largest_settled_principal_fen=30_000_000, report_open_debt_fen=0),
                             OnlineLimitInputs(product_max_fen=20_000_000, online_room_fen=6_000_000))
    assert (capped.limit.limit_fen, capped.limit.binding) == (6_000_000, LimitTerm.ONLINE_CAP)


def test_bank_data_admission_needs_a_repaid_loan_and_a_clean_record_here():
    strategy = load_online_strategy(BIANLI)
    inputs = OnlineLimitInputs(product_max_fen=20_000_000, online_room_fen=None)
    new = evaluate_online(strategy, _own(settled_loans=0, largest_settled_principal_fen=0), inputs)
    assert new.decision == "reject" and [h.code for h in new.hits] == ["OWN_SETTLED_LOANS"]
    late = evaluate_online(strategy, _own(late_installments=2, days_past_due=15), inputs)
    assert [h.code for h in late.hits] == ["OWN_LATE_INSTALLMENTS", "OWN_DAYS_PAST_DUE"] and late.hits[1].evidence["days_past_due"] == 15
    unread = evaluate_online(strategy, _own(report_open_debt_fen=None), inputs)  # never a pass without the report's debt
    assert unread.decision == "review" and [h.code for h in unread.hits] == ["NO_CREDIT_REPORT"]
    assert LimitTerm.REPORT_DEBT_ROOM in unread.limit.skipped and LimitTerm.REPORT_DEBT_ROOM not in unread.limit.terms


@pytest.mark.parametrize("text", [
    "version: x.1\nproduct: GJJ\nsource: housing_fund\nlimit: {contribution_multiple: '12 * 2'}\n",  # no expressions
    "version: x.1\nproduct: GJJ\nsource: housing_fund\nlimit: {cash_value_share_pct: 50}\n",  # another source's term
    "version: x.1\nproduct: GJJ\nsource: tax\nlimit: {contribution_multiple: 20}\n",  # a source without an online term
    "version: x.1\nproduct: GJJ\nsource: housing_fund\n",  # no limit term at all
    "version: x.1\nproduct: GJJ\nsource: housing_fund\nlimit: {contribution_multiple: 20}\nformula: a*b\n",
    "version: x.1\nproduct: BIANLI_ONLINE\nsource: bank\nlimit: {contribution_multiple: 20}\n",  # an external source's term on bank data
    "version: x.1\nproduct: BIANLI_ONLINE\nsource: bank\nlimit: {debt_ceiling_fen: -1}\n",
])
def test_a_bad_strategy_is_refused(text):
    with pytest.raises(DomainError) as bad:
        load_online_strategy(text)
    assert bad.value.code == "BAD_RULESET"


def test_a_consumer_line_longer_than_twelve_months_offers_no_bullet_repayment():
    rules = InternetLendingRules()
    assert offered_terms(["equal_installment", "interest_first"], 36, consumer=True, rules=rules) == (["equal_installment"], 36)
    assert offered_terms(["interest_first"], 36, consumer=True, rules=rules) == (["interest_first"], 12)
    assert offered_terms(["equal_installment", "interest_first"], 12, consumer=True, rules=rules) == (["equal_installment", "interest_first"], 12)
    assert offered_terms(["equal_installment", "interest_first"], 36, consumer=False, rules=rules) == (["equal_installment", "interest_first"], 36)
