"""The strategy's external-data terms and rules (粮补 area, 公积金 contribution, 社保 status): asked only under a consent
for 授信申请, recorded as the queries always are; without a consent or when the source is silent they are not used, and
a silent source is never a pass."""

from datetime import timedelta

from app.domain.external_data import ExternalSource
from app.domain.rules import load_strategy_ruleset
from app.models import AuditEvent, ExternalDataQuery, RiskStrategyDecision
from app.models.risk import RuleSetKind
from app.services import external_data, risk
from app.services.external_data import ExternalAccess
from app.services.risk.strategy import evaluate_strategy
from tests.factories.risk import NOW, TODAY, actor, make_customer
from tests.services.external_data.test_queries import CountingSources, consent

RICH, ARREARS, TIMEOUT, ERROR = 101, 801, 831, 821
GRAIN, GJJ, SOCIAL = ExternalSource.GRAIN_SUBSIDY, ExternalSource.HOUSING_FUND, ExternalSource.SOCIAL_INSURANCE

def ruleset(*, rules: bool = True):
    """The shipped strategy with its external-data terms switched on (and its external-data rules, unless `rules` is False)."""
    text = risk.shipped_ruleset_text(RuleSetKind.STRATEGY).replace("version: strategy-2026.1", "version: strategy-ext.1")
    text = text.replace("  #   grain_fen_per_mu", "  grain_fen_per_mu").replace("  #   housing_fund_multiple", "  housing_fund_multiple")
    return load_strategy_ruleset(text.replace("    enabled: false\n", "") if rules else text)


async def evaluate(customer, sources, *, rules: bool = True, access: bool = True, vault, now=NOW):
    return await evaluate_strategy(actor=await actor(), customer_id=customer.id, product_code="BIANLI", today=TODAY, now=now, vault=vault,
                                   ruleset=ruleset(rules=rules), external=ExternalAccess(sources=sources) if access else None)


async def test_with_consent_the_grain_and_housing_fund_terms_apply_and_cite_their_data(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=RICH), CountingSources()
    for source in (GRAIN, GJJ, SOCIAL):
        await consent(customer, officer, source=source)

    outcome = await evaluate(customer, sources, vault=vault)

    assert sorted(sources.calls) == ["grain_subsidy", "housing_fund", "social_insurance"]
    limit = outcome.decision.limit
    grain = outcome.facts.external[GRAIN].facts
    year = max(r.year for r in grain.records)
    area = max(r.area_mu for r in grain.records if r.year == year)
    contribution = outcome.facts.external[GJJ].facts.monthly_contribution_fen
    assert limit.terms["grain_area"] == int(area * 300000) and limit.terms["housing_fund_multiple"] == contribution * 60
    assert limit.binding == min(limit.terms, key=lambda k: limit.terms[k]) and limit.binding in ("grain_area", "housing_fund_multiple")
    assert not limit.unused and outcome.decision.decision == "pass"  # rich data: no arrears, insured
    # the evidence names the data and its date
    queries = {q.source: q for q in await ExternalDataQuery.filter(customer_id=customer.id)}
    assert limit.evidence["grain_area"] == {"source": "grain_subsidy", "dataOn": "2026-11-27", "queryId": str(queries[GRAIN].id), "year": year,
                                            "areaMu": str(area), "fenPerMu": 300000}
    assert limit.evidence["housing_fund_multiple"]["queryId"] == str(queries[GJJ].id)
    stored = await RiskStrategyDecision.get(id=outcome.record.id)
    assert stored.limit_detail["evidence"]["grain_area"]["dataOn"] == "2026-11-27"
    assert [x["status"] for x in stored.limit_detail["externalData"]] == ["used", "used", "used"]
    assert f"粮补种植面积额度：{limit.terms['grain_area'] // 100:,}.{limit.terms['grain_area'] % 100:02d} 元（{year} 年补贴面积 {area} 亩" in stored.explanation
    assert "粮补数据日期 2026-11-27" in stored.explanation and "外部数据：公积金已使用（数据日期 2026-11-27）" in stored.explanation
    # recorded and audited as every query is: in the officer's name, for 授信申请
    assert {(q.purpose, q.officer_id) for q in queries.values()} == {("application", officer.id)}
    assert await AuditEvent.filter(action="external_query.finish").count() == 3


async def test_arrears_and_a_lapsed_insurance_send_the_file_to_review_with_the_data_date(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=ARREARS), CountingSources()
    for source in (GJJ, SOCIAL):
        await consent(customer, officer, source=source)

    outcome = await evaluate(customer, sources, vault=vault)

    hits = {h.code: h for h in outcome.decision.hits}
    assert set(hits) == {"HOUSING_FUND_ARREARS", "SOCIAL_INSURANCE_LAPSED"} and outcome.decision.decision == "review"
    assert hits["HOUSING_FUND_ARREARS"].evidence["dataOn"] == "2026-11-27" and hits["HOUSING_FUND_ARREARS"].evidence["source"] == "housing_fund"
    assert "数据日期 2026-11-27" in hits["SOCIAL_INSURANCE_LAPSED"].message and "养老暂停缴费" in hits["SOCIAL_INSURANCE_LAPSED"].message
    assert outcome.decision.limit.unused == {"grain_area": "客户没有有效的粮补数据查询授权（用途：授信申请）"}


