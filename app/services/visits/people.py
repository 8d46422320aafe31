"""The borrower and the co-borrower at the visit: ID card read and confirmed, identity check, live face match.

The ID-card OCR and the face comparison run in the ML worker (app/services/identity_checks);
the visit keeps the record ids in its step data. Confirming the front of the card creates the
customer (or links the one on file): the number must be the household member's, and it is
stored encrypted (identifiers.id_number_fields). Confirming the back checks the card has not expired.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import replace
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import visit as flow
from app.domain.error_codes import CommonCode, VisitCode
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.domain.idcard_ocr.model import LONG_TERM
from app.domain.visit_file import FaceMatch, IdentityResult, Person
from app.integrations.identity import IdentityCheck
from app.models import Customer, CustomerRelationship, Document, FaceVerification, HouseholdMember, IdCardRead, IdentityVerification, Village, Visit
from app.domain.vocabulary import CustomerLink
from app.models.identity import CardSide, FacePurpose
from app.models.risk import IdentityOutcome
from app.services import audit
from app.services.customers import identifiers
from app.services import identity_checks as checks
from app.services.actor import Actor
from app.services.org import bank_id_of_branch
from app.services.contracts import FaceChecks
from app.services.documents import MediaStore
from app.services.jobs import JobQueue
from app.services.risk import verify_identity
from app.services.visits.common import VisitPolicy, check_open, complete_step, own_visit, save

STAGE_STEP = {"match": None, "authorisation": flow.AUTHORISATION, "sign": flow.SIGNING}
STAGE_PURPOSE = {"match": FacePurpose.CUSTOMER_MATCH, "authorisation": FacePurpose.CUSTOMER_MATCH, "sign": FacePurpose.CONTRACT_SIGN}


def _who(who: str) -> str:
    if who not in flow.WHO_LABELS:
        raise ValidationError("请选择借款人或共同借款人", code=VisitCode.BAD_PERSON, field="who")
    return who


def person_customer_id(visit: Visit, who: str) -> UUID | None:
    return visit.customer_id if who == flow.BORROWER else visit.co_borrower_id


async def person_member(visit: Visit, who: str) -> HouseholdMember:
    member_id = visit.member_id if who == flow.BORROWER else visit.co_member_id
    if member_id is None:
        raise ValidationError("本户没有共同借款人（配偶）", code=VisitCode.NO_CO_BORROWER, field="who")
    return await HouseholdMember.get(id=member_id)


# --- ID card -------------------------------------------------------------------------------------


async def capture_id_card(
    *, actor: Actor, visit_id: UUID, who: str, side: str, data: bytes, media: MediaStore, queue: JobQueue, policy: VisitPolicy,
) -> IdCardRead:
    """Store a photo of one side of the person's card and queue its OCR (a new photo replaces an unconfirmed one)."""
    who = _who(who)
    visit = await own_visit(actor, visit_id)
    check_open(visit, flow.ID_STEP[who])
    member = await person_member(visit, who)
    if side in visit.file.person(who).confirmed:
        raise Conflict("该面已确认，不能重新拍摄", code=VisitCode.SIDE_CONFIRMED, field="side")
    read = await checks.start_id_card_read(
        actor=actor, media=media, queue=queue, data=data, side=side, customer_id=member.customer_id, max_bytes=policy.max_upload_bytes,
    )
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        file = visit.file
        await save(visit, file=file.with_person(who, file.person(who).with_read(side, read.id)))
    return read


async def _customer_for(vault: Vault, read: IdCardRead, member: HouseholdMember, village: Village) -> Customer:
    """The customer on file for this number, or a new one from the confirmed card; linked to the member."""
    values = read.confirmed or {}
    bank_id = await bank_id_of_branch(village.branch_id)  # a customer is one bank's: the village's
    customer = await Customer.get_or_none(id_number_hash=read.id_number_hash, bank_id=bank_id)
    if customer is None:
        number = vault.decrypt(read.id_number_enc, context=b"id_number")
        phone = {"phone_enc": member.phone_enc, "phone_hash": member.phone_hash, "phone_masked": member.phone_masked}
        customer = await Customer.create(
            name=values.get("name") or member.name, sex=values.get("sex") or member.sex,
            birth_on=date.fromisoformat(values["birth_date"]) if values.get("birth_date") else member.birth_on,
            branch_id=village.branch_id, bank_id=bank_id, village_id=village.id, **identifiers.id_number_fields(vault, number), **phone,
        )
    if member.customer_id != customer.id:
        await HouseholdMember.filter(id=member.id).update(customer_id=customer.id)
        member.customer_id = customer.id
    return customer


