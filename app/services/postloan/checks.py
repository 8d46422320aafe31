"""Doing a post-loan check (贷后检查) and reviewing it: photos, the officer's record, the branch manager's review.

The officer (the check's own; a branch manager may do any check of the branch) takes photos into the
customer's e-archive, then submits the record: where they are (browser geolocation, or typed by hand),
the form and the conclusion. Every wrong answer is refused at once (`CheckInvalid`). The branch
manager approves (not their own record) or returns it with a note. Approval archives the record as a
JSON document and acts on the conclusion through the existing services:
关注 → an early warning (`raise_warning`), 建议调整分类 → the proposed class as a floor (`set_floor`,
人工认定), 建议催收 → a collection task (`open_collection_task`). Every change is audited.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain import geo
from app.domain.classification import FloorKind, LoanClass
from app.domain.error_codes import CommonCode
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.postloan import TO_DO_STATUSES, CheckInvalid, CheckStatus, Conclusion, answer_labels, check_answers
from app.domain.vocabulary import DocumentKind, LoanStatus
from app.domain.warnings import Severity, WarningKind
from app.models import Customer, Document, Loan, PostLoanCheck, Village
from app.services import audit
from app.services.actor import Actor
from app.services.customers.trail import Trail, customer_trail
from app.services.documents import MediaStore, store_document
from app.services.identity_checks import check_upload, sniff_content_type
from app.services.lending.classification import set_floor
from app.services.permissions import require
from app.services.risk.collections import open_collection_task
from app.services.risk.warnings import raise_warning
from app.services.risk.worklists import can_see

MAX_PHOTOS = 20
IMAGE_TYPES = ("image/jpeg", "image/png", "image/webp")
MAX_REVIEW_NOTE = 500


async def get_check(actor: Actor | None, check_id: UUID, *, lock: bool = False) -> PostLoanCheck:
    """The check if the actor may see it (officers: their own; managers and others: their branch tree); else NotFound."""
    query = PostLoanCheck.select_for_update() if lock else PostLoanCheck
    check = await query.get_or_none(id=check_id)
    if check is None or not can_see(actor, officer_id=check.officer_id, branch_id=check.branch_id):
        raise NotFound("贷后检查不存在", field="check_id")
    return check


@dataclass(frozen=True)
class CheckFile:
    check: PostLoanCheck  # with loan, customer, officer, submitted_by, reviewed_by, warning
    photos: list[Document]
    answers: list[tuple[str, str]]  # the record in Chinese (empty before the first submission)
    trail: Trail | None


async def check_file(actor: Actor | None, check_id: UUID) -> CheckFile:
    check = await get_check(actor, check_id)
    await check.fetch_related("loan", "customer", "officer", "submitted_by", "reviewed_by", "warning")
    photos = await Document.filter(id__in=list(check.photo_ids or [])).order_by("created_at") if check.photo_ids else []
    return CheckFile(check=check, photos=list(photos), answers=answer_labels(check.answers) if check.answers else [],
                     trail=await customer_trail(check.customer_id))


def _may_work(actor: Actor, check: PostLoanCheck) -> None:
    require(actor, Action.POSTLOAN_CHECK, branch_id=check.branch_id)
    if check.status not in TO_DO_STATUSES:
        raise Conflict(f"该检查{check.status.label}，不能修改", code=CommonCode.WRONG_STATUS, field="check_id")


async def add_check_photo(*, actor: Actor, check_id: UUID, data: bytes, media: MediaStore, max_bytes: int) -> Document:
    """One photo (JPEG/PNG/WebP) of the household, its business or the collateral, into the customer's e-archive."""
    check = await get_check(actor, check_id)
    _may_work(actor, check)
    check_upload(data, max_bytes=max_bytes, field="photo", what="照片")
    content_type = sniff_content_type(data)
    if content_type not in IMAGE_TYPES:
        raise ValidationError("照片必须是 JPEG、PNG 或 WebP 图片", code=CommonCode.INVALID, field="photo")
    if len(check.photo_ids or []) >= MAX_PHOTOS:
        raise ValidationError(f"每次检查最多上传 {MAX_PHOTOS} 张照片", code=CommonCode.INVALID, field="photo")
    async with in_transaction():
        doc = await store_document(actor=actor, media=media, data=data, kind=DocumentKind.POST_LOAN_CHECK, content_type=content_type,
                                   title="贷后检查照片", customer_id=check.customer_id, max_bytes=max_bytes)
        check = await get_check(actor, check_id, lock=True)
        _may_work(actor, check)
        await PostLoanCheck.filter(id=check.id).update(photo_ids=[*(check.photo_ids or []), str(doc.id)])
        await audit.record(actor, "postloan.photo", "post_loan_check", check.id, after={"documentId": str(doc.id)})
    return doc


