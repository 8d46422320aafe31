from datetime import timedelta

import pytest

from app.domain.credit_report import CreditReportError, parse_report
from app.integrations.sandbox import generate_report, to_xml
from app.domain.errors import DomainError, Forbidden, NotFound, ValidationError
from app.models import AuditEvent, CreditQuery, Document, RiskDecision, RuleSetVersion
from app.domain.vocabulary import DocumentKind
from app.models.risk import CreditQueryStatus, RiskOutcome, RiskPurpose
from app.services import risk
from app.services.actor import SYSTEM
from app.services.documents import store_document
from tests.factories.risk import NOW, TODAY, CountingBureau, FixedBureau, actor, authorise, id_number, make_customer, media_store

CLEAN, OVERDUE, TIMEOUT, BUREAU_DOWN = 101, 911, 999, 995


async def _pull(customer, *, by, bureau, media, vault, now=NOW, reuse_days=30, reason="贷款审批"):
    return await risk.pull_credit_report(
        actor=by, customer_id=customer.id, reason=reason, bureau=bureau, media=media, vault=vault, now=now, today=now.date(), reuse_days=reuse_days
    )


async def _check(customer, *, by, bureau, media, vault, purpose=RiskPurpose.SIGNING, now=NOW, reuse_days=30):
    return await risk.check_credit(
        actor=by, customer_id=customer.id, purpose=purpose, bureau=bureau, media=media, vault=vault, now=now, today=now.date(), reuse_days=reuse_days
    )


