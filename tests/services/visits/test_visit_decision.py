import uuid

import pytest

from app.domain import visit as flow
from app.domain.errors import DomainError, Forbidden, ValidationError
from app.models import AuditEvent, CreditAuthorisation, CreditLine, Document, OutboxMessage, Visit
from app.domain.vocabulary import DocumentKind
from app.models.outbox import OutboxKind
from app.services.risk import add_to_list
from app.services.visits import approval_queue, approve_visit, decide, decline_visit, sign_authorisation
from app.services.visits import decision as decision_module
from tests.factories.villages import actor
from tests.services.contracts.helpers import signature_png
from tests.services.visits.helpers import NOW, TODAY, authorise, ctx_for, face, family, person, photos, pre_credit, start, walk_to_decision


async def _at_authorisation(c):
    await start(c)
    await person(c, "borrower")
    await person(c, "co_borrower")
    await photos(c)


async def test_authorisation_without_a_face_check_is_refused(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await _at_authorisation(c)
    base = dict(actor=c.who, visit_id=c.visit_id, signature_png=signature_png(), face_checks=c.faces, media=c.media, policy=c.policy,
                institution="襄汾农商行", tz="Asia/Shanghai", today=TODAY, now=NOW)
    with pytest.raises(ValidationError) as none:
        await sign_authorisation(**base, face_verification_id=None)
    assert none.value.code == "FACE_CHECK_REQUIRED"
    failed = await face(c, "authorisation", verified=False)
    visit = await Visit.get(id=c.visit_id)
    match_id = visit.data["borrower"]["face"]["id"]  # the earlier match does not count for this signature
    with pytest.raises(Forbidden):
        await sign_authorisation(**base, face_verification_id=uuid.UUID(match_id))
    with pytest.raises(Forbidden) as not_passed:
        await sign_authorisation(**base, face_verification_id=failed.id)
    assert not_passed.value.code == "FACE_CHECK_FAILED"
    assert await CreditAuthorisation.all().count() == 0


async def test_signed_authorisation_is_filed_with_its_sheet(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await _at_authorisation(c)
    row = await authorise(c)
    visit = await Visit.get(id=c.visit_id)
    assert visit.step == flow.CREDIT_CHECK
    doc = await Document.get(id=row.document_id)
    assert doc.kind == DocumentKind.AUTHORISATION and doc.content_type == "image/png" and doc.customer_id == visit.customer_id
    assert c.media.get(doc.sha256).startswith(b"\x89PNG")
    assert row.valid_until.isoformat() == "2027-11-27"


async def test_within_the_officers_authority_the_line_is_granted_at_once(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000, grade="excellent")
    c = await ctx_for(vault, settings, fam)
    decision = await walk_to_decision(c)
    assert decision.decision.value == "pass"
    visit = await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert visit.status == flow.VisitStatus.GRANTED and visit.step == flow.SIGNING
    line = await CreditLine.get(id=visit.credit_line_id)
    assert line.limit_fen == 8_000_000 and line.granted_at == NOW and line.valid_until.isoformat() == "2029-11-27"
    assert line.spread_bp == 100  # BIANLI's spread for 优秀
    message = await OutboxMessage.get(key=f"line_granted:{line.id}")
    assert message.kind == OutboxKind.LINE_GRANTED and message.payload["limit"] == "80000.00"
    assert await AuditEvent.filter(action="visit.grant", entity_id=str(visit.id)).exists()


async def test_a_smaller_request_is_granted_as_asked(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    with pytest.raises(ValidationError) as above:
        await decide(actor=c.who, visit_id=c.visit_id, requested_fen=9_000_000, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert above.value.code == "ABOVE_PRE_CREDIT"
    visit = await decide(actor=c.who, visit_id=c.visit_id, requested_fen=5_000_000, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert (await CreditLine.get(id=visit.credit_line_id)).limit_fen == 5_000_000


async def test_grant_and_outbox_commit_together_or_not_at_all(demo, vault, settings, monkeypatch):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)

    async def broken(line, *, now=None):
        raise RuntimeError("outbox down")

    monkeypatch.setattr(decision_module, "enqueue_line_granted", broken)
    with pytest.raises(RuntimeError):
        await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert await CreditLine.all().count() == 0
    assert (await Visit.get(id=c.visit_id)).status == flow.VisitStatus.IN_PROGRESS


async def test_above_the_officers_authority_the_file_goes_to_an_approver(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 200_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    visit = await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert visit.status == flow.VisitStatus.AWAITING_APPROVAL and visit.proposed_amount_fen == 20_000_000
    strategy = visit.data["decision"].pop("strategy")
    assert visit.data["decision"] == {"route": "approval", "amountFen": 20_000_000, "why": "above_authority", "key": "", "incomeFen": None}
    assert (strategy["outcome"], strategy["limitFen"], strategy["rules"]) == ("pass", 20_000_000, [])
    assert await CreditLine.all().count() == 0
    approver = await actor("approver")
    assert [v.id for v in await approval_queue(actor=approver)] == [visit.id]
    # the approver grants it within their authority (300,000)
    granted = await approve_visit(actor=approver, visit_id=visit.id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert granted.status == flow.VisitStatus.GRANTED and granted.decided_by_id == approver.id
    line = await CreditLine.get(id=granted.credit_line_id)
    assert line.limit_fen == 20_000_000 and line.officer_id == c.who.id and line.granted_by_id == approver.id
    assert await OutboxMessage.filter(key=f"line_granted:{line.id}").exists()
    assert await approval_queue(actor=approver) == []


async def test_a_grant_above_the_approvers_authority_is_refused(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 250_000)
    c = await ctx_for(vault, settings, fam, authority=flow.Authority(officer_fen=10_000_000, approver_fen=20_000_000, branch_manager_fen=50_000_000))
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    with pytest.raises(Forbidden) as refused:
        await approve_visit(actor=await actor("approver"), visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert refused.value.code == "ABOVE_AUTHORITY" and "¥200,000.00" in refused.value.message
    visit = await Visit.get(id=c.visit_id)
    assert visit.status == flow.VisitStatus.AWAITING_APPROVAL and await CreditLine.all().count() == 0
    with pytest.raises(Forbidden):  # an officer is no approver
        await approve_visit(actor=await actor("officer1"), visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    granted = await approve_visit(actor=await actor("manager"), visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert (await CreditLine.get(id=granted.credit_line_id)).limit_fen == 25_000_000


async def test_the_approver_declines_with_a_reason(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 200_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    approver = await actor("approver")
    with pytest.raises(ValidationError):
        await decline_visit(actor=approver, visit_id=c.visit_id, reason=" ", now=NOW)
    visit = await decline_visit(actor=approver, visit_id=c.visit_id, reason="经营收入不足以覆盖额度", now=NOW)
    assert visit.status == flow.VisitStatus.DECLINED and visit.decline_reason == "经营收入不足以覆盖额度" and visit.finished_at == NOW
    with pytest.raises(ValidationError):
        await approve_visit(actor=approver, visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)


async def test_a_reject_decision_blocks_the_grant(demo, vault, settings):
    fam = await family(vault, head_seq=911)  # sandbox: an open loan overdue now
    await pre_credit(fam.household.id, 50_000)
    c = await ctx_for(vault, settings, fam)
    decision = await walk_to_decision(c)
    assert decision.decision.value == "reject"
    assert (await Visit.get(id=c.visit_id)).step == flow.DECISION  # the check itself is done and shown
    with pytest.raises(DomainError) as refused:
        await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert refused.value.code == "RISK_REJECTED" and "禁止面签" in refused.value.message
    assert await CreditLine.all().count() == 0


async def test_a_risk_review_goes_to_an_approver_even_when_small(demo, vault, settings):
    fam = await family(vault, head_seq=991)  # sandbox: a public record still 执行中 → review
    await pre_credit(fam.household.id, 30_000)
    c = await ctx_for(vault, settings, fam)
    assert (await walk_to_decision(c)).decision.value == "review"
    visit = await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert visit.status == flow.VisitStatus.AWAITING_APPROVAL and visit.data["decision"]["why"] == "risk_review"


async def test_no_pre_credit_no_grant(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await walk_to_decision(c)
    with pytest.raises(DomainError) as refused:
        await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert refused.value.code == "NO_PRE_CREDIT"


async def test_the_officer_cannot_approve_their_own_visit(demo, vault, settings):
    fam = await family(vault, by="manager")
    await pre_credit(fam.household.id, 200_000)
    c = await ctx_for(vault, settings, fam, by="manager",
                      authority=flow.Authority(officer_fen=10_000_000, approver_fen=30_000_000, branch_manager_fen=10_000_000))
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    with pytest.raises(Forbidden) as own:
        await approve_visit(actor=c.who, visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert own.value.code == "OWN_REQUEST"


async def test_a_black_list_entry_after_the_check_blocks_approval(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 200_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    await add_to_list(actor=await actor("manager"), vault=vault, id_number=fam.numbers[str(fam.head.id)], name="赵德胜", list_kind="black",
                      reason="法院失信被执行人", today=TODAY)
    with pytest.raises(DomainError) as refused:
        await approve_visit(actor=await actor("approver"), visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert refused.value.code == "RISK_REJECTED"


async def test_the_visits_bank_authority_matrix_routes_and_limits_the_grant(demo, vault, settings):
    # given 襄汾 sets its own authority: officers ¥50,000, approvers ¥60,000 (the platform's settings: ¥100,000 / ¥300,000)
    from app.models import Bank
    from app.services.org import authority_of_branch, set_bank_authority
    from tests.factories.banks import second_bank

    yc = await second_bank()
    bank = await Bank.get(code="14102301")
    await set_bank_authority(actor=await actor("admin"), bank_id=bank.id, officer_fen=5_000_000, approver_fen=6_000_000, branch_manager_fen=30_000_000)
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000, grade="excellent")
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    # when the officer decides ¥80,000 (within the platform's ¥100,000, above the bank's ¥50,000)
    visit = await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    # then the file goes to an approver, who may grant only within the bank's ¥60,000
    assert visit.status == flow.VisitStatus.AWAITING_APPROVAL and visit.data["decision"]["why"] == "above_authority"
    approver = await actor("approver")
    with pytest.raises(Forbidden):
        await approve_visit(actor=approver, visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert await CreditLine.all().count() == 0
    granted = await approve_visit(actor=approver, visit_id=c.visit_id, amount_fen=6_000_000, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    assert (await CreditLine.get(id=granted.credit_line_id)).limit_fen == 6_000_000
    # and 翼城, with no matrix of its own, still has the platform's
    assert await authority_of_branch(yc.branch.id, c.policy.authority) == c.policy.authority
