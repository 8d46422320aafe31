"""Credit contracts: create, render (worker), sign (borrower, co-borrower), seal (bank).

Every step reads the latest PDF version, checks it still hashes to its address, adds exactly
one incremental update (fields, then one signature each), validates all signatures again, and
stores the new version content-addressed before a compare-and-set on the contract's status
records it. Two officers pressing "sign" at once: one wins, the other gets `CONTRACT_CHANGED`
and nothing of theirs is recorded (the blob they stored is an unreferenced file).
"""

from __future__ import annotations

import asyncio
import hashlib
import logging
import math
from datetime import date, datetime
from typing import Protocol
from uuid import UUID, uuid4
from zoneinfo import ZoneInfo

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.domain.error_codes import ContractCode, LendingCode, VisitCode
from app.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.domain.lpr import PPM_PER_BP
from app.models import Bank, Branch, Contract, ContractSignature, CreditLine, Customer, Document
from app.models.contract import ContractStatus, SignatureRole
from app.domain.vocabulary import CreditLineStatus, DocumentKind
from app.models.identity import JobStatus
from app.models.outbox import OutboxKind
from app.services import audit
from app.services.actor import Actor
from app.services.contracts import document, pdfsign
from app.services.contracts.pki import serial_hex
from app.services.contracts.pad_image import check_signature_png
from app.services.contracts.signing import SigningKit, assert_valid, seal_pdf, sign_as_customer
from app.services.contracts.stamps import confirmation_image
from app.services.documents import MediaStore
from app.services.job_lifecycle.kinds import CONTRACT
from app.services.jobs import JobQueue
from app.services.lending.pricing import rate_for
from app.services.outbox import contract_signed_payload, enqueue_outbox
from app.services.risk.common import officer_id, require_staff

logger = logging.getLogger(__name__)

ROLE_LABELS = {SignatureRole.BORROWER: "借款人", SignatureRole.CO_BORROWER: "共同借款人"}
_BEFORE = {SignatureRole.BORROWER: ContractStatus.RENDERED, SignatureRole.CO_BORROWER: ContractStatus.BORROWER_SIGNED}
_AFTER = {SignatureRole.BORROWER: ContractStatus.BORROWER_SIGNED, SignatureRole.CO_BORROWER: ContractStatus.CO_BORROWER_SIGNED}
_FIELD = {SignatureRole.BORROWER: document.BORROWER_FIELD, SignatureRole.CO_BORROWER: document.CO_BORROWER_FIELD}
_DOC_FIELD = {
    ContractStatus.RENDERED: "unsigned_document_id",
    ContractStatus.BORROWER_SIGNED: "borrower_signed_document_id",
    ContractStatus.CO_BORROWER_SIGNED: "co_borrower_signed_document_id",
    ContractStatus.SEALED: "sealed_document_id",
}
_VERSION_TITLES = {
    ContractStatus.RENDERED: "待签署",
    ContractStatus.BORROWER_SIGNED: "借款人已签",
    ContractStatus.CO_BORROWER_SIGNED: "共同借款人已签",
    ContractStatus.SEALED: "已盖章",
}


class FaceChecks(Protocol):
    """The face-verification records (built elsewhere) as signing sees them.

    `passed` answers True only if the record `verification_id` exists, belongs to `customer_id`
    and is a passed live face match recent enough to count as "at the moment of signing" (the
    implementation decides the freshness window). Signing never reads those records directly.
    """

    async def passed(self, *, verification_id: UUID, customer_id: UUID) -> bool: ...


# --- lookups ------------------------------------------------------------------------------------


async def contract_in_scope(actor: Actor, contract_id: UUID) -> Contract:
    contract = await Contract.get_or_none(id=contract_id)
    if contract is None or (actor.is_officer and not actor.in_branch(contract.branch_id)):
        raise NotFound("合同不存在", field="contract_id")
    return contract


def current_document_id(contract: Contract) -> UUID | None:
    name = _DOC_FIELD.get(contract.status)
    return getattr(contract, name) if name else None


