"""Officers' field activity (外勤工作量): an officer's track for a day, the day's summary, and visits and appraisals per officer.

What officers did in the field, counted from their visits, tracks and appraisal seats. It is not
officer performance (客户经理业绩: the book in their care, `officers.py`), which alone counts lines,
loans and their quality, so one officer has one performance figure whichever door asks.

Days are business-time-zone calendar days (Asia/Shanghai by default); instants are stored in UTC.
An officer sees only their own figures; approvers, branch managers, admins and auditors see the
officers of their branch tree.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from uuid import UUID
from zoneinfo import ZoneInfo

from app.domain import geo
from app.domain import visit as flow
from app.domain.error_codes import VisitCode
from app.domain.errors import NotFound, ValidationError
from app.models import CreditLine, Officer, PanelMember, ReviewDecision, TrackPoint, Vote, Visit
from app.domain.vocabulary import ActorType, Role
from app.services.actor import Actor

MAX_POINTS = 5_000  # one day at one point every 30 s is 2,880
MAX_RANGE_DAYS = 366


def day_bounds(day: date, tz: str) -> tuple[datetime, datetime]:
    """The day's [start, end) as UTC instants (UTC: SQLite compares the stored text, so the offsets must agree)."""
    zone = ZoneInfo(tz)
    start = datetime.combine(day, time.min, tzinfo=zone)
    end = datetime.combine(day + timedelta(days=1), time.min, tzinfo=zone)  # 24 h except on a DST change
    return start.astimezone(UTC), end.astimezone(UTC)


async def officers_in_scope(actor: Actor) -> list[Officer]:
    if actor.type == ActorType.SYSTEM:
        return await Officer.all().order_by("username")
    if not actor.is_officer or actor.id is None:
        return []
    if actor.role == Role.OFFICER:
        return await Officer.filter(id=actor.id)
    return await Officer.filter(branch_id__in=list(actor.branch_ids), is_active=True).order_by("username")


async def officer_in_scope(actor: Actor, officer_id: UUID) -> Officer:
    officer = await Officer.get_or_none(id=officer_id).prefetch_related("branch")
    visible = officer is not None and (
        actor.type == ActorType.SYSTEM
        or (actor.is_officer and (officer.id == actor.id or (actor.role != Role.OFFICER and actor.in_branch(officer.branch_id))))
    )
    if not visible:
        raise NotFound("工作人员不存在或不在您的管辖范围内", field="officer_id")
    return officer


@dataclass(frozen=True, slots=True)
class TrackRow:
    at: datetime
    lat: float
    lng: float
    accuracy_m: int | None
    leg_m: int  # from the previous point
    cumulative_m: int
    visit_id: UUID | None


@dataclass(frozen=True, slots=True)
class Track:
    officer: Officer
    day: date
    rows: list[TrackRow]
    total_m: int
    truncated: bool


async def officer_track(*, actor: Actor, officer_id: UUID, day: date, tz: str) -> Track:
    """Where the officer's tablet was during a day, in time order, with the distance of each leg and the total."""
    return await _track(await officer_in_scope(actor, officer_id), day, tz)


async def _track(officer: Officer, day: date, tz: str) -> Track:
    start, end = day_bounds(day, tz)
    points = await TrackPoint.filter(officer_id=officer.id, at__gte=start, at__lt=end).order_by("at").limit(MAX_POINTS + 1)
    truncated = len(points) > MAX_POINTS
    points = points[:MAX_POINTS]
    legs = geo.track_legs([(p.lat, p.lng) for p in points])
    rows = [TrackRow(at=p.at, lat=p.lat, lng=p.lng, accuracy_m=p.accuracy_m, leg_m=leg.metres, cumulative_m=leg.cumulative_m, visit_id=p.visit_id)
            for p, leg in zip(points, legs, strict=True)]
    return Track(officer=officer, day=day, rows=rows, total_m=rows[-1].cumulative_m if rows else 0, truncated=truncated)


