"""Starting (or resuming) a visit, the officer's track points, abandoning a visit.

A visit does not start for a member who already has a live line on the product it would grant,
or whose live lines already reach the exposure cap (app/domain/exposure.py): the officer is told
at once, before anything is captured, and the start page shows the existing lines. The grant
itself checks the same rule again (app/services/lending/lines.py).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain import exposure, geo
from app.domain import visit as flow
from app.domain.error_codes import CommonCode, VisitCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.visit_file import Abandoned, Location, Person, VisitFile
from app.models import CreditLine, Customer, HouseholdMember, TrackPoint, Village, Visit
from app.domain.vocabulary import Relation
from app.services import audit
from app.services.actor import Actor
from app.services.census.households import visible_member
from app.services.lending.lines import live_lines
from app.services.visits.common import VisitPolicy, own_visit, require_visitor, save
from app.services.visits.decision import household_offer_basis

MAX_POINTS_PER_POST = 100
CLOCK_SKEW = timedelta(minutes=2)  # a point stamped later than this after `now` is stamped `now`
OLDEST_POINT = timedelta(hours=12)  # points kept in the page while offline; older ones are stamped `now`
NO_SPOUSE_NOTE = "本户档案中没有借款人的配偶，无需共同借款人"


def _location(lat: object, lng: object, accuracy: object) -> tuple[float, float, int | None]:
    if lat is None or lng is None:
        raise ValidationError("未取得位置：请允许浏览器定位，或手动填写经纬度", code=VisitCode.LOCATION_REQUIRED, field="lat")
    if not geo.is_valid_point(lat, lng):
        raise ValidationError("经纬度无效（纬度 -90~90，经度 -180~180）", code=VisitCode.INVALID_LOCATION, field="lat")
    acc = None
    if accuracy is not None:
        if isinstance(accuracy, bool) or not isinstance(accuracy, int | float) or not 0 <= accuracy < 1e7:
            raise ValidationError("定位精度无效", code=VisitCode.INVALID_LOCATION, field="accuracy")
        acc = int(accuracy + 0.5)
    return float(lat), float(lng), acc


async def _co_member(member: HouseholdMember) -> HouseholdMember | None:
    """The borrower's spouse in the household: the spouse of the head, or the head of a spouse."""
    wanted = {Relation.HEAD: Relation.SPOUSE, Relation.SPOUSE: Relation.HEAD}.get(member.relation)
    if wanted is None:
        return None
    return await HouseholdMember.filter(household_id=member.household_id, relation=wanted).exclude(id=member.id).order_by("created_at").first()


async def open_visit_of(member_id: UUID) -> Visit | None:
    return await Visit.filter(member_id=member_id).exclude(status__in=list(flow.CLOSED)).order_by("-started_at").first()


async def _customer_id_of(member: HouseholdMember) -> UUID | None:
    """The member's customer: linked at a visit, or known by the same ID number (the app, another product)."""
    if member.customer_id is not None:
        return member.customer_id
    ids = await Customer.filter(id_number_hash=member.id_number_hash).values_list("id", flat=True)
    return ids[0] if ids else None


async def member_lines(member: HouseholdMember, *, on: date) -> list[CreditLine]:
    """The member's live lines (active or frozen, not past their last day), with their products."""
    customer_id = await _customer_id_of(member)
    if customer_id is None:
        return []
    return await CreditLine.filter(customer_id=customer_id, status__in=list(exposure.LIVE_STATUSES), valid_until__gte=on).order_by(
        "created_at").prefetch_related("product")


async def _check_lines(member: HouseholdMember, policy: VisitPolicy, *, on: date) -> None:
    customer_id = await _customer_id_of(member)
    if customer_id is None:
        return
    try:
        _, product = await household_offer_basis(member.household_id, policy)
    except NotFound:  # no product to grant: the decision step says so
        return
    exposure.check_new_line(await live_lines(customer_id, on=on), product_code=product.code, limit_fen=1, cap_fen=policy.exposure_cap_fen)


async def line_refusal(member: HouseholdMember, policy: VisitPolicy, *, on: date) -> str | None:
    """Why a visit for this member could grant nothing (a live line on the product, the cap reached), else None."""
    try:
        await _check_lines(member, policy, on=on)
    except Conflict as exc:
        return exc.message
    return None


