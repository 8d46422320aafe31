"""Applying in the app for an online line (公积金贷, 保单贷, 国网贷, 线上便利贷): consents, queries, the product strategy, the answer."""

from __future__ import annotations

import asyncio
import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.errors import DomainError
from app.domain.external_data import CreditApplicationStatus, ExternalSource
from app.domain.vocabulary import ActorType
from app.integrations.bureau import SandboxBureau
from app.integrations.core_banking import SandboxCoreBanking
from app.integrations.external_data import sandbox_sources
from app.models import AuditEvent, Contract, CreditApplication, CreditLine, Customer, Document, ExternalDataQuery, RiskStrategyDecision
from app.models.contract import ContractStatus
from app.services import business_date
from app.services.actor import SYSTEM, Actor
from app.services.contracts import render_contract
from app.services.contracts.pdfsign import validate_pdf
from app.services.documents import MediaStore
from app.services.lending import application as drawdown_app
from app.services.lending import online_credit
from app.services.lending.online_credit import OnlineCreditPolicy
from tests.factories import customer_with_line
from tests.factories.worklists import settled_loan
from tests.fakes import FakeJobQueue

TODAY = date(2026, 11, 27)
NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


async def _borrower(vault, *, sequence: int = 357):
    """A demo-bank customer with a verified own-bank card (a 便利贷 line from a visit too, as the demo has)."""
    customer, _ = await customer_with_line(vault, sequence=sequence, checked=False)
    actor = Actor(type=ActorType.CUSTOMER, id=customer.id, customer_ids=frozenset({customer.id}), display_name="王建国")
    bank, products = await online_credit.online_products(actor, core=SandboxCoreBanking(), vault=vault, now=NOW)
    return customer, actor, bank, {p.product.code: p for p in products}


async def _consent(actor, bank, media, *sources: ExternalSource):
    await drawdown_app.sign_authorisation(actor=actor, now=NOW, today=TODAY, media=media, bank_id=bank.id)
    for source in sources:
        await online_credit.sign_source_consent(actor=actor, bank_id=bank.id, source=source, now=NOW, media=media)


async def _apply(actor, bank, media, vault, product: str, key=None):
    return await online_credit.apply_for_credit(
        actor=actor, bank_id=bank.id, product_code=product, idempotency_key=key or uuid.uuid4(), now=NOW, today=TODAY, bureau=SandboxBureau(clock=lambda: NOW),
        sources=sandbox_sources(clock=lambda: NOW), media=media, vault=vault, policy=OnlineCreditPolicy(),
    )


async def test_the_bank_offers_its_four_online_products_with_their_sources(demo, vault):
    await business_date.set_current(TODAY)
    _, _, bank, products = await _borrower(vault)
    assert bank.code == "14102301"
    assert {code: p.strategy.source for code, p in products.items()} == {
        "GJJ": ExternalSource.HOUSING_FUND, "BAODAN": ExternalSource.INSURANCE, "GUOWANG": ExternalSource.STATE_GRID,
        "BIANLI_ONLINE": None}  # 线上便利贷: the credit report and the bank's own records, nothing external