async def _current_pdf(media: MediaStore, contract: Contract) -> bytes:
    doc = await Document.get(id=current_document_id(contract))
    try:
        data = media.get(doc.sha256)
    except FileNotFoundError:
        raise DomainError("合同文件缺失，无法签署", code=ContractCode.ARCHIVE_DAMAGED) from None
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        raise DomainError("合同文件与存档哈希不符，已停止签署", code=ContractCode.ARCHIVE_DAMAGED)
    return data


# --- create and render -----------------------------------------------------------------------


async def create_contract(*, actor: Actor, credit_line_id: UUID, co_borrower_id: UUID | None = None, today: date) -> Contract:
    """The contract of a granted line, priced on `today` (business date). Repeating the call resumes it."""
    require_staff(actor)
    line = await CreditLine.get_or_none(id=credit_line_id)
    if line is None or (actor.is_officer and not actor.in_branch(line.branch_id)):
        raise NotFound("额度不存在", field="credit_line_id")
    if line.status != CreditLineStatus.ACTIVE:
        raise ValidationError("额度不是有效状态，不能签订合同", code=LendingCode.LINE_NOT_ACTIVE, field="credit_line_id")
    if co_borrower_id is not None:
        if co_borrower_id == line.customer_id:
            raise ValidationError("共同借款人不能是借款人本人", code=ContractCode.INVALID_CO_BORROWER, field="co_borrower_id")
        co = await Customer.get_or_none(id=co_borrower_id)
        if co is None or (actor.is_officer and not actor.in_branch(co.branch_id)):
            raise NotFound("共同借款人不存在", field="co_borrower_id")
    existing = await Contract.filter(credit_line_id=line.id).first()
    if existing is not None:
        if existing.co_borrower_id != co_borrower_id:
            raise Conflict("该额度已有合同，共同借款人不一致", code=ContractCode.CONTRACT_EXISTS, field="co_borrower_id")
        return existing
    tenor, rate_ppm = await rate_for(term_months=line.max_term_months, spread_bp=line.spread_bp, on=today)
    branch = await Branch.get(id=line.branch_id)
    prefix = await Bank.filter(id=branch.bank_id).first().values_list("contract_prefix", flat=True)
    cid = uuid4()
    try:
        async with in_transaction():
            contract = await Contract.create(
                id=cid, number=document.contract_number(prefix, branch.code, today, cid.hex), credit_line_id=line.id, customer_id=line.customer_id,
                co_borrower_id=co_borrower_id, branch_id=line.branch_id, status=ContractStatus.DRAFT, contract_on=today,
                lpr_ppm=rate_ppm - line.spread_bp * PPM_PER_BP, annual_rate_ppm=rate_ppm, created_by_id=officer_id(actor),
            )
            await audit.record(actor, "contract.create", "contract", contract.id, after={
                "number": contract.number, "creditLineId": str(line.id), "coBorrowerId": str(co_borrower_id) if co_borrower_id else None,
                "annualRatePpm": rate_ppm, "tenor": tenor.value,
            })
    except IntegrityError:  # a concurrent request created the line's contract first
        existing = await Contract.get(credit_line_id=line.id)
        if existing.co_borrower_id != co_borrower_id:
            raise Conflict("该额度已有合同，共同借款人不一致", code=ContractCode.CONTRACT_EXISTS, field="co_borrower_id") from None
        return existing
    return contract


async def request_contract_render(*, actor: Actor, contract_id: UUID, queue: JobQueue, now: datetime) -> Contract:
    """Queue the PDF rendering (a worker job), or queue it again after a failed render (any failure: the officer
    may have fixed what the template needed). Idempotent: a render pending or running is left as it is."""
    require_staff(actor)
    contract = await contract_in_scope(actor, contract_id)
    if contract.status != ContractStatus.DRAFT or contract.render_status in (JobStatus.PENDING, JobStatus.RUNNING):
        return contract
    job_id = await CONTRACT.reopen(contract, actor=actor, now=now, any_failure=True)
    if job_id is not None:  # a queue that is down leaves it pending: the default worker's reconciler queues it
        await CONTRACT.enqueue(job_id, contract.id, queue=queue)
    await contract.refresh_from_db()
    return contract