async def start_visit(
    *, actor: Actor, member_id: UUID, lat: float | None, lng: float | None, accuracy_m: float | None = None,
    source: str = "device", policy: VisitPolicy, now: datetime, today: date | None = None,
) -> Visit:
    """Open a visit for a household member (the borrower), or return the open one (resume).

    The location is required (browser geolocation, or typed by hand); farther than the policy's
    distance from the village centroid is recorded as a warning, never a block. A member with a
    live line on the visit's product (or at the exposure cap) is refused (`LINE_EXISTS`,
    `EXPOSURE_CAP`) before anything is recorded.
    """
    officer_id = require_visitor(actor)
    member = await visible_member(actor, member_id)
    existing = await open_visit_of(member.id)
    if existing is not None:
        if existing.officer_id != officer_id:
            raise ValidationError("该客户已有其他客户经理正在办理的走访", code=VisitCode.VISIT_TAKEN, field="member_id")
        return existing
    await _check_lines(member, policy, on=today or now.date())
    lat_, lng_, acc = _location(lat, lng, accuracy_m)
    household = await member.household
    village = await Village.get(id=household.village_id)
    distance = None
    if village.centroid_lat is not None and village.centroid_lng is not None:
        distance = geo.distance_m(lat_, lng_, village.centroid_lat, village.centroid_lng)
    far = distance is not None and distance > policy.max_distance_m
    co = await _co_member(member)
    warning = f"当前位置距{village.name}中心约 {geo.format_distance(distance)}，超过 {geo.format_distance(policy.max_distance_m)}" if far else None
    location = Location(lat=lat_, lng=lng_, accuracy_m=acc, source="manual" if source == "manual" else "device", distance_m=distance, far=far,
                        warning=warning)
    file = VisitFile(location=location)
    skipped: tuple[str, ...] = ()
    if co is None:
        file = file.with_person(flow.CO_BORROWER, Person(skipped=True, reason=NO_SPOUSE_NOTE, auto=True))
        skipped = flow.CO_BORROWER_STEPS
    async with in_transaction():
        visit = await Visit.create(
            household_id=household.id, member_id=member.id, co_member_id=co.id if co else None, customer_id=member.customer_id,
            co_borrower_id=co.customer_id if co else None, officer_id=officer_id, village_id=village.id, branch_id=village.branch_id,
            step=flow.LOCATION, status=flow.VisitStatus.IN_PROGRESS, started_at=now, lat=lat_, lng=lng_, accuracy_m=acc,
            location_source=location.source, distance_m=distance, far_from_village=far, data={},
        )
        await save(visit, file=file, done=(flow.LOCATION,), skipped=skipped)
        await TrackPoint.create(officer_id=officer_id, visit_id=visit.id, lat=lat_, lng=lng_, accuracy_m=acc, at=now)
        await audit.record(actor, "visit.start", "visit", visit.id, after={
            "memberId": str(member.id), "householdId": str(household.id), "distanceM": distance, "far": far,
            "source": location.source, "coBorrower": co is not None,
        })
    return visit


@dataclass(frozen=True, slots=True)
class PointIn:
    lat: float
    lng: float
    accuracy_m: float | None = None
    at: datetime | None = None  # the device's time of the fix; None: the time it arrives


async def record_track_points(*, actor: Actor, points: Sequence[PointIn], visit_id: UUID | None = None, now: datetime) -> int:
    """Store where the officer's tablet was (the open visit page posts them every few seconds).

    Points with a device time far in the future or older than half a day are stamped `now`.
    Returns how many were stored; invalid coordinates refuse the whole post.
    """
    officer_id = require_visitor(actor)
    if len(points) > MAX_POINTS_PER_POST:
        raise ValidationError(f"一次最多上传 {MAX_POINTS_PER_POST} 个位置点", code=VisitCode.TOO_MANY_POINTS, field="points")
    if visit_id is not None:
        await own_visit(actor, visit_id)
    rows = []
    for p in points:
        lat, lng, acc = _location(p.lat, p.lng, p.accuracy_m)
        at = p.at if p.at is not None and now - OLDEST_POINT <= p.at <= now + CLOCK_SKEW else now
        rows.append(TrackPoint(officer_id=officer_id, visit_id=visit_id, lat=lat, lng=lng, accuracy_m=acc, at=at))
    if rows:
        await TrackPoint.bulk_create(rows, batch_size=MAX_POINTS_PER_POST)
    return len(rows)


async def abandon_visit(*, actor: Actor, visit_id: UUID, reason: str, now: datetime) -> Visit:
    """Stop a visit that cannot go on (customer absent or refusing, identity failed...). A granted line stays."""
    reason = " ".join((reason or "").split())
    if not reason:
        raise ValidationError("请填写终止原因", code=CommonCode.REASON_REQUIRED, field="reason")
    async with in_transaction():
        visit = await own_visit(actor, visit_id, lock=True)
        if visit.status in flow.CLOSED:
            raise ValidationError("走访已结束", code=VisitCode.VISIT_CLOSED)
        before = visit.status.value
        await save(visit, file=replace(visit.file, abandoned=Abandoned(reason=reason[:256], at=now)), status=flow.VisitStatus.ABANDONED, finished_at=now)
        await audit.record(actor, "visit.abandon", "visit", visit.id, before={"status": before}, after={"status": "abandoned", "reason": reason[:256]})
    return visit
