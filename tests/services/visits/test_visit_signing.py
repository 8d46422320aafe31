import pytest

from app.domain import visit as flow
from app.domain.errors import Conflict, DomainError, Forbidden, ValidationError
from app.models import Contract, CreditLine, Visit
from app.models.contract import ContractStatus
from app.services.customers.archive import verify_archive
from app.services.contracts import render_contract
from app.services.risk import add_to_list
from app.services.visits import decide, prepare_contract, seal_at_visit, sign_at_visit
from tests.factories.villages import actor
from tests.services.contracts.helpers import signature_png
from tests.services.visits.helpers import NOW, TODAY, ctx_for, face, family, pre_credit, walk_to_decision

pytestmark = pytest.mark.pdf


async def _granted(vault, settings, **family_kwargs):
    fam = await family(vault, **family_kwargs)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    return c


async def _rendered(c, kit, renderer):
    contract = await prepare_contract(actor=c.who, visit_id=c.visit_id, queue=c.queue, today=TODAY, now=NOW)
    assert contract.status == ContractStatus.DRAFT and c.queue.jobs[-1].function == "render_contract"
    return await render_contract(contract_id=contract.id, media=kit.media, renderer=renderer, now=NOW, actor=c.who)  # the worker's job


async def _sign(c, kit, who, face_id):
    return await sign_at_visit(actor=c.who, visit_id=c.visit_id, who=who, signature_png=signature_png(1 if who == "borrower" else 2),
                               face_verification_id=face_id, face_checks=c.faces, lat=35.8766, lng=111.4420, kit=kit, today=TODAY, now=NOW)


async def test_borrower_and_co_borrower_sign_then_the_bank_seals(demo, vault, settings, kit, renderer):
    c = await _granted(vault, settings)
    contract = await _rendered(c, kit, renderer)
    assert contract.status == ContractStatus.RENDERED and contract.co_borrower_id is not None
    # a signature without a face match at that moment is refused
    with pytest.raises(ValidationError) as no_face:
        await _sign(c, kit, "borrower", None)
    assert no_face.value.code == "FACE_CHECK_REQUIRED"
    # the co-borrower cannot sign first
    with pytest.raises(Conflict):
        await _sign(c, kit, "co_borrower", (await face(c, "sign", "co_borrower")).id)
    signature = await _sign(c, kit, "borrower", (await face(c, "sign", "borrower")).id)
    assert signature.lat == 35.8766 and signature.role.value == "borrower"
    await _sign(c, kit, "co_borrower", (await face(c, "sign", "co_borrower")).id)
    visit = await seal_at_visit(actor=c.who, visit_id=c.visit_id, kit=kit, now=NOW)
    assert visit.status == flow.VisitStatus.SIGNED and visit.step == flow.DONE and visit.finished_at == NOW
    contract = await Contract.get(id=visit.contract_id)
    assert contract.status == ContractStatus.SEALED and visit.data["signing"]["sealed"] == str(contract.sealed_document_id)
    report = await verify_archive(actor=c.who, customer_id=visit.customer_id, media=kit.media, trust_roots=kit.pki.trust_roots)
    assert report.ok, report


async def test_a_failed_face_match_at_signing_refuses_the_signature(demo, vault, settings, kit, renderer):
    c = await _granted(vault, settings, spouse_seq=None)
    await _rendered(c, kit, renderer)
    failed = await face(c, "sign", "borrower", verified=False)
    with pytest.raises(Forbidden) as refused:
        await _sign(c, kit, "borrower", failed.id)
    assert refused.value.code == "FACE_CHECK_FAILED"
    assert (await Contract.get(id=(await Visit.get(id=c.visit_id)).contract_id)).status == ContractStatus.RENDERED


async def test_a_reject_after_the_grant_blocks_signing(demo, vault, settings, kit, renderer):
    c = await _granted(vault, settings, spouse_seq=None)
    await _rendered(c, kit, renderer)
    await add_to_list(actor=await actor("manager"), vault=vault, id_number=c.fam.numbers[str(c.fam.head.id)], name="赵德胜", list_kind="black",
                      reason="法院失信被执行人", today=TODAY)
    passed = await face(c, "sign", "borrower")
    with pytest.raises(DomainError) as refused:
        await _sign(c, kit, "borrower", passed.id)
    assert refused.value.code == "RISK_REJECTED"
    assert await CreditLine.all().count() == 1  # the line stays; the contract is not signed


async def test_sealing_before_the_signatures_is_refused(demo, vault, settings, kit, renderer):
    c = await _granted(vault, settings, spouse_seq=None)
    await _rendered(c, kit, renderer)
    with pytest.raises(Conflict):
        await seal_at_visit(actor=c.who, visit_id=c.visit_id, kit=kit, now=NOW)