async def _link_reads(reads: Mapping[str, UUID], customer_id: UUID) -> None:
    """The card photos and the portrait belong to the customer's e-archive once the customer exists."""
    ids = list(reads.values())
    rows = await IdCardRead.filter(id__in=ids)
    await IdCardRead.filter(id__in=ids, customer_id=None).update(customer_id=customer_id)
    docs = [r.image_id for r in rows] + [r.portrait_id for r in rows if r.portrait_id]
    await Document.filter(id__in=docs, customer_id=None).update(customer_id=customer_id)


def _check_not_expired(read: IdCardRead, today: date) -> None:
    until = (read.confirmed or {}).get("valid_until")
    if until and until != LONG_TERM and date.fromisoformat(until) < today:
        raise checks.ConfirmationError({"valid_until": f"身份证已于 {until} 过期，请客户持有效证件办理"})


async def confirm_id_card_side(
    *, actor: Actor, visit_id: UUID, who: str, side: str, values: dict[str, str], checked: set[str], vault: Vault, today: date, now: datetime,
) -> Visit:
    """The officer confirms (or corrects) one side; both sides confirmed finish the person's ID step."""
    who = _who(who)
    step = flow.ID_STEP[who]
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        check_open(visit, step)
        file = visit.file
        person = file.person(who)
        read_id = person.reads.get(side)
        if read_id is None:
            raise ValidationError("请先拍摄身份证" + ("正面" if side == CardSide.FRONT else "背面"), code=VisitCode.NO_READ, field="side")
        member = await person_member(visit, who)
        read = await checks.confirm_id_card(actor=actor, vault=vault, read_id=read_id, values=values, checked=checked, now=now)
        changes: dict[str, Any] = {}
        if side == CardSide.FRONT:
            if read.id_number_hash != member.id_number_hash:
                raise checks.ConfirmationError({"id_number": f"身份证号码与农户档案中{member.name}的号码（{member.id_number_masked}）不一致，请核对是否本人证件"})
            village = await Village.get(id=visit.village_id)
            customer = await _customer_for(vault, read, member, village)
            changes["customer_id" if who == flow.BORROWER else "co_borrower_id"] = customer.id
            person = replace(person, name=customer.name)
        else:
            _check_not_expired(read, today)
        person = person.with_confirmed(side)
        customer_id = changes.get("customer_id") or changes.get("co_borrower_id") or person_customer_id(visit, who)
        if customer_id is not None:
            await _link_reads(person.reads, customer_id)
        file = file.with_person(who, person)
        if set(person.confirmed) >= {CardSide.FRONT.value, CardSide.BACK.value}:
            await complete_step(actor, visit, step, file=file, now=now, **changes)
        else:
            await save(visit, file=file, **changes)
        if visit.customer_id and visit.co_borrower_id:
            await CustomerRelationship.get_or_create(customer_id=visit.customer_id, related_id=visit.co_borrower_id, kind=CustomerLink.SPOUSE)
    return visit


# --- identity check (联网核查) ---------------------------------------------------------------------


async def check_person_identity(
    *, actor: Actor, visit_id: UUID, who: str, identity_check: IdentityCheck, vault: Vault, media: MediaStore, now: datetime,
) -> IdentityVerification:
    """Ask the identity service about the person (with the card portrait); a match finishes the step.

    A mismatch is recorded on the visit and shown (the step stays open: the officer stops the
    visit); a timeout or an unavailable service raises after the attempt is stored.
    """
    who = _who(who)
    step = flow.IDENTITY_STEP[who]
    visit = await own_visit(actor, visit_id)
    check_open(visit, step)
    customer_id = person_customer_id(visit, who)
    if customer_id is None:
        raise ValidationError("请先确认身份证信息", code=VisitCode.NO_CUSTOMER)
    portrait = None
    front = visit.file.person(who).reads.get(CardSide.FRONT.value)
    if front:
        read = await IdCardRead.get_or_none(id=front).prefetch_related("portrait")
        if read is not None and read.portrait is not None:
            try:
                portrait = media.get(read.portrait.sha256)
            except FileNotFoundError:
                portrait = None
    row = await verify_identity(actor=actor, identity_check=identity_check, vault=vault, now=now, customer_id=customer_id, portrait=portrait)
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        file = visit.file
        identity = IdentityResult(id=row.id, result=row.result.value, reason=row.reason, with_portrait=row.with_portrait)
        file = file.with_person(who, replace(file.person(who), identity=identity))
        if row.result == IdentityOutcome.MATCH:
            await complete_step(actor, visit, step, file=file, now=now)
        else:
            await save(visit, file=file)
    return row


# --- co-borrower ---------------------------------------------------------------------------------