async def test_gjj_offer_is_the_contribution_multiple_within_the_caps_and_signing_opens_a_line(demo, vault, media, kit, renderer):
    await business_date.set_current(TODAY)
    customer, actor, bank, _ = await _borrower(vault)
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    key = uuid.uuid4()
    row = await _apply(actor, bank, media, vault, "GJJ", key)
    assert row.status == CreditApplicationStatus.OFFERED, row.decision
    facts = (await ExternalDataQuery.get(id=row.external_query_id)).facts
    expected = min(facts["monthly_contribution_fen"] * 20, 20_000_000)  # × 20 (the shipped GJJ strategy), the ¥200,000 online cap
    assert row.limit_fen == expected - expected % 100_000
    assert row.annual_rate_ppm == row.lpr_ppm + row.spread_bp * 100 and "年化利率" in row.message
    assert row.methods == ["equal_installment", "equal_principal"] and row.max_term_months == 60
    strategy = await RiskStrategyDecision.get(id=row.strategy_decision_id)
    assert strategy.ruleset_version == "gjj-2026.1" and strategy.limit_binding in ("housing_fund_multiple", "online_cap")
    # the same key again: the first answer, nothing asked again
    again = await _apply(actor, bank, media, vault, "GJJ", key)
    assert again.id == row.id and await CreditApplication.all().count() == 1

    queue = FakeJobQueue()
    signed = await online_credit.accept_offer(actor=actor, application_id=row.id, now=NOW, today=TODAY, policy=OnlineCreditPolicy(), kit=kit, queue=queue)
    # accepted: the line is granted and its contract (the visit's) queued for the worker's render; not yet signed
    assert signed.status == CreditApplicationStatus.SIGNING and signed.contract_document_id is None and signed.accepted_at == NOW
    line = await CreditLine.get(id=signed.credit_line_id)
    assert (line.customer_id, line.limit_fen, line.spread_bp, line.max_term_months) == (customer.id, row.limit_fen, row.spread_bp, 60)
    contract = await Contract.get(credit_line_id=line.id)
    assert contract.status == ContractStatus.DRAFT and [j.function for j in queue.jobs] == ["render_contract"]
    # the worker's job: render, then (an online line) the borrower's one-time-certificate signature and the bank's seal
    await render_contract(contract_id=contract.id, media=kit.media, renderer=renderer, now=NOW, actor=SYSTEM)
    done = await online_credit.complete_online_contract(contract_id=contract.id, now=NOW, kit=kit)
    assert done.status == CreditApplicationStatus.ACTIVE
    contract = await Contract.get(id=contract.id)
    assert contract.status == ContractStatus.SEALED and done.contract_document_id == contract.sealed_document_id
    doc = await Document.get(id=done.contract_document_id)
    pdf = kit.media.get(doc.sha256)
    assert pdf.startswith(b"%PDF") and doc.customer_id == customer.id and doc.content_type == "application/pdf"
    checks = await asyncio.to_thread(validate_pdf, pdf, kit.pki.trust_roots)
    assert [c.field for c in checks] == ["borrower", "bank"] and all(c.ok for c in checks), checks
    # accepting again (a retry) signs nothing twice and grants nothing twice
    twice = await online_credit.accept_offer(actor=actor, application_id=row.id, now=NOW, today=TODAY, policy=OnlineCreditPolicy(), kit=kit, queue=queue)
    assert twice.status == CreditApplicationStatus.ACTIVE and twice.contract_document_id == done.contract_document_id
    assert twice.credit_line_id == line.id and await CreditLine.filter(customer_id=customer.id, product__code="GJJ").count() == 1
    assert await AuditEvent.filter(action="credit_application.accept").count() == 1
    assert await AuditEvent.filter(action="contract.sign.borrower").count() == 1 and await AuditEvent.filter(action="contract.seal").count() == 1
    assert len(queue.jobs) == 1


async def test_without_the_source_consent_nothing_is_asked(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault)
    await _consent(actor, bank, media)  # the credit report only
    with pytest.raises(DomainError) as refused:
        await _apply(actor, bank, media, vault, "GJJ")
    assert refused.value.code == "NO_SOURCE_CONSENT" and "公积金" in refused.value.message
    assert await ExternalDataQuery.all().count() == 0 and await CreditApplication.all().count() == 0


async def test_without_the_credit_report_consent_nothing_is_asked(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault)
    await online_credit.sign_source_consent(actor=actor, bank_id=bank.id, source=ExternalSource.HOUSING_FUND, now=NOW, media=media)
    with pytest.raises(DomainError) as refused:
        await _apply(actor, bank, media, vault, "GJJ")
    assert refused.value.code == "NO_AUTHORISATION"
    assert await ExternalDataQuery.all().count() == 0


async def test_a_source_timeout_is_a_referral_never_an_offer(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault, sequence=831)  # the sandbox sources time out on 830-839
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    row = await _apply(actor, bank, media, vault, "GJJ")
    assert row.status == CreditApplicationStatus.REFERRED and row.limit_fen == 0 and row.annual_rate_ppm is None
    assert row.decision["source"]["status"] == "timeout" and row.strategy_decision_id is None


