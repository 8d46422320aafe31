"""The strategy (admission, anti-fraud, limit, pricing) inside the visit: stored at the credit check, applied at the decision."""

import pytest

from app.domain import visit as flow
from app.domain.errors import DomainError, ValidationError
from app.models import AuditEvent, CreditLine, RiskDecision, RiskStrategyDecision, Visit
from app.models.risk import RuleSetKind
from app.services import risk
from app.services.visits import approve_visit, decide, offer_for
from tests.factories.villages import actor
from tests.services.visits.helpers import NOW, TODAY, ctx_for, family, pre_credit, walk_to_decision


async def _upload(replacements: dict[str, str], *, version: str = "strategy-test.2") -> None:
    text = risk.shipped_ruleset_text(RuleSetKind.STRATEGY).replace("version: strategy-2026.1", f"version: {version}")
    for old, new in replacements.items():
        assert old in text
        text = text.replace(old, new)
    await risk.upload_ruleset(actor=await actor("admin"), yaml_text=text, kind=RuleSetKind.STRATEGY)


async def _decide(c, **kw):
    return await decide(actor=c.who, visit_id=c.visit_id, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW,
                        **{"requested_fen": None, **kw})


async def test_the_credit_check_stores_the_strategy_with_the_visit(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000, grade="excellent")
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await Visit.get(id=c.visit_id)
    row = await RiskStrategyDecision.get(visit_id=visit.id)
    assert (row.customer_id, row.product_code, row.ruleset_version, row.decision.value, row.hits) == (
        visit.customer_id, "BIANLI", "strategy-2026.1", "pass", [])
    assert (row.limit_fen, row.limit_binding, row.spread_bp, row.pricing_source) == (8_000_000, "appraisal", 100, "product_grade")
    assert row.limit_detail["skipped"] == ["income_multiple", "debt_to_income"]  # no income entered yet
    assert visit.data["strategy"] == {"decision": str(row.id), "outcome": "pass", "rules": [], "limitFen": 8_000_000, "spreadBp": 100}
    assert "建议额度：80,000.00 元（受评议预授信额度约束）" in row.explanation
    # never a gate decision: the report's decision stays the visit's risk decision
    assert await RiskDecision.filter(customer_id=visit.customer_id).count() == 1
    offer = await offer_for(visit, c.policy)
    assert (offer.strategy.id, offer.proposed_fen, offer.problem) == (row.id, 8_000_000, None)


async def test_income_and_the_reports_debt_cap_the_amount(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000, grade="excellent")
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)  # the sandbox report of this borrower has ¥102,400 of open balances
    # income ¥30,000: 3 × income = ¥90,000; 5 × income − debt = ¥47,600 → ¥47,000 (whole thousands)
    with pytest.raises(ValidationError) as above:
        await _decide(c, requested_fen=5_000_000, income_fen=3_000_000)
    assert above.value.code == "ABOVE_PRE_CREDIT" and "¥47,000.00" in above.value.message
    assert await CreditLine.all().count() == 0
    shown = await offer_for(await Visit.get(id=c.visit_id), c.policy)  # the page shows the re-evaluated limit
    assert (shown.strategy.annual_income_fen, shown.proposed_fen) == (3_000_000, 4_700_000)

    visit = await _decide(c, income_fen=3_000_000)
    assert visit.status == flow.VisitStatus.GRANTED and visit.proposed_amount_fen == 4_700_000
    assert (await CreditLine.get(id=visit.credit_line_id)).limit_fen == 4_700_000
    latest = await RiskStrategyDecision.get(id=visit.data["strategy"]["decision"])
    assert (latest.annual_income_fen, latest.limit_fen, latest.limit_binding) == (3_000_000, 4_700_000, "debt_to_income")
    assert latest.limit_detail["terms"] == {"appraisal": 8_000_000, "product_max": 30_000_000, "income_multiple": 9_000_000,
                                            "debt_to_income": 4_760_000}
    assert visit.data["decision"]["incomeFen"] == 3_000_000 and visit.data["decision"]["strategy"]["decision"] == str(latest.id)
    grant = await AuditEvent.get(action="visit.grant", entity_id=str(visit.id))
    assert grant.after["strategyDecisionId"] == str(latest.id)