def _location_errors(lat: float | None, lng: float | None, accuracy: float | None) -> dict[str, str]:
    if lat is None or lng is None:
        return {"lat": "未取得位置：请允许浏览器定位，或手动填写经纬度"}
    if not geo.is_valid_point(lat, lng):
        return {"lat": "经纬度无效（纬度 -90~90，经度 -180~180）"}
    if accuracy is not None and not 0 <= accuracy < 1e7:
        return {"lat": "定位精度无效"}
    return {}


async def submit_check(
    *, actor: Actor, check_id: UUID, answers: dict[str, str], risk_signals: list[str], lat: float | None, lng: float | None,
    accuracy_m: float | None = None, source: str = "device", now: datetime, today: date,
) -> PostLoanCheck:
    """The officer's record and conclusion; every problem (location, photos, each answer) is refused at once."""
    check = await get_check(actor, check_id)
    _may_work(actor, check)
    loan = await Loan.get(id=check.loan_id)
    errors = _location_errors(lat, lng, accuracy_m)
    if not check.photo_ids:
        errors["photo"] = "请至少拍摄一张照片（经营场所、家庭、抵押物等）"
    record, answer_errors = check_answers(answers, risk_signals, current_class=loan.classification)
    errors.update(answer_errors)
    if errors:
        raise CheckInvalid(errors)
    distance = await _distance_from_village(check.customer_id, lat, lng)
    async with in_transaction():
        check = await get_check(actor, check_id, lock=True)
        _may_work(actor, check)
        before = check.status.value
        await PostLoanCheck.filter(id=check.id).update(
            status=CheckStatus.SUBMITTED, lat=float(lat), lng=float(lng), accuracy_m=int(accuracy_m + 0.5) if accuracy_m is not None else None,
            location_source="manual" if source == "manual" else "device", distance_m=distance, answers=record.as_record(),
            conclusion=record.conclusion, proposed_class=record.proposed_class, checked_on=today, submitted_at=now,
            submitted_by_id=actor.id if actor.is_officer else None,
        )
        await audit.record(actor, "postloan.submit", "post_loan_check", check.id, before={"status": before},
                           after={"status": CheckStatus.SUBMITTED.value, "conclusion": record.conclusion.value})
    return await PostLoanCheck.get(id=check_id)


async def _distance_from_village(customer_id: UUID, lat: float, lng: float) -> int | None:
    customer = await Customer.get(id=customer_id)
    village = await Village.get_or_none(id=customer.village_id) if customer.village_id else None
    if village is None or village.centroid_lat is None or village.centroid_lng is None:
        return None
    return geo.distance_m(lat, lng, village.centroid_lat, village.centroid_lng)