async def skip_co_borrower(*, actor: Actor, visit_id: UUID, reason: str, now: datetime) -> Visit:
    """Go on without the spouse as co-borrower (absent, working away...): the reason is kept and audited."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("请填写不追加共同借款人的原因", code=CommonCode.REASON_REQUIRED, field="reason")
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        check_open(visit, flow.CO_ID)
        file = visit.file
        if file.co_borrower.confirmed:
            raise Conflict("已开始办理共同借款人，不能跳过", code=VisitCode.CO_BORROWER_STARTED)
        await save(visit, file=file.with_person(flow.CO_BORROWER, Person(skipped=True, reason=reason[:256])), skipped=flow.CO_BORROWER_STEPS,
                   co_borrower_id=None)
        await audit.record(actor, "visit.co_borrower_skip", "visit", visit.id, after={"reason": reason[:256]})
    return visit


# --- live face checks ----------------------------------------------------------------------------


def _stage_step(stage: str, who: str) -> str:
    if stage not in STAGE_PURPOSE:
        raise ValidationError("未知的人脸核验环节", code=VisitCode.BAD_STAGE, field="stage")
    if stage == "authorisation" and who != flow.BORROWER:
        raise ValidationError("征信授权书由借款人签署", code=VisitCode.BAD_PERSON, field="who")
    return STAGE_STEP[stage] or flow.FACE_STEP[who]


async def start_face_check(
    *, actor: Actor, visit_id: UUID, who: str, stage: str, probe: bytes, media: MediaStore, queue: JobQueue, policy: VisitPolicy,
) -> FaceVerification:
    """Queue a live photo's comparison with the person's ID-card portrait, for one stage of the visit.

    Stages: "match" (the person's face step), "authorisation" (the borrower, when signing the
    authorisation), "sign" (each signer, when signing the contract). A verification counts only
    for the stage it was started for.
    """
    who = _who(who)
    step = _stage_step(stage, who)
    visit = await own_visit(actor, visit_id)
    check_open(visit, step)
    customer_id = person_customer_id(visit, who)
    front = visit.file.person(who).reads.get(CardSide.FRONT.value)
    if customer_id is None or front is None:
        raise ValidationError("请先确认该客户的身份证信息", code=VisitCode.NO_CUSTOMER)
    verification = await checks.start_face_verification(
        actor=actor, media=media, queue=queue, purpose=STAGE_PURPOSE[stage], probe=probe, threshold=policy.face_threshold,
        customer_id=customer_id, id_card_read_id=front, max_bytes=policy.max_upload_bytes,
    )
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        await save(visit, file=visit.file.with_face(stage, who, verification.id))
    return verification


def current_face_id(visit: Visit, stage: str, who: str) -> UUID | None:
    return visit.file.face_id(stage, who)


async def face_check_of(*, actor: Actor, visit_id: UUID, verification_id: UUID) -> FaceVerification:
    """A face verification started in this visit (for the status fragment)."""
    visit = await own_visit(actor, visit_id)
    if verification_id not in visit.file.faces.values():
        raise NotFound("人脸核验记录不存在", field="verification_id")
    return await FaceVerification.get(id=verification_id)


async def require_passed_face(visit: Visit, *, stage: str, who: str, verification_id: UUID | None, face_checks: FaceChecks) -> UUID:
    """The verification given must be this stage's latest and a passed, recent match of that person."""
    expected = current_face_id(visit, stage, who)
    customer_id = person_customer_id(visit, who)
    if verification_id is None or expected is None:
        raise ValidationError(f"请先完成{flow.WHO_LABELS[who]}的现场人脸核验", code=VisitCode.FACE_CHECK_REQUIRED, field="face_verification_id")
    if verification_id != expected or customer_id is None or not await face_checks.passed(verification_id=verification_id, customer_id=customer_id):
        raise Forbidden(f"{flow.WHO_LABELS[who]}的人脸核验未通过或已过期，请重新核验", code=VisitCode.FACE_CHECK_FAILED, field="face_verification_id")
    return verification_id


async def complete_face_match(*, actor: Actor, visit_id: UUID, who: str, face_checks: FaceChecks, now: datetime) -> Visit:
    """Finish the person's face step once their live photo matched the ID-card portrait."""
    who = _who(who)
    step = flow.FACE_STEP[who]
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        check_open(visit, step)
        vid = await require_passed_face(visit, stage="match", who=who, verification_id=current_face_id(visit, "match", who), face_checks=face_checks)
        v = await FaceVerification.get(id=vid)
        file = visit.file
        face = FaceMatch(id=vid, distance=v.distance, threshold=v.threshold, at=v.finished_at)
        await complete_step(actor, visit, step, file=file.with_person(who, replace(file.person(who), face=face)), now=now)
    return visit