async def test_no_authorisation_is_refused_and_nothing_is_queried(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    bureau = CountingBureau()
    with pytest.raises(DomainError) as err:
        await _pull(customer, by=officer, bureau=bureau, media=media_store(tmp_path), vault=vault)
    assert err.value.code == "NO_AUTHORISATION"
    assert bureau.calls == []
    assert await CreditQuery.all().count() == 0
    assert not await AuditEvent.filter(action="customer.id_number_use").exists()


@pytest.mark.parametrize("case", ["expired", "revoked", "signed_later"])
async def test_an_authorisation_that_is_not_valid_today_does_not_count(demo, vault, tmp_path, case):
    officer = await actor()
    customer = await make_customer(vault)
    if case == "expired":
        await authorise(customer, by=officer, signed_at=NOW - timedelta(days=400), valid_until=TODAY - timedelta(days=1))
    elif case == "revoked":
        row = await authorise(customer, by=officer)
        await risk.revoke_authorisation(actor=officer, authorisation_id=row.id, now=NOW - timedelta(hours=1))
    else:
        await authorise(customer, by=officer, signed_at=NOW + timedelta(hours=1))
    bureau = CountingBureau()
    with pytest.raises(DomainError) as err:
        await _pull(customer, by=officer, bureau=bureau, media=media_store(tmp_path), vault=vault)
    assert err.value.code == "NO_AUTHORISATION"
    assert bureau.calls == []


async def test_authorisation_refuses_a_document_that_is_not_an_authorisation(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    photo = await store_document(actor=officer, media=media_store(tmp_path), data=b"jpeg", kind=DocumentKind.ASSET_PHOTO, content_type="image/jpeg", customer_id=customer.id, max_bytes=1000)
    with pytest.raises(ValidationError) as err:
        await risk.record_authorisation(actor=officer, customer_id=customer.id, signed_at=NOW, valid_until=TODAY, document_id=photo.id)
    assert err.value.field == "document_id"
    with pytest.raises(ValidationError) as err:
        await risk.record_authorisation(actor=officer, customer_id=customer.id, signed_at=NOW, valid_until=TODAY - timedelta(days=1))
    assert err.value.field == "valid_until"


async def test_a_query_is_recorded_with_who_why_when_and_the_report(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault, name="李秀英")
    await authorise(customer, by=officer)
    media = media_store(tmp_path)
    pulled = await _pull(customer, by=officer, bureau=CountingBureau(), media=media, vault=vault)
    q = await CreditQuery.get(id=pulled.query.id).prefetch_related("report_document")
    assert (q.status, q.reason, q.institution, q.hard) == (CreditQueryStatus.OK, "贷款审批", "襄汾农商行", True)
    assert q.officer_id == officer.id and q.requested_at == NOW and q.report_date == TODAY
    assert q.report_document.kind == DocumentKind.CREDIT_REPORT
    stored = parse_report(media.get(q.report_document.sha256))
    assert stored.subject.id_number == id_number(CLEAN) and stored.subject.name == "李秀英"
    assert stored.query.reason == "贷款审批" and stored.query.institution == "襄汾农商行"
    assert pulled.reused is False
    use = await AuditEvent.get(action="customer.id_number_use", entity_id=str(customer.id))
    assert use.actor_id == str(officer.id) and use.after == {"purpose": "credit_query", "creditQueryId": str(q.id)}
    assert await AuditEvent.filter(action="credit_query.finish", entity_id=str(q.id)).count() == 1


async def test_a_soft_query_is_not_hard(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    await authorise(customer, by=officer)
    pulled = await _pull(customer, by=officer, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault, reason="贷后管理")
    assert pulled.query.hard is False
    with pytest.raises(ValidationError):
        await _pull(customer, by=officer, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault, reason="随便看看")


async def test_a_report_is_reused_within_the_window_and_pulled_again_after(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    await authorise(customer, by=officer)
    media, bureau = media_store(tmp_path), CountingBureau()
    first = await _pull(customer, by=officer, bureau=bureau, media=media, vault=vault)
    second = await _pull(customer, by=officer, bureau=bureau, media=media, vault=vault, now=NOW + timedelta(days=30))
    assert second.reused is True and second.query.id == first.query.id
    assert second.report == first.report
    assert bureau.calls == ["贷款审批"]
    assert await CreditQuery.all().count() == 1
    assert await AuditEvent.filter(action="credit_query.reuse").count() == 1
    third = await _pull(customer, by=officer, bureau=bureau, media=media, vault=vault, now=NOW + timedelta(days=30, seconds=1))
    assert third.reused is False
    assert len(bureau.calls) == 2 and await CreditQuery.all().count() == 2


async def test_reuse_days_zero_always_queries(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    await authorise(customer, by=officer)
    media, bureau = media_store(tmp_path), CountingBureau()
    await _pull(customer, by=officer, bureau=bureau, media=media, vault=vault, reuse_days=0)
    await _pull(customer, by=officer, bureau=bureau, media=media, vault=vault, reuse_days=0)
    assert len(bureau.calls) == 2


async def test_a_timeout_is_recorded_and_never_a_pass(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault, sequence=TIMEOUT)
    await authorise(customer, by=officer)
    with pytest.raises(DomainError) as err:
        await _check(customer, by=officer, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault)
    assert err.value.code == "BUREAU_TIMEOUT"
    q = await CreditQuery.get(customer_id=customer.id)
    assert (q.status, q.error_code, q.report_document_id) == (CreditQueryStatus.TIMEOUT, "BUREAU_TIMEOUT", None)
    assert await RiskDecision.all().count() == 0
    with pytest.raises(DomainError) as gate:
        await risk.credit_gate(customer.id, RiskPurpose.SIGNING)
    assert gate.value.code == "NO_RISK_DECISION"


async def test_a_timeout_report_is_not_reused(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault, sequence=TIMEOUT)
    await authorise(customer, by=officer)
    bureau = CountingBureau()
    for _ in range(2):
        with pytest.raises(DomainError):
            await _pull(customer, by=officer, bureau=bureau, media=media_store(tmp_path), vault=vault)
    assert len(bureau.calls) == 2
    assert await CreditQuery.filter(status=CreditQueryStatus.TIMEOUT).count() == 2


async def test_a_bureau_error_is_recorded_as_failed(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault, sequence=BUREAU_DOWN)
    await authorise(customer, by=officer)
    with pytest.raises(DomainError) as err:
        await _pull(customer, by=officer, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault)
    assert err.value.code == "BUREAU_FAILED"
    q = await CreditQuery.get(customer_id=customer.id)
    assert (q.status, q.error_code) == (CreditQueryStatus.FAILED, "BUREAU_UNAVAILABLE")


async def test_a_refused_report_is_recorded_as_failed_and_not_stored(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    await authorise(customer, by=officer)
    bad = b'<?xml version="1.0"?><!DOCTYPE x [<!ENTITY a "b">]><CreditReport/>'
    with pytest.raises(CreditReportError) as err:
        await _pull(customer, by=officer, bureau=FixedBureau(bad), media=media_store(tmp_path), vault=vault)
    assert err.value.code == "DTD_FORBIDDEN"
    q = await CreditQuery.get(customer_id=customer.id)
    assert (q.status, q.error_code) == (CreditQueryStatus.FAILED, "DTD_FORBIDDEN")
    assert await Document.filter(kind=DocumentKind.CREDIT_REPORT).count() == 0


async def test_a_report_about_someone_else_is_refused(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    await authorise(customer, by=officer)
    other = to_xml(generate_report(1, id_number(103), "张三", TODAY))
    with pytest.raises(DomainError) as err:
        await _check(customer, by=officer, bureau=FixedBureau(other), media=media_store(tmp_path), vault=vault)
    assert err.value.code == "BUREAU_SUBJECT_MISMATCH"
    assert (await CreditQuery.get(customer_id=customer.id)).error_code == "SUBJECT_MISMATCH"
    assert await RiskDecision.all().count() == 0


async def test_a_clean_report_passes_and_opens_the_gate(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    await authorise(customer, by=officer)
    decision = await _check(customer, by=officer, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault)
    assert decision.decision == RiskOutcome.PASS and decision.hits == []
    assert decision.ruleset_version == "reject-2026.1" and decision.decided_by_id == officer.id
    assert decision.explanation.startswith("结论：通过")
    seeded = await RuleSetVersion.get(is_active=True)
    assert seeded.version == "reject-2026.1" and seeded.uploaded_by_id is None
    assert await AuditEvent.filter(action="risk_decision.create", entity_id=str(decision.id)).exists()
    await risk.credit_gate(customer.id, RiskPurpose.SIGNING)
    await risk.credit_gate(customer.id, "drawdown")


async def test_a_reject_decision_blocks_signing_and_drawdown(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault, sequence=OVERDUE)
    await authorise(customer, by=officer)
    decision = await _check(customer, by=officer, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault)
    assert decision.decision == RiskOutcome.REJECT
    assert "CURRENT_OVERDUE" in [h["code"] for h in decision.hits]
    hit = next(h for h in decision.hits if h["code"] == "CURRENT_OVERDUE")
    assert hit["kind"] == "reject" and hit["evidence"]["periods"] == 1
    assert "当前逾期1期" in decision.explanation
    for purpose, word in ((RiskPurpose.SIGNING, "禁止面签"), (RiskPurpose.DRAWDOWN, "禁止用信")):
        with pytest.raises(DomainError) as gate:
            await risk.credit_gate(customer.id, purpose)
        assert gate.value.code == "RISK_REJECTED"
        assert word in gate.value.message and "当前逾期1期" in gate.value.message


async def test_a_second_check_within_the_window_reuses_the_report(demo, vault, tmp_path):
    officer = await actor()
    customer = await make_customer(vault)
    await authorise(customer, by=officer)
    media, bureau = media_store(tmp_path), CountingBureau()
    first = await _check(customer, by=officer, bureau=bureau, media=media, vault=vault)
    second = await _check(customer, by=officer, bureau=bureau, media=media, vault=vault, purpose=RiskPurpose.DRAWDOWN, now=NOW + timedelta(days=3))
    assert len(bureau.calls) == 1
    assert first.credit_query_id == second.credit_query_id
    assert await RiskDecision.all().count() == 2
    assert (await risk.latest_decision(customer.id)).id == second.id


async def test_an_officer_outside_the_branch_sees_no_customer(demo, vault, tmp_path):
    customer = await make_customer(vault, branch_code="XF010")
    await authorise(customer, by=await actor("officer1"))
    bureau = CountingBureau()
    with pytest.raises(NotFound):
        await _pull(customer, by=await actor("officer2"), bureau=bureau, media=media_store(tmp_path), vault=vault)
    with pytest.raises(Forbidden):
        await _pull(customer, by=await actor("auditor"), bureau=bureau, media=media_store(tmp_path), vault=vault)
    assert bureau.calls == []


async def test_the_system_may_refresh_a_report(demo, vault, tmp_path):
    customer = await make_customer(vault)
    await authorise(customer, by=await actor())
    pulled = await _pull(customer, by=SYSTEM, bureau=CountingBureau(), media=media_store(tmp_path), vault=vault, reason="贷后管理")
    assert pulled.query.officer_id is None and pulled.query.status == CreditQueryStatus.OK
