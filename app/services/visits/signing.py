"""Signing at the visit: the contract of the granted line is rendered (worker), signed by the borrower and the
co-borrower (hand signature + a live face match at that moment + time + place), then sealed by the bank.

The risk gate is checked again before every signature: a reject (or a black-list entry) that
arrived after the grant stops signing. Sealing finishes the visit.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain import visit as flow
from app.domain.error_codes import VisitCode
from app.domain.errors import Conflict, ValidationError
from app.domain.visit_file import Signature
from app.models import Contract, ContractSignature, Visit
from app.models.contract import ContractStatus, SignatureRole
from app.models.risk import RiskPurpose
from app.services import audit
from app.services.actor import Actor
from app.services.contracts import FaceChecks, SigningKit, create_contract, request_contract_render, seal_contract, sign_contract
from app.services.jobs import JobQueue
from app.services.risk import credit_gate
from app.services.visits.common import check_open, complete_step, own_visit, save
from app.services.visits.people import require_passed_face

ROLE_OF = {flow.BORROWER: SignatureRole.BORROWER, flow.CO_BORROWER: SignatureRole.CO_BORROWER}


async def prepare_contract(*, actor: Actor, visit_id: UUID, queue: JobQueue, today: date, now: datetime) -> Contract:
    """Create the line's contract (with the co-borrower, if any) and queue its rendering; again after a failed render."""
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.SIGNING)
    await credit_gate(visit.customer_id, RiskPurpose.SIGNING, today=today)
    contract = await create_contract(actor=actor, credit_line_id=visit.credit_line_id, co_borrower_id=visit.co_borrower_id, today=today)
    if visit.contract_id != contract.id:
        async with in_transaction():
            visit = await own_visit(actor, visit_id, lock=True)
            file = visit.file
            await save(visit, contract_id=contract.id, file=replace(file, signing=replace(file.signing, contract=contract.id)))
            await audit.record(actor, "visit.contract", "visit", visit.id, after={"contractId": str(contract.id)})
    if contract.status == ContractStatus.DRAFT:  # queued once; a failed render queued again
        contract = await request_contract_render(actor=actor, contract_id=contract.id, queue=queue, now=now)
    return contract


async def visit_contract(visit: Visit) -> Contract | None:
    return await Contract.get_or_none(id=visit.contract_id) if visit.contract_id else None


def stage_of(visit: Visit, contract: Contract | None) -> str:
    return flow.signing_stage(contract.status.value if contract else None, has_co_borrower=visit.co_borrower_id is not None)


async def sign_at_visit(
    *, actor: Actor, visit_id: UUID, who: str, signature_png: bytes, face_verification_id: UUID | None, face_checks: FaceChecks,
    lat: float | None, lng: float | None, kit: SigningKit, today: date, now: datetime,
) -> ContractSignature:
    """One customer's signature on the contract, with the face match started for this signature."""
    if who not in ROLE_OF:
        raise ValidationError("请选择借款人或共同借款人", code=VisitCode.BAD_PERSON, field="who")
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.SIGNING)
    contract = await visit_contract(visit)
    if contract is None:
        raise Conflict("合同尚未生成", code=VisitCode.NO_CONTRACT)
    if stage_of(visit, contract) != who:
        raise Conflict(f"现在不是{flow.WHO_LABELS[who]}签署的环节", code=VisitCode.WRONG_STATE, field="who")
    await credit_gate(visit.customer_id, RiskPurpose.SIGNING, today=today)
    vid = await require_passed_face(visit, stage="sign", who=who, verification_id=face_verification_id, face_checks=face_checks)
    if lat is None or lng is None:
        lat, lng = visit.lat, visit.lng  # no fix at this moment: the visit's place
    signature = await sign_contract(actor=actor, contract_id=contract.id, role=ROLE_OF[who], signature_png=signature_png,
                                    face_verification_id=vid, face_checks=face_checks, lat=lat, lng=lng, now=now, kit=kit)
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        file = visit.file
        signed = Signature(signature=signature.id, face_verification=vid, at=now, lat=lat, lng=lng)
        await save(visit, file=replace(file, signing=file.signing.with_signature(who, signed)))
    return signature


async def seal_at_visit(*, actor: Actor, visit_id: UUID, kit: SigningKit, now: datetime) -> Visit:
    """The bank's seal after the last customer signature: the contract takes effect and the visit is finished."""
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.SIGNING)
    contract = await visit_contract(visit)
    if contract is None or stage_of(visit, contract) not in ("seal", "sealed"):
        raise Conflict("借款人（及共同借款人）签署完成后才能盖章", code=VisitCode.WRONG_STATE)
    contract = await seal_contract(actor=actor, contract_id=contract.id, now=now, kit=kit)
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        if visit.status == flow.VisitStatus.SIGNED:
            return visit
        file = visit.file
        await complete_step(actor, visit, flow.SIGNING, now=now, status=flow.VisitStatus.SIGNED, finished_at=now,
                            file=replace(file, signing=replace(file.signing, sealed=contract.sealed_document_id)))
    return visit