async def test_arrears_refuse_with_a_neutral_message_and_the_borrower_may_ask_for_a_person(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault, sequence=801)  # 公积金 in arrears (sandbox 800-809)
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    row = await _apply(actor, bank, media, vault, "GJJ")
    assert row.status == CreditApplicationStatus.REFUSED and row.limit_fen == 0
    assert "欠缴" not in row.message and "人工复核" in row.message  # neutral: the rule is in the evidence, not the message
    assert "HOUSING_FUND_ARREARS" in [h["code"] for h in row.decision["strategy"]["rules"]]
    with pytest.raises(DomainError) as not_offered:
        await online_credit.accept_offer(actor=actor, application_id=row.id, now=NOW, today=TODAY, policy=OnlineCreditPolicy(), kit=None, queue=FakeJobQueue())
    assert not_offered.value.code == "NOT_OFFERED"
    reviewed = await online_credit.request_review(actor=actor, application_id=row.id, reason="我已补缴", now=NOW)
    assert reviewed.status == CreditApplicationStatus.REFERRED and reviewed.review_requested_at is not None
    assert await AuditEvent.filter(action="credit_application.review_requested").count() == 1


async def test_insurance_and_state_grid_terms(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault)
    await _consent(actor, bank, media, ExternalSource.INSURANCE, ExternalSource.STATE_GRID)
    baodan = await _apply(actor, bank, media, vault, "BAODAN")
    guowang = await _apply(actor, bank, media, vault, "GUOWANG")
    for row in (baodan, guowang):
        assert row.status in (CreditApplicationStatus.OFFERED, CreditApplicationStatus.REFUSED), row.decision
    terms = baodan.decision["strategy"]["limit"]["terms"]
    assert {"cash_value_share", "premium_share"} & set(terms) and "online_cap" in terms
    terms = guowang.decision["strategy"]["limit"]["terms"]
    assert "electricity_record" in terms and "online_cap" not in terms  # 国网贷 is a business loan: the consumer cap does not apply


async def test_another_persons_application_is_not_found(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault, sequence=801)
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    row = await _apply(actor, bank, media, vault, "GJJ")
    stranger = Actor(type=ActorType.CUSTOMER, id=uuid.uuid4())
    assert await online_credit.application_of(stranger, row.id) is None
    with pytest.raises(DomainError) as missing:
        await online_credit.request_review(actor=stranger, application_id=row.id, reason="", now=NOW)
    assert missing.value.code == "NOT_FOUND"


async def _approver(username: str = "approver") -> Actor:
    from app.models import Officer
    from app.services.auth.officers import actor_for

    return await actor_for(await Officer.get(username=username))


async def test_an_approver_decides_a_referral_within_the_caps_and_the_borrower_signs_it(demo, vault, media):
    await business_date.set_current(TODAY)
    customer, actor, bank, _ = await _borrower(vault, sequence=831)  # the source times out: referred
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    row = await _apply(actor, bank, media, vault, "GJJ")
    approver = await _approver()
    assert [a.id for a in await online_credit.referred_queue(actor=approver)] == [row.id]
    decide = dict(application_id=row.id, now=NOW, today=TODAY, policy=OnlineCreditPolicy())
    with pytest.raises(DomainError) as over:  # the online consumer cap (¥200,000) binds before the product's ¥500,000
        await online_credit.decide_referral(actor=approver, approve=True, limit_fen=30_000_000, reason="人工核实公积金缴存", **decide)
    assert over.value.code == "INVALID_AMOUNT" and "200,000" in over.value.message
    with pytest.raises(DomainError) as officer:  # an officer is not an approver
        await online_credit.decide_referral(actor=await _approver("officer1"), approve=True, limit_fen=5_000_000, reason="x", **decide)
    assert officer.value.code == "FORBIDDEN"
    offered = await online_credit.decide_referral(actor=approver, approve=True, limit_fen=5_000_000, reason="人工核实公积金缴存", **decide)
    assert offered.status == CreditApplicationStatus.OFFERED and offered.limit_fen == 5_000_000
    assert offered.annual_rate_ppm == offered.lpr_ppm + offered.spread_bp * 100 and offered.decision["approver"]["decision"] == "approve"
    with pytest.raises(DomainError) as twice:
        await online_credit.decide_referral(actor=approver, approve=False, limit_fen=None, reason="重复", **decide)
    assert twice.value.code == "NOT_REFERRED"
    assert offered.offered_at == NOW  # the offer's validity runs from the approval
    signed = await online_credit.accept_offer(actor=actor, application_id=row.id, now=NOW, today=TODAY, policy=OnlineCreditPolicy(), kit=None, queue=FakeJobQueue())
    assert signed.status == CreditApplicationStatus.SIGNING and (await CreditLine.get(id=signed.credit_line_id)).limit_fen == 5_000_000
    assert await AuditEvent.filter(action="credit_application.approve").count() == 1