@dataclass(slots=True)
class DailySummary:
    officer: Officer
    day: date
    visits_started: int = 0
    visits_signed: int = 0
    visits_awaiting: int = 0
    visits_declined: int = 0
    visits_abandoned: int = 0
    lines_granted: int = 0
    granted_fen: int = 0
    track_m: int = 0
    track_points: int = 0
    visits: list[Visit] = field(default_factory=list)
    track: Track | None = None


async def daily_summary(*, actor: Actor, officer_id: UUID, day: date, tz: str) -> DailySummary:
    """The day in figures: visits started and how they ended, lines granted (and amounts), distance travelled (and the track)."""
    officer = await officer_in_scope(actor, officer_id)
    start, end = day_bounds(day, tz)
    summary = DailySummary(officer=officer, day=day)
    summary.visits = await Visit.filter(officer_id=officer.id, started_at__gte=start, started_at__lt=end).order_by("started_at").prefetch_related(
        "customer", "village", "member", "household")
    summary.visits_started = len(summary.visits)
    finished = await Visit.filter(officer_id=officer.id, finished_at__gte=start, finished_at__lt=end).values_list("status", flat=True)
    summary.visits_signed = sum(1 for s in finished if s == flow.VisitStatus.SIGNED)
    summary.visits_declined = sum(1 for s in finished if s == flow.VisitStatus.DECLINED)
    summary.visits_abandoned = sum(1 for s in finished if s == flow.VisitStatus.ABANDONED)
    summary.visits_awaiting = await Visit.filter(officer_id=officer.id, status=flow.VisitStatus.AWAITING_APPROVAL).count()
    limits = await CreditLine.filter(officer_id=officer.id, granted_at__gte=start, granted_at__lt=end).values_list("limit_fen", flat=True)
    summary.lines_granted, summary.granted_fen = len(limits), sum(limits)
    summary.track = await _track(officer, day, tz)
    summary.track_m, summary.track_points = summary.track.total_m, len(summary.track.rows)
    return summary


@dataclass(frozen=True, slots=True)
class FieldActivity:
    officer: Officer
    visits: int
    visits_signed: int
    households_appraised: int


async def _appraised_households(officer_id: UUID, start: datetime, end: datetime) -> int:
    """Distinct households the officer rated in a 初评 seat or reviewed (复评) in the period."""
    seats = await PanelMember.filter(officer_id=officer_id).values_list("id", flat=True)
    voted = set(await Vote.filter(member_id__in=list(seats), knows_household=True, submitted_at__gte=start, submitted_at__lt=end)
                .values_list("household_id", flat=True)) if seats else set()
    reviewed = set(await ReviewDecision.filter(officer_id=officer_id, decided_at__gte=start, decided_at__lt=end).values_list("household_id", flat=True))
    return len(voted | reviewed)


async def field_activity(*, actor: Actor, start_on: date, end_on: date, tz: str) -> list[FieldActivity]:
    """Per officer in scope, for the days start_on..end_on inclusive: visits started and signed, households appraised."""
    if end_on < start_on:
        raise ValidationError("结束日期不能早于开始日期", code=VisitCode.INVALID_RANGE, field="to")
    if (end_on - start_on).days >= MAX_RANGE_DAYS:
        raise ValidationError(f"统计区间最长 {MAX_RANGE_DAYS} 天", code=VisitCode.INVALID_RANGE, field="to")
    start, _ = day_bounds(start_on, tz)
    _, end = day_bounds(end_on, tz)
    rows = []
    for officer in await officers_in_scope(actor):
        if officer.role not in (Role.OFFICER, Role.BRANCH_MANAGER):
            continue
        statuses = await Visit.filter(officer_id=officer.id, started_at__gte=start, started_at__lt=end).values_list("status", flat=True)
        rows.append(FieldActivity(officer=officer, visits=len(statuses), visits_signed=sum(1 for s in statuses if s == flow.VisitStatus.SIGNED),
                                  households_appraised=await _appraised_households(officer.id, start, end)))
    return rows


__all__ = ["DailySummary", "FieldActivity", "Track", "TrackRow", "daily_summary", "field_activity", "officer_track", "officers_in_scope"]