async def review_check(
    *, actor: Actor, check_id: UUID, approve: bool, note: str, media: MediaStore, max_bytes: int, now: datetime, today: date,
) -> PostLoanCheck:
    """The branch manager approves the record (archived, its conclusion acted on) or returns it with a note."""
    check = await get_check(actor, check_id)
    require(actor, Action.POSTLOAN_REVIEW, branch_id=check.branch_id)
    note = (note or "").strip()
    if not approve and not note:
        raise ValidationError("退回时请写明需要修改或补充的内容", code=CommonCode.REASON_REQUIRED, field="note")
    if len(note) > MAX_REVIEW_NOTE:
        raise ValidationError(f"复核意见最多 {MAX_REVIEW_NOTE} 字", field="note")
    async with in_transaction():
        check = await get_check(actor, check_id, lock=True)
        if check.status != CheckStatus.SUBMITTED:
            raise Conflict(f"该检查{check.status.label}，不能复核", code=CommonCode.WRONG_STATUS, field="check_id")
        if check.submitted_by_id is not None and check.submitted_by_id == actor.id:
            raise Forbidden("不能复核本人提交的检查", code=CommonCode.OWN_REQUEST)
        status = CheckStatus.CONFIRMED if approve else CheckStatus.RETURNED
        changes: dict = {"status": status, "reviewed_at": now, "reviewed_by_id": actor.id if actor.is_officer else None, "review_note": note}
        if approve:
            effects = await _act_on(actor, check, today)
            doc = await _archive(actor, check, note, effects, media, max_bytes, now)
            changes.update(effects=effects, record_document_id=doc.id)
        await PostLoanCheck.filter(id=check.id).update(**changes)
        await audit.record(actor, "postloan.review", "post_loan_check", check.id, before={"status": check.status.value},
                           after={"status": status.value, **({"effects": changes["effects"]} if approve else {"note": note})})
    return await PostLoanCheck.get(id=check_id)


async def _act_on(actor: Actor, check: PostLoanCheck, today: date) -> dict:
    """What the confirmed conclusion produces, through the services that own it (ids for the record)."""
    conclusion = Conclusion(check.conclusion)
    loan = await Loan.get(id=check.loan_id)
    if conclusion == Conclusion.NORMAL or loan.status != LoanStatus.ACTIVE:
        return {}
    note = (check.answers or {}).get("note", "")
    if conclusion == Conclusion.WATCH:
        warning = await raise_warning(
            actor=actor, loan_id=loan.id, kind=WarningKind.POST_LOAN_CHECK, on=today, severity=Severity.MEDIUM,
            message=f"贷后检查结论为关注：{note}", evidence={"checkId": str(check.id), "note": note[:200]},
        )
        return {"warningId": str(warning.id)}
    if conclusion == Conclusion.RECLASSIFY:
        target = LoanClass(check.proposed_class)
        await set_floor(actor=actor, loan_id=loan.id, floor=target.value, kind=FloorKind.MANUAL, reason=f"贷后检查建议调整为{target.label}：{note}",
                        today=today)
        return {"floor": target.value}
    task = await open_collection_task(actor=actor, loan_id=loan.id, on=today)
    return {"collectionTaskId": str(task.id)}


async def _archive(actor: Actor, check: PostLoanCheck, note: str, effects: dict, media: MediaStore, max_bytes: int, now: datetime) -> Document:
    """The confirmed record as a JSON document in the customer's e-archive."""
    record = {
        "type": "post_loan_check", "checkId": str(check.id), "loanId": str(check.loan_id), "customerId": str(check.customer_id),
        "reason": check.reason.value, "dueOn": check.due_on.isoformat(), "checkedOn": check.checked_on.isoformat() if check.checked_on else None,
        "location": {"lat": check.lat, "lng": check.lng, "accuracyM": check.accuracy_m, "source": check.location_source, "distanceM": check.distance_m},
        "photos": list(check.photo_ids or []), "answers": check.answers, "submittedBy": str(check.submitted_by_id) if check.submitted_by_id else None,
        "submittedAt": check.submitted_at.isoformat() if check.submitted_at else None,
        "reviewedBy": str(actor.id) if actor.is_officer else None, "reviewedAt": now.isoformat(), "reviewNote": note, "effects": effects,
    }
    data = json.dumps(record, ensure_ascii=False, sort_keys=True, indent=1).encode("utf-8")
    return await store_document(actor=actor, media=media, data=data, kind=DocumentKind.POST_LOAN_CHECK, content_type="application/json",
                                title=f"贷后检查记录（{check.reason.label}，{check.due_on.isoformat()}）", customer_id=check.customer_id, max_bytes=max_bytes)