async def test_no_room_under_the_debt_cap_means_no_grant(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    with pytest.raises(DomainError) as refused:  # 5 × ¥10,000 is below the ¥102,400 already owed
        await _decide(c, income_fen=1_000_000)
    assert refused.value.code == "NO_STRATEGY_LIMIT"
    assert await CreditLine.all().count() == 0


async def test_a_strategy_reject_refuses_the_grant(demo, vault, settings):
    await _upload({"params: {min_age: 18, max_age: 60}": "params: {min_age: 18, max_age: 50}"})  # the borrower is 51
    fam = await family(vault)
    await pre_credit(fam.household.id, 50_000)
    c = await ctx_for(vault, settings, fam)
    report = await walk_to_decision(c)
    assert report.decision.value == "pass"  # the report itself is clean
    visit = await Visit.get(id=c.visit_id)
    assert visit.step == flow.DECISION and visit.data["strategy"]["outcome"] == "reject" and visit.data["strategy"]["rules"] == ["AGE_WINDOW"]
    offer = await offer_for(visit, c.policy)
    assert offer.proposed_fen is None and "年龄51岁" in offer.problem
    with pytest.raises(DomainError) as refused:
        await _decide(c)
    assert refused.value.code == "STRATEGY_REJECTED" and "不在18–50岁" in refused.value.message
    assert await CreditLine.all().count() == 0
    assert (await Visit.get(id=c.visit_id)).status == visit.status


async def test_a_strategy_review_goes_to_an_approver_even_when_small(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 30_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    await risk.add_to_list(actor=await actor("manager"), vault=vault, id_number=fam.numbers[str(fam.head.id)], name="赵德胜", list_kind="grey",
                           reason="近期多头借贷", today=TODAY)
    visit = await _decide(c)
    assert visit.status == flow.VisitStatus.AWAITING_APPROVAL and visit.data["decision"]["why"] == "risk_review"
    assert visit.data["decision"]["strategy"]["rules"] == ["GREY_LIST"]


async def test_a_pricing_strategy_prices_the_line(demo, vault, settings):
    await _upload({"# pricing: the spread": "pricing:\n  spread_bp_by_grade: {excellent: 40}\n# the spread"})
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000, grade="excellent")
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await _decide(c)
    line = await CreditLine.get(id=visit.credit_line_id)
    assert line.spread_bp == 40  # the product's own table says 100 for 优秀


async def test_the_approver_grant_reevaluates_the_strategy(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 200_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await _decide(c)
    assert visit.status == flow.VisitStatus.AWAITING_APPROVAL and visit.proposed_amount_fen == 20_000_000
    approver = await actor("approver")
    await _upload({"params: {min_age: 18, max_age: 60}": "params: {min_age: 18, max_age: 50}"}, version="strategy-test.4")
    with pytest.raises(DomainError) as refused:
        await approve_visit(actor=approver, visit_id=visit.id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert refused.value.code == "STRATEGY_REJECTED"
    assert await CreditLine.all().count() == 0
    assert (await Visit.get(id=visit.id)).status == flow.VisitStatus.AWAITING_APPROVAL


async def test_bad_requests_store_no_strategy_decision(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 50_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    before = await RiskStrategyDecision.all().count()
    with pytest.raises(ValidationError):
        await _decide(c, requested_fen=0)
    with pytest.raises(ValidationError):
        await _decide(c, income_fen=-100)
    assert await RiskStrategyDecision.all().count() == before


async def test_a_phone_shared_within_the_household_is_not_a_fraud_signal(demo, vault, settings):
    from app.models import Customer
    from app.services.actor import SYSTEM
    from app.services.risk import evaluate_strategy
    from tests.factories import customer_with_line

    fam = await family(vault)
    await pre_credit(fam.household.id, 50_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await Visit.get(id=c.visit_id)
    head = await Customer.get(id=visit.customer_id)
    await Customer.filter(id=visit.co_borrower_id).update(phone_hash=head.phone_hash)  # the spouse uses the same phone
    kw = dict(actor=SYSTEM, customer_id=head.id, product_code="BIANLI", today=TODAY, now=NOW)
    assert (await evaluate_strategy(**kw)).facts.phone_shared_with == 0
    stranger, _ = await customer_with_line(vault, sequence=371, checked=False)
    await Customer.filter(id=stranger.id).update(phone_hash=head.phone_hash)  # someone of another household
    shared = await evaluate_strategy(**kw)
    assert shared.facts.phone_shared_with == 1 and [h.code for h in shared.decision.hits] == ["SHARED_PHONE"]
    assert shared.decision.hits[0].message == "手机号同时登记在其他家庭的1位客户名下"



GRAIN_TERM = {"  round_down_fen: 100000     # whole ¥1,000": "  round_down_fen: 100000\n  grain_fen_per_mu: 100000"}  # ¥1,000 a 亩


async def test_without_a_consent_the_visit_asks_no_source_and_grants_as_before(demo, vault, settings):
    from app.services.external_data import ExternalAccess
    from tests.services.external_data.test_queries import CountingSources

    await _upload(GRAIN_TERM, version="strategy-ext.1")
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000, grade="excellent")
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)  # the credit check without the sources: the term says so
    checked = await RiskStrategyDecision.get(visit_id=c.visit_id)
    assert checked.limit_binding == "appraisal" and checked.limit_detail["unused"] == {"grain_area": "本次测算未接入外部数据源"}
    sources = CountingSources()

    visit = await _decide(c, external=ExternalAccess(sources=sources))

    assert sources.calls == [] and visit.status == flow.VisitStatus.GRANTED
    assert (await CreditLine.get(id=visit.credit_line_id)).limit_fen == 8_000_000
    latest = await RiskStrategyDecision.get(id=visit.data["strategy"]["decision"])
    assert latest.limit_detail["unused"] == {"grain_area": "客户没有有效的粮补数据查询授权（用途：授信申请）"}


async def test_the_visit_decision_is_capped_by_the_consented_grain_term(demo, vault, settings):
    from app.domain.external_data import ExternalSource
    from app.models import Customer, ExternalDataQuery
    from app.services.external_data import ExternalAccess
    from tests.services.external_data.test_queries import CountingSources, consent

    await _upload(GRAIN_TERM, version="strategy-ext.1")
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000, grade="excellent")
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    borrower = await Customer.get(id=(await Visit.get(id=c.visit_id)).customer_id)
    await consent(borrower, c.who, source=ExternalSource.GRAIN_SUBSIDY)
    sources = CountingSources()

    visit = await _decide(c, external=ExternalAccess(sources=sources))

    assert sources.calls == ["grain_subsidy"]
    latest = await RiskStrategyDecision.get(id=visit.data["strategy"]["decision"])
    query = await ExternalDataQuery.get(customer_id=borrower.id)
    grain = latest.limit_detail["evidence"]["grain_area"]
    assert (grain["queryId"], grain["dataOn"], grain["fenPerMu"]) == (str(query.id), "2026-11-27", 100000)
    assert latest.limit_binding == "grain_area" and latest.limit_fen == latest.limit_detail["terms"]["grain_area"] // 100000 * 100000
    assert visit.proposed_amount_fen == latest.limit_fen < 8_000_000 and "粮补种植面积额度" in latest.explanation