async def render_contract(*, contract_id: UUID, media: MediaStore, renderer: document.PdfRenderer, now: datetime, actor: Actor) -> Contract:
    """Render the unsigned PDF with every signature field (the job body; also callable directly).

    Idempotent: a contract past `draft` is returned as it is, and so is one whose render has failed
    (timed out or lost: the officer's 重试 queues a new attempt). The job marks the render running,
    then done, or failed with the reason in `error` (status stays `draft`); nothing else is written.
    """
    contract = await Contract.get_or_none(id=contract_id)
    if contract is None:
        raise NotFound("合同不存在", field="contract_id")
    await Contract.filter(id=contract.id, status=ContractStatus.DRAFT, render_status=JobStatus.PENDING).update(
        render_status=JobStatus.RUNNING, render_started_at=now)
    if contract.status != ContractStatus.DRAFT or contract.render_status == JobStatus.FAILED:
        return contract
    try:
        html = await document.contract_html(contract)
        rendered = await renderer.render(html)
        boxes = []
        for name, anchor in document.required_anchors(contract).items():
            if anchor not in rendered.anchors:
                raise ValueError(f"signature block {anchor} missing from the layout")
            placed = rendered.anchors[anchor]
            boxes.append(pdfsign.FieldBox(name=name, page=placed.page, box=placed.box))
        pdf = await asyncio.to_thread(pdfsign.add_signature_fields, rendered.pdf, boxes)
    except DomainError as exc:
        return await _render_failed(contract.id, exc.code, exc.message)
    except Exception as exc:  # the renderer is a library: any failure is recorded, never half-saved
        return await _render_failed(contract.id, "RENDER_FAILED", f"合同生成失败（{type(exc).__name__}）")
    digest = media.put(pdf)
    try:
        async with in_transaction():
            doc = await _pdf_document(contract, digest, len(pdf), ContractStatus.RENDERED, actor)
            moved = await Contract.filter(id=contract.id, status=ContractStatus.DRAFT).update(
                status=ContractStatus.RENDERED, unsigned_document_id=doc.id, rendered_at=now, error=None,
                render_status=JobStatus.DONE, render_error_code=None,
            )
            if not moved:
                raise _Lost
            await audit.record(actor, "contract.render", "contract", contract.id, after={"documentId": str(doc.id), "sha256": digest})
    except _Lost:
        pass  # another run of the job got there first
    return await Contract.get(id=contract.id)


async def _render_failed(contract_id: UUID, code: str, message: str) -> Contract:
    await Contract.filter(id=contract_id, status=ContractStatus.DRAFT).update(
        render_status=JobStatus.FAILED, render_error_code=code[:32], error=message[:256])
    return await Contract.get(id=contract_id)


class _Lost(Exception):
    """The compare-and-set found the contract moved on: roll back this attempt."""


async def _pdf_document(contract: Contract, digest: str, size: int, version: ContractStatus, actor: Actor) -> Document:
    return await Document.create(
        sha256=digest, kind=DocumentKind.CONTRACT, content_type="application/pdf", size_bytes=size, customer_id=contract.customer_id,
        uploaded_by_id=officer_id(actor), title=f"授信合同 {contract.number}（{_VERSION_TITLES[version]}）"[:128],
    )


# --- sign and seal -----------------------------------------------------------------------------


def _check_place(lat: float, lng: float) -> None:
    for value, low, high, name in ((lat, -90, 90, "lat"), (lng, -180, 180, "lng")):
        if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value) or not low <= value <= high:
            raise ValidationError("签署地点坐标无效", code=VisitCode.INVALID_LOCATION, field=name)


