"""The visit's file as the steps store it: after every step the row's JSON reads back (VisitFile) key for key."""

import pytest

from app.domain import visit as flow
from app.domain.visit_file import VisitFile
from app.models import Contract, Visit
from app.services.visits import (
    abandon_visit,
    approve_visit,
    check_person_identity,
    complete_face_match,
    decide,
    decline_visit,
    seal_at_visit,
    skip_co_borrower,
)
from app.integrations.identity import SandboxIdentityCheck
from tests.factories.villages import actor
from tests.services.visits.helpers import (
    NOW,
    TODAY,
    authorise,
    credit,
    ctx_for,
    face,
    family,
    id_card,
    person,
    photos,
    pre_credit,
    start,
    walk_to_decision,
)
from tests.services.visits.test_visit_signing import _rendered, _sign


async def _reads_back(c) -> VisitFile:
    """The stored JSON, read as a file and written again, is the same JSON; the typed file."""
    visit = await Visit.get(id=c.visit_id)
    assert VisitFile.from_json(visit.data).to_json() == visit.data
    return visit.file


@pytest.mark.pdf
async def test_a_signed_visit_reads_back_after_every_step(demo, vault, settings, kit, renderer):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await start(c)
    assert (await _reads_back(c)).location.distance_m is not None
    for who in (flow.BORROWER, flow.CO_BORROWER):
        await id_card(c, who)
        assert (await _reads_back(c)).person(who).confirmed == ("back", "front")
        await check_person_identity(actor=c.who, visit_id=c.visit_id, who=who, identity_check=SandboxIdentityCheck(), vault=vault, media=c.media, now=NOW)
        await face(c, "match", who)
        assert (await _reads_back(c)).face_id("match", who) is not None
        await complete_face_match(actor=c.who, visit_id=c.visit_id, who=who, face_checks=c.faces, now=NOW)
        file = await _reads_back(c)
        assert file.person(who).identity.result == "match" and file.person(who).face.distance == 0.03
    await photos(c)
    assert (await _reads_back(c)).photos.categories == ("house",)
    await authorise(c)
    assert (await _reads_back(c)).authorisation.valid_until > TODAY
    await credit(c)
    file = await _reads_back(c)
    assert file.credit.outcome == "pass" and file.strategy.outcome == "pass"
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW,
                 income_fen=3_000_000, idempotency_key="k-1")
    decision = (await _reads_back(c)).decision
    assert (decision.route, decision.income_fen, decision.key, decision.why) == ("officer", 3_000_000, "k-1", None)
    await _rendered(c, kit, renderer)
    for who in (flow.BORROWER, flow.CO_BORROWER):
        await _sign(c, kit, who, (await face(c, "sign", who)).id)
        assert (await _reads_back(c)).signing.signature_of(who).lat == 35.8766
    await seal_at_visit(actor=c.who, visit_id=c.visit_id, kit=kit, now=NOW)
    visit = await Visit.get(id=c.visit_id)
    file = await _reads_back(c)
    assert file.signing.contract == visit.contract_id and file.signing.sealed == (await Contract.get(id=visit.contract_id)).sealed_document_id
    assert set(visit.data) == {"location", "borrower", "co_borrower", "faces", "photos", "authorisation", "credit", "strategy", "decision", "signing"}
    assert set(visit.data["faces"]) == {"match:borrower", "match:co_borrower", "authorisation:borrower", "sign:borrower", "sign:co_borrower"}


@pytest.mark.parametrize("action", ["approve", "decline"])
async def test_the_approvers_grant_and_decline_read_back(demo, vault, settings, action):
    approver = await actor("approver")
    fam = await family(vault, spouse_seq=None)
    await pre_credit(fam.household.id, 200_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    waiting = (await _reads_back(c)).decision
    assert (waiting.route, waiting.why, waiting.income_fen, waiting.income_asked) == ("approval", "above_authority", None, True)
    if action == "approve":
        await approve_visit(actor=approver, visit_id=c.visit_id, amount_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
        decided = (await _reads_back(c)).decision
        assert (decided.route, decided.approver, decided.why) == ("approver", approver.id, "above_authority") and decided.line is not None
    else:
        await decline_visit(actor=approver, visit_id=c.visit_id, reason="经营收入不足以覆盖额度", now=NOW)
        decided = (await _reads_back(c)).decision
        assert (decided.route, decided.reason, decided.amount_fen) == ("declined", "经营收入不足以覆盖额度", 20_000_000)


async def test_stopped_visits_read_back(demo, vault, settings):
    # no spouse on file, far from the village, the borrower's identity check does not match, then the officer stops the visit
    fam = await family(vault, head_seq=883, spouse_seq=None)  # sandbox: 姓名与号码不一致
    c = await ctx_for(vault, settings, fam)
    await start(c, at=(35.9765, 111.4421))
    file = await _reads_back(c)
    assert file.location.far and "超过" in file.location.warning and file.co_borrower.skipped and file.co_borrower.auto
    await id_card(c)
    await check_person_identity(actor=c.who, visit_id=c.visit_id, who="borrower", identity_check=SandboxIdentityCheck(), vault=vault, media=c.media, now=NOW)
    assert (await _reads_back(c)).borrower.identity.result == "mismatch"
    await abandon_visit(actor=c.who, visit_id=c.visit_id, reason="身份核验未通过", now=NOW)
    assert (await _reads_back(c)).abandoned.at == NOW
    # the officer goes on without the spouse
    fam = await family(vault, no="V02", head_seq=365, spouse_seq=366)
    c = await ctx_for(vault, settings, fam)
    await start(c)
    await person(c)
    await skip_co_borrower(actor=c.who, visit_id=c.visit_id, reason="配偶在外务工", now=NOW)
    file = await _reads_back(c)
    assert file.co_borrower.skipped and not file.co_borrower.auto and file.co_borrower.reason == "配偶在外务工"
