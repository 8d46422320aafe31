"""ID-card reads: upload, the worker's result, the officer's confirmation or correction.

The upload is stored, the row created and committed, then `read_id_card` is enqueued on the
ML queue. The worker claims the row, runs OCR and writes the result once: a redelivered job
finds the row finished and leaves it as it is. The ID number is never kept in the JSON
columns: it is encrypted (identifiers.id_number_fields) and masked wherever it is shown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import idcard
from app.domain.error_codes import IdentityCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.idcard_ocr.model import BACK_KEYS, FIELD_LABELS, FRONT_KEYS, LONG_TERM
from app.models import Customer, Document, IdCardRead, Officer
from app.domain.vocabulary import DocumentKind
from app.models.identity import CardSide, JobStatus
from app.services import audit
from app.services.customers import identifiers
from app.services.actor import SYSTEM, Actor
from app.services.documents import MediaStore, store_document
from app.services.identity_checks.common import (
    MAX_IMAGE_BYTES,
    OPEN,
    check_upload,
    enqueue_after_commit,
    officer_of,
    sniff_content_type,
)
from app.services.jobs import JobQueue

READ_JOB = "read_id_card"
ID_NUMBER_CONTEXT = b"id_number"
SEXES = ("男", "女")


class ConfirmationError(ValidationError):
    """Corrections that cannot be accepted: one message per form field in `errors`."""

    def __init__(self, errors: dict[str, str]) -> None:
        field, message = next(iter(errors.items()))
        super().__init__(message, code=IdentityCode.INVALID_FIELDS, field=field)
        self.errors = errors


def keys_for(side: str) -> tuple[str, ...]:
    return FRONT_KEYS if side == CardSide.FRONT else BACK_KEYS


async def _visible(actor: Actor, read: IdCardRead) -> bool:
    if not actor.is_officer:
        return actor == SYSTEM
    if read.officer_id == actor.id:
        return True
    officer = await Officer.get(id=read.officer_id)
    return actor.in_branch(officer.branch_id)


async def get_id_card_read(*, actor: Actor, read_id: UUID) -> IdCardRead:
    """The read if the actor may see it, with its customer (if any) fetched."""
    read = await IdCardRead.get_or_none(id=read_id).prefetch_related("customer")
    if read is None or not await _visible(actor, read):
        raise NotFound("身份证识别记录不存在", field="read_id")
    return read


async def start_id_card_read(
    *,
    actor: Actor,
    media: MediaStore,
    queue: JobQueue,
    data: bytes,
    side: str,
    customer_id: UUID | None = None,
    max_bytes: int = MAX_IMAGE_BYTES,
) -> IdCardRead:
    """Store a card photo and queue its OCR. Empty or oversize photos are refused before storing."""
    officer_id = officer_of(actor)
    if side not in (CardSide.FRONT, CardSide.BACK):
        raise ValidationError("请选择身份证正面或背面", code=IdentityCode.BAD_SIDE, field="side")
    check_upload(data, max_bytes=max_bytes, field="image", what="身份证照片")
    if customer_id is not None:
        customer = await Customer.get_or_none(id=customer_id)
        if customer is None or not (actor.in_branch(customer.branch_id)):
            raise NotFound("客户不存在", field="customer_id")
    kind = DocumentKind.ID_CARD_FRONT if side == CardSide.FRONT else DocumentKind.ID_CARD_BACK
    async with in_transaction():
        doc = await store_document(
            actor=actor, media=media, data=data, kind=kind, content_type=sniff_content_type(data),
            title=f"身份证{'正面' if side == CardSide.FRONT else '背面'}", customer_id=customer_id, max_bytes=max_bytes,
        )
        read = await IdCardRead.create(customer_id=customer_id, officer_id=officer_id, side=CardSide(side), image=doc)
        await audit.record(actor, "id_card_read.start", "id_card_read", read.id, after={"side": side, "documentId": str(doc.id)})
    read.job_id = await enqueue_after_commit(queue, IdCardRead, read.id, READ_JOB, "read_id")
    return read


# --- the worker's side ------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class IdCardJob:
    read_id: UUID
    side: str
    image_sha256: str
    birth_date: date | None  # the customer's birth date: enables the back's age-at-issue check


async def claim_id_card_read(*, read_id: UUID, now: datetime) -> IdCardJob | None:
    """Mark the read running; None when it is unknown or already finished (a redelivered job)."""
    await IdCardRead.filter(id=read_id, status=JobStatus.PENDING).update(status=JobStatus.RUNNING, started_at=now)
    read = await IdCardRead.get_or_none(id=read_id).prefetch_related("image", "customer")
    if read is None or read.status not in OPEN:
        return None
    birth = read.customer.birth_on if read.customer is not None else None
    return IdCardJob(read.id, read.side.value, read.image.sha256, birth)


_NUMBER_LIKE = re.compile(r"\d{14,17}[\dXx]")


def _masked_detail(detail: dict) -> dict:
    """The reading as stored: the ID number masked in its field and in the warnings that quote it."""
    fields = dict(detail.get("fields", {}))
    number = fields.get("id_number")
    if number and number.get("value"):
        fields["id_number"] = {**number, "value": idcard.mask(number["value"])}
    warnings = [_NUMBER_LIKE.sub(lambda m: idcard.mask(m.group()), str(w)) for w in detail.get("warnings", [])]
    return {**detail, "fields": fields, "warnings": warnings}


async def record_id_card_result(
    *, read_id: UUID, detail: dict, id_number: str | None, portrait_jpeg: bytes | None, model_ms: int,
    media: MediaStore, vault: Vault, now: datetime,
) -> IdCardRead:
    """Write the OCR result once. A second call (redelivery) changes nothing and returns the row."""
    digest = media.put(portrait_jpeg) if portrait_jpeg else None
    async with in_transaction():
        claimed = await IdCardRead.filter(id=read_id, status__in=OPEN).update(
            status=JobStatus.DONE, result=_masked_detail(detail), model_ms=model_ms, finished_at=now, error=None, error_code=None,
            ocr_id_number_enc=vault.encrypt(idcard.normalize(id_number), context=ID_NUMBER_CONTEXT) if id_number else None,
        )
        if claimed:
            read = await IdCardRead.get(id=read_id)
            if digest is not None:
                portrait = await Document.create(
                    sha256=digest, kind=DocumentKind.PORTRAIT, content_type="image/jpeg", size_bytes=len(portrait_jpeg or b""),
                    customer_id=read.customer_id, uploaded_by_id=None, title="身份证人像",
                )
                await IdCardRead.filter(id=read_id).update(portrait_id=portrait.id)
            flagged = detail.get("needs_confirmation", [])
            await audit.record(SYSTEM, "id_card_read.done", "id_card_read", read_id, after={"flagged": flagged, "portrait": digest is not None})
    return await IdCardRead.get(id=read_id)


async def fail_id_card_read(*, read_id: UUID, code: str, message: str, now: datetime, model_ms: int | None = None) -> IdCardRead:
    """A permanent failure with the reason shown to the officer (once, like a result)."""
    async with in_transaction():
        if await IdCardRead.filter(id=read_id, status__in=OPEN).update(
            status=JobStatus.FAILED, error_code=code[:32], error=message[:256], finished_at=now, model_ms=model_ms,
        ):
            await audit.record(SYSTEM, "id_card_read.failed", "id_card_read", read_id, after={"code": code})
    return await IdCardRead.get(id=read_id)


# --- the officer confirms or corrects ---------------------------------------------------------


def ocr_values(read: IdCardRead, vault: Vault) -> dict[str, str | None]:
    """The values as read (the ID number whole: only for comparison, never for display)."""
    fields = (read.result or {}).get("fields", {})
    values = {key: (fields.get(key) or {}).get("value") for key in keys_for(read.side)}
    if "id_number" in values:
        values["id_number"] = vault.decrypt(read.ocr_id_number_enc, context=ID_NUMBER_CONTEXT) if read.ocr_id_number_enc else None
    return values


def _check_date(value: str, label: str) -> str | None:
    try:
        date.fromisoformat(value)
    except ValueError:
        return f"{label}格式应为 YYYY-MM-DD"
    return None


def _validate(side: str, values: dict[str, str]) -> dict[str, str]:
    errors: dict[str, str] = {}
    for key, value in values.items():
        if not value:
            errors[key] = f"请填写{FIELD_LABELS[key]}"
    if side == CardSide.FRONT:
        if values["sex"] and values["sex"] not in SEXES:
            errors["sex"] = "性别只能是“男”或“女”"
        if len(values["name"]) > 32:
            errors["name"] = "姓名过长"
        elif values["name"] and (problem := idcard.name_problem(values["name"])):
            errors["name"] = problem
        if values["birth_date"] and (problem := _check_date(values["birth_date"], "出生日期")):
            errors["birth_date"] = problem
        info = None
        if values["id_number"]:
            try:
                info = idcard.parse(values["id_number"])
            except ValueError as exc:
                errors["id_number"] = f"{exc}，请核对后重新输入"
        if info is not None:
            if "birth_date" not in errors and values["birth_date"] != info.birth_date.isoformat():
                errors["birth_date"] = "出生日期与身份证号码不一致"
            if "sex" not in errors and values["sex"] != info.sex:
                errors["sex"] = "性别与身份证号码不一致"
    else:
        if values["valid_from"] and (problem := _check_date(values["valid_from"], "签发日期")):
            errors["valid_from"] = problem
        until = values["valid_until"]
        if until and until != LONG_TERM and (problem := _check_date(until, "有效期至")):
            errors["valid_until"] = f"{problem}，或填写“{LONG_TERM}”"
        if not errors.get("valid_from") and not errors.get("valid_until") and until and until != LONG_TERM:
            if date.fromisoformat(until) <= date.fromisoformat(values["valid_from"]):
                errors["valid_until"] = "有效期至应晚于签发日期"
    return errors


async def confirm_id_card(
    *, actor: Actor, vault: Vault, read_id: UUID, values: dict[str, str], checked: set[str], now: datetime,
) -> IdCardRead:
    """The officer confirms or corrects every field; what changed is recorded.

    `values`: field -> what the form holds ("" keeps the OCR value, and for the ID number the
    form starts empty because the number is shown masked). `checked`: flagged fields the officer
    ticked as checked against the card. A flagged field must be ticked or changed.
    """
    async with in_transaction():
        read = await IdCardRead.select_for_update().get_or_none(id=read_id)
        if read is None or not await _visible(actor, read):
            raise NotFound("身份证识别记录不存在", field="read_id")
        if read.status != JobStatus.DONE:
            raise Conflict("识别尚未完成，不能确认", code=IdentityCode.NOT_READY)
        if read.confirmed_at is not None:
            raise Conflict("该身份证信息已确认，不能重复确认", code=IdentityCode.ALREADY_CONFIRMED)
        ocr = ocr_values(read, vault)
        keys = keys_for(read.side)
        given = {key: " ".join(str(values.get(key, "")).split()) for key in keys}
        if "id_number" in given:
            given["id_number"] = idcard.normalize(given["id_number"])
        final = {key: given[key] or (ocr[key] or "") for key in keys}
        errors = _validate(read.side, final)
        flagged = set((read.result or {}).get("needs_confirmation", []))
        for key in sorted(flagged & set(keys)):
            if key not in errors and final[key] == (ocr[key] or "") and key not in checked:
                errors[key] = f"{FIELD_LABELS[key]}需要核对：请对照证件确认（勾选“已核对”）或更正"
        if read.customer_id is not None and "id_number" in final and "id_number" not in errors:
            customer = await Customer.get(id=read.customer_id)
            if vault.lookup_hash(final["id_number"]) != customer.id_number_hash:
                errors["id_number"] = "身份证号码与客户档案不一致，请核对证件是否为本人"
        if errors:
            raise ConfirmationError({k: errors[k] for k in keys if k in errors})
        changed = []
        for key in keys:
            if final[key] != (ocr[key] or ""):
                shown = (lambda v: idcard.mask(v) if v else v) if key == "id_number" else (lambda v: v)
                changed.append({"field": key, "ocr": shown(ocr[key]), "confirmed": shown(final[key])})
        confirmed = dict(final)
        extra = {}
        if "id_number" in final:
            confirmed["id_number"] = idcard.mask(final["id_number"])
            extra = identifiers.id_number_fields(vault, final["id_number"])
        await IdCardRead.filter(id=read.id).update(
            confirmed=confirmed, changed_fields=changed, confirmed_by_id=actor.id, confirmed_at=now, **extra,
        )
        await audit.record(
            actor, "id_card_read.confirm", "id_card_read", read.id,
            after={"changed": [c["field"] for c in changed], "flagged": sorted(flagged)},
        )
    return await IdCardRead.get(id=read_id)


async def latest_portrait_read(*, customer_id: UUID) -> IdCardRead | None:
    """The customer's newest finished front read that has a portrait."""
    return (
        await IdCardRead.filter(customer_id=customer_id, side=CardSide.FRONT, status=JobStatus.DONE, portrait_id__isnull=False)
        .order_by("-created_at")
        .first()
    )