async def test_an_approver_declines_a_reviewed_refusal_and_it_cannot_be_asked_again(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault, sequence=801)
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    row = await _apply(actor, bank, media, vault, "GJJ")
    await online_credit.request_review(actor=actor, application_id=row.id, reason="已补缴", now=NOW)
    declined = await online_credit.decide_referral(actor=await _approver(), application_id=row.id, approve=False, limit_fen=None, reason="欠缴属实",
                                                   now=NOW, today=TODAY, policy=OnlineCreditPolicy())
    assert declined.status == CreditApplicationStatus.REFUSED and "欠缴" not in declined.message
    with pytest.raises(DomainError) as again:
        await online_credit.request_review(actor=actor, application_id=row.id, reason="再看看", now=NOW)
    assert again.value.code == "NOT_REFUSED"
    assert await online_credit.referred_queue(actor=await _approver()) == []


# --- 线上便利贷: the credit report and the bank's own records ---------------------------------------------------


async def test_bianli_online_needs_the_credit_report_consent_only_and_offers_from_the_repayment_record(demo, vault, media):
    await business_date.set_current(TODAY)
    customer, actor, bank, _ = await _borrower(vault)
    await settled_loan(vault, customer, amount_fen=6_000_000)  # ¥60,000 repaid in full at this bank
    await _consent(actor, bank, media)  # the credit report only: no external consent is asked for
    row = await _apply(actor, bank, media, vault, "BIANLI_ONLINE")
    assert row.status == CreditApplicationStatus.OFFERED, row.decision
    assert row.source is None and row.external_query_id is None and await ExternalDataQuery.all().count() == 0
    terms = row.decision["strategy"]["limit"]["terms"]
    assert terms["own_repayment"] == 9_000_000 and "report_debt_room" in terms and terms["online_cap"] == 20_000_000  # the consumer cap applies
    assert row.limit_fen == min(terms.values()) - min(terms.values()) % 100_000
    assert row.decision["source"]["source"] == "bank" and row.decision["source"]["facts"]["settled_loans"] == 1
    strategy = await RiskStrategyDecision.get(id=row.strategy_decision_id)
    assert strategy.ruleset_version == row.strategy_version == "bianli-online-2026.1" and strategy.product_code == "BIANLI_ONLINE"
    # 先息后本 is not offered on a consumer line longer than 12 months
    assert "interest_first" not in row.methods and row.max_term_months == 36
    signed = await online_credit.accept_offer(actor=actor, application_id=row.id, now=NOW, today=TODAY, policy=OnlineCreditPolicy(), kit=None, queue=FakeJobQueue())
    assert (await CreditLine.get(id=signed.credit_line_id)).limit_fen == row.limit_fen