async def sign_contract(
    *,
    actor: Actor,
    contract_id: UUID,
    role: SignatureRole,
    signature_png: bytes,
    face_verification_id: UUID | None,
    face_checks: FaceChecks,
    lat: float,
    lng: float,
    now: datetime,
    kit: SigningKit,
) -> ContractSignature:
    """The borrower's (then the co-borrower's) signature, refused without a passed face match."""
    require_staff(actor)
    role = SignatureRole(role)
    contract = await contract_in_scope(actor, contract_id)
    if face_verification_id is None:
        raise ValidationError("签署合同前必须完成人脸核验", code=VisitCode.FACE_CHECK_REQUIRED, field="face_verification_id")
    customer_id = contract.customer_id if role == SignatureRole.BORROWER else contract.co_borrower_id
    if customer_id is None:
        raise ValidationError("本合同没有共同借款人", code=VisitCode.NO_CO_BORROWER, field="role")
    if contract.status != _BEFORE[role]:
        raise Conflict(f"合同当前状态不能由{ROLE_LABELS[role]}签署", code=VisitCode.WRONG_STATE, field="role")
    _check_place(lat, lng)
    if await ContractSignature.exists(face_verification_id=face_verification_id):
        raise Conflict("该人脸核验已用于其他签名，请重新核验", code=ContractCode.FACE_CHECK_USED, field="face_verification_id")
    if not await face_checks.passed(verification_id=face_verification_id, customer_id=customer_id):
        raise Forbidden("人脸核验未通过，不能签署合同", code=VisitCode.FACE_CHECK_FAILED, field="face_verification_id")
    image = check_signature_png(signature_png)
    customer = await Customer.get(id=customer_id)
    pdf = await _current_pdf(kit.media, contract)
    local = now.astimezone(ZoneInfo(kit.business_tz))
    signed, serial = await sign_as_customer(
        pdf, kit=kit, field=_FIELD[role], name=customer.name, picture=image,
        lines=(f"{ROLE_LABELS[role]}：{customer.name}", f"时间：{local:%Y-%m-%d %H:%M:%S}", f"地点：{lat:.5f}, {lng:.5f}"),
        reason=f"{ROLE_LABELS[role]}签署；人脸核验 {face_verification_id}", location=f"{lat:.6f},{lng:.6f}", now=now,
    )
    pdf_digest, png_digest = kit.media.put(signed), kit.media.put(signature_png)
    after = _AFTER[role]
    try:
        async with in_transaction():
            image_doc = await Document.create(
                sha256=png_digest, kind=DocumentKind.SIGNATURE, content_type="image/png", size_bytes=len(signature_png),
                customer_id=customer_id, uploaded_by_id=officer_id(actor), title=f"{ROLE_LABELS[role]}手写签名（{contract.number}）"[:128],
            )
            pdf_doc = await _pdf_document(contract, pdf_digest, len(signed), after, actor)
            moved = await Contract.filter(id=contract.id, status=_BEFORE[role]).update(status=after, **{_DOC_FIELD[after]: pdf_doc.id})
            if not moved:
                raise _Lost
            signature = await ContractSignature.create(
                contract_id=contract.id, role=role, customer_id=customer_id, signed_at=now, lat=lat, lng=lng,
                face_verification_id=face_verification_id, signature_image_id=image_doc.id, signed_document_id=pdf_doc.id,
                certificate_serial=serial,
            )
            await audit.record(actor, f"contract.sign.{role.value}", "contract", contract.id, after={
                "signatureId": str(signature.id), "customerId": str(customer_id), "faceVerificationId": str(face_verification_id),
                "documentId": str(pdf_doc.id), "sha256": pdf_digest, "lat": lat, "lng": lng,
            })
    except _Lost:
        raise Conflict("合同已被其他操作更新，请刷新后重试", code=ContractCode.CONTRACT_CHANGED) from None
    return signature


APP_CHANNEL = "手机银行"