async def test_without_consent_nothing_is_asked_and_the_terms_are_skipped_with_the_reason(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=RICH), CountingSources()
    await consent(customer, officer, source=GJJ, purposes=("post_loan",))  # monitoring only: not for an application
    await consent(customer, officer, source=ExternalSource.TAX)  # another source

    outcome = await evaluate(customer, sources, vault=vault)
    plain = await evaluate_strategy(actor=officer, customer_id=customer.id, product_code="BIANLI", today=TODAY, now=NOW, vault=vault)

    assert sources.calls == [] and await ExternalDataQuery.all().count() == 0
    assert not await AuditEvent.filter(action="external_query.refused").exists()  # not asked at all, so nothing refused
    limit = outcome.decision.limit
    assert set(limit.terms) == {"product_max"} and limit.unused == {
        "grain_area": "客户没有有效的粮补数据查询授权（用途：授信申请）",
        "housing_fund_multiple": "客户没有有效的公积金数据查询授权（用途：授信申请）",
    }
    # the same decision as the shipped strategy's for a customer without external data
    assert (outcome.decision.decision, limit.limit_fen, limit.binding, limit.skipped) == (
        plain.decision.decision, plain.decision.limit.limit_fen, plain.decision.limit.binding, plain.decision.limit.skipped)
    assert plain.record.limit_detail == {"terms": {"product_max": 30_000_000}, "skipped": ["appraisal", "income_multiple", "debt_to_income"]}
    stored = await RiskStrategyDecision.get(id=outcome.record.id)
    assert stored.limit_detail["unused"]["grain_area"].startswith("客户没有有效的粮补数据查询授权")
    assert {x["source"]: x["status"] for x in stored.limit_detail["externalData"]} == {
        "housing_fund": "no_consent", "social_insurance": "no_consent", "grain_subsidy": "no_consent"}
    assert "粮补种植面积额度未使用：客户没有有效的粮补数据查询授权（用途：授信申请）" in stored.explanation


async def test_an_expired_or_revoked_consent_is_named_and_not_used(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=RICH), CountingSources()
    await consent(customer, officer, source=GRAIN, signed_at=NOW - timedelta(days=40), days=30)
    revoked = await consent(customer, officer, source=GJJ)
    await external_data.revoke_consent(actor=officer, consent_id=revoked.id, now=NOW - timedelta(hours=1))

    outcome = await evaluate(customer, sources, rules=False, vault=vault)

    assert sources.calls == []
    assert outcome.decision.limit.unused == {
        "grain_area": "客户的粮补数据查询授权（用途：授信申请）已于 2026-11-17 到期",
        "housing_fund_multiple": "客户的公积金数据查询授权（用途：授信申请）已撤回",
    }


async def test_a_timeout_or_an_error_is_skipped_and_never_a_pass(demo, vault):
    officer, sources = await actor(), CountingSources()
    for sequence, word in ((TIMEOUT, "查询超时"), (ERROR, "查询出错")):
        customer = await make_customer(vault, sequence=sequence)
        for source in (GRAIN, GJJ, SOCIAL):
            await consent(customer, officer, source=source)

        outcome = await evaluate(customer, sources, vault=vault)

        limit = outcome.decision.limit
        assert set(limit.terms) == {"product_max"} and limit.unused["grain_area"].startswith(f"粮补{word}")
        assert limit.unused["housing_fund_multiple"].startswith(f"公积金{word}")
        # not a pass: the arrears and insurance rules could not look, and the silent sources send the file to a person
        assert [h.code for h in outcome.decision.hits] == ["EXTERNAL_DATA_UNANSWERED"] and outcome.decision.decision == "review"
        assert outcome.decision.hits[0].evidence["sources"] == ["公积金", "社保", "粮补"]
        assert {x.status for x in outcome.decision.external} == {"unanswered"}
        statuses = await ExternalDataQuery.filter(customer_id=customer.id).values_list("status", flat=True)
        assert sorted(statuses) == ["failed"] * 3 if sequence == ERROR else ["timeout"] * 3


async def test_a_fresh_answer_is_reused_and_no_sources_means_not_connected(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=RICH), CountingSources()
    await consent(customer, officer, source=GRAIN)

    first = await evaluate(customer, sources, rules=False, vault=vault)
    again = await evaluate(customer, sources, rules=False, vault=vault, now=NOW + timedelta(hours=2))
    blind = await evaluate(customer, sources, rules=False, access=False, vault=vault)

    assert sources.calls == ["grain_subsidy"]  # the second evaluation reused the first answer
    assert again.decision.limit.evidence["grain_area"]["queryId"] == first.decision.limit.evidence["grain_area"]["queryId"]
    assert again.facts.external[GRAIN].reused and "沿用近期查询结果" in again.explanation
    assert blind.decision.limit.unused["grain_area"] == "本次测算未接入外部数据源" and "grain_area" not in blind.decision.limit.terms