async def test_bianli_online_refuses_a_borrower_without_a_repaid_loan_or_with_late_payments_here(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault)  # a line from a visit, nothing repaid yet
    await _consent(actor, bank, media)
    row = await _apply(actor, bank, media, vault, "BIANLI_ONLINE")
    assert row.status == CreditApplicationStatus.REFUSED and [h["code"] for h in row.decision["strategy"]["rules"]] == ["OWN_SETTLED_LOANS"]
    assert "人工复核" in row.message and "结清" not in row.message
    late, late_actor, _, _ = await _borrower(vault, sequence=359)
    await settled_loan(vault, late, paid_late=2)
    await _consent(late_actor, bank, media)
    refused = await _apply(late_actor, bank, media, vault, "BIANLI_ONLINE")
    assert refused.status == CreditApplicationStatus.REFUSED
    assert [h["code"] for h in refused.decision["strategy"]["rules"]] == ["OWN_LATE_INSTALLMENTS"]
    assert refused.decision["strategy"]["rules"][0]["evidence"]["late_installments"] == 2


async def test_bianli_online_shares_the_online_consumer_cap_and_the_regional_rule(demo, vault, media):
    await business_date.set_current(TODAY)
    customer, actor, bank, _ = await _borrower(vault)
    await settled_loan(vault, customer, amount_fen=20_000_000)
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    gjj = await _apply(actor, bank, media, vault, "GJJ")
    assert gjj.status == CreditApplicationStatus.OFFERED, gjj.decision
    await online_credit.accept_offer(actor=actor, application_id=gjj.id, now=NOW, today=TODAY, policy=OnlineCreditPolicy(), kit=None, queue=FakeJobQueue())
    row = await _apply(actor, bank, media, vault, "BIANLI_ONLINE")
    terms = row.decision["strategy"]["limit"]["terms"]
    assert terms["online_cap"] == 20_000_000 - gjj.limit_fen  # the room the 公积金贷 line left under ¥200,000
    if row.status == CreditApplicationStatus.OFFERED:
        assert row.limit_fen <= 20_000_000 - gjj.limit_fen
    # a borrower living outside the bank's region is told so, and nothing is decided
    other, other_actor, _, _ = await _borrower(vault, sequence=361)
    await settled_loan(vault, other)
    await Customer.filter(id=other.id).update(id_number_masked="110101" + other.id_number_masked[6:])
    await _consent(other_actor, bank, media)
    with pytest.raises(DomainError) as outside:
        await _apply(other_actor, bank, media, vault, "BIANLI_ONLINE")
    assert outside.value.code == "OUTSIDE_REGION" and await CreditApplication.filter(customer_id=other.id).count() == 0


async def test_an_offer_not_accepted_in_time_expires_and_the_borrower_applies_again(demo, vault, media):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault)
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    policy = OnlineCreditPolicy(offer_valid_days=7)
    row = await _apply(actor, bank, media, vault, "GJJ")
    assert row.status == CreditApplicationStatus.OFFERED and row.offered_at == NOW
    assert online_credit.offer_expires_at(row, policy) == NOW + timedelta(days=7)
    assert online_credit.application_view(row, now=NOW + timedelta(days=7) - timedelta(seconds=1), policy=policy).status == CreditApplicationStatus.OFFERED
    late = NOW + timedelta(days=7, minutes=1)
    view = online_credit.application_view(row, now=late, policy=policy)
    assert view.status == CreditApplicationStatus.EXPIRED and "重新申请" in view.message
    queue = FakeJobQueue()
    with pytest.raises(DomainError) as expired:
        await online_credit.accept_offer(actor=actor, application_id=row.id, now=late, today=TODAY + timedelta(days=7), policy=policy, kit=None, queue=queue)
    assert expired.value.code == "OFFER_EXPIRED" and "已失效" in expired.value.message
    assert (await CreditApplication.get(id=row.id)).status == CreditApplicationStatus.EXPIRED and await CreditLine.filter(product__code="GJJ").count() == 0
    assert queue.jobs == [] and await AuditEvent.filter(action="credit_application.expire").count() == 1
    with pytest.raises(DomainError) as again:  # still expired, recorded once
        await online_credit.accept_offer(actor=actor, application_id=row.id, now=late, today=TODAY, policy=policy, kit=None, queue=queue)
    assert again.value.code == "OFFER_EXPIRED" and await AuditEvent.filter(action="credit_application.expire").count() == 1
    fresh = await _apply(actor, bank, media, vault, "GJJ")  # a new application: a new offer
    assert fresh.id != row.id and fresh.status == CreditApplicationStatus.OFFERED