async def sign_contract_in_app(*, actor: Actor, contract_id: UUID, confirmed_at: datetime, confirmation: str, now: datetime, kit: SigningKit) -> Contract:
    """The borrower's signature on a contract they confirmed in the app (an online credit line, app/services/lending/online_credit.py).

    The borrower signed in with an SMS code on a registered device and confirmed the contract (`confirmed_at`,
    `confirmation`: what they confirmed, e.g. the application); the PDF is then signed in the borrower's field with a
    one-time certificate issued in their name, as at the visit (`sign_as_customer`), without a face match, hand
    signature or place, which the app journey does not have (no `ContractSignature` row: that row is the visit's
    evidence; the audit event `contract.sign.borrower` with channel `app` is this one's). Only a contract without a
    co-borrower. Idempotent: a contract already past `rendered` is returned as it is."""
    require_staff(actor)  # the system, on the borrower's confirmation
    contract = await contract_in_scope(actor, contract_id)
    if contract.status != ContractStatus.RENDERED:
        return contract
    if contract.co_borrower_id is not None:
        raise Conflict("有共同借款人的合同须在走访现场签署", code=VisitCode.WRONG_STATE)
    customer = await Customer.get(id=contract.customer_id)
    pdf = await _current_pdf(kit.media, contract)
    local = confirmed_at.astimezone(ZoneInfo(kit.business_tz))
    signed, serial = await sign_as_customer(
        pdf, kit=kit, field=_FIELD[SignatureRole.BORROWER], name=customer.name, picture=confirmation_image(),
        lines=(f"借款人：{customer.name}", f"{APP_CHANNEL}确认：{local:%Y-%m-%d %H:%M:%S}"),
        reason=f"借款人于{local:%Y-%m-%d %H:%M:%S}在{APP_CHANNEL}确认签署；{confirmation}", location=APP_CHANNEL, now=now,
    )
    digest = kit.media.put(signed)
    after = ContractStatus.BORROWER_SIGNED
    try:
        async with in_transaction():
            pdf_doc = await _pdf_document(contract, digest, len(signed), after, actor)
            moved = await Contract.filter(id=contract.id, status=ContractStatus.RENDERED).update(status=after, **{_DOC_FIELD[after]: pdf_doc.id})
            if not moved:
                raise _Lost
            await audit.record(actor, "contract.sign.borrower", "contract", contract.id, after={
                "customerId": str(customer.id), "channel": "app", "confirmedAt": confirmed_at.isoformat(), "confirmation": confirmation,
                "documentId": str(pdf_doc.id), "sha256": digest, "certificateSerial": serial,
            })
    except _Lost:
        pass  # a concurrent call signed it first: theirs stands, this blob is unreferenced
    return await Contract.get(id=contract.id)


async def seal_contract(*, actor: Actor, contract_id: UUID, now: datetime, kit: SigningKit) -> Contract:
    """The bank's PAdES seal after the last customer signature; queues the provincial sync message."""
    require_staff(actor)
    contract = await contract_in_scope(actor, contract_id)
    if contract.status == ContractStatus.SEALED:
        return contract
    ready = ContractStatus.CO_BORROWER_SIGNED if contract.co_borrower_id else ContractStatus.BORROWER_SIGNED
    if contract.status != ready:
        raise Conflict("借款人（及共同借款人）签署完成后才能盖章", code=VisitCode.WRONG_STATE)
    bank = await Bank.get(id=await Branch.filter(id=contract.branch_id).first().values_list("bank_id", flat=True))
    pdf = await _current_pdf(kit.media, contract)
    sealed, pki = await seal_pdf(pdf, kit=kit, bank=bank, field=document.BANK_FIELD, reason="贷款人电子合同专用章", now=now)
    digest = kit.media.put(sealed)
    try:
        async with in_transaction():
            doc = await _pdf_document(contract, digest, len(sealed), ContractStatus.SEALED, actor)
            moved = await Contract.filter(id=contract.id, status=ready).update(
                status=ContractStatus.SEALED, sealed_document_id=doc.id, sealed_at=now, sealed_by_id=officer_id(actor)
            )
            if not moved:
                raise _Lost
            await contract.refresh_from_db()
            await enqueue_outbox(OutboxKind.CONTRACT_SIGNED, await contract_signed_payload(contract, sha256=digest), key=f"contract_signed:{contract.id}", now=now)
            await audit.record(actor, "contract.seal", "contract", contract.id, after={
                "documentId": str(doc.id), "sha256": digest, "padesLevel": pki.seal_level, "bankId": str(bank.id),
                "sealCertificateSerial": serial_hex(pki.bank_cert),
            })
    except _Lost:
        raise Conflict("合同已被其他操作更新，请刷新后重试", code=ContractCode.CONTRACT_CHANGED) from None
    return await Contract.get(id=contract.id)


