from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.errors import NotFound, ValidationError
from app.models import Officer, TrackPoint
from app.services.reporting.field_activity import daily_summary, field_activity, officer_track
from app.services.visits import PointIn, decide, record_track_points
from tests.factories.villages import NANGUAN, actor, households, open_appraisal, vote
from tests.services.visits.helpers import NOW, TODAY, ctx_for, family, pre_credit, start, walk_to_decision

TZ = "Asia/Shanghai"


async def test_a_days_track_lists_points_with_legs_and_total(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    officer_id = c.who.id
    await start(c)  # the start point at 10:00 Beijing time, at the village centre
    await record_track_points(actor=c.who, visit_id=c.visit_id, now=NOW + timedelta(minutes=2), points=[
        PointIn(35.8775, 111.4421, 10, NOW + timedelta(minutes=1)),
        PointIn(35.8795, 111.4421, 10, NOW + timedelta(minutes=2)),
    ])
    # 16:30 UTC on the 27th is 00:30 on the 28th in Beijing: another business day
    await TrackPoint.create(officer_id=officer_id, lat=35.0, lng=111.0, at=datetime(2026, 11, 27, 16, 30, tzinfo=UTC))
    track = await officer_track(actor=c.who, officer_id=officer_id, day=TODAY, tz=TZ)
    assert [r.leg_m for r in track.rows] == [0, 111, 222]
    assert [r.cumulative_m for r in track.rows] == [0, 111, 333] and track.total_m == 333
    assert all(r.visit_id == c.visit_id for r in track.rows)
    assert len((await officer_track(actor=c.who, officer_id=officer_id, day=date(2026, 11, 28), tz=TZ)).rows) == 1
    assert len((await officer_track(actor=c.who, officer_id=officer_id, day=TODAY, tz="UTC")).rows) == 4


async def test_scope_an_officer_sees_only_themselves_a_manager_their_branch(demo, vault, settings):
    officer2 = await Officer.get(username="officer2")
    officer1 = await actor("officer1")
    with pytest.raises(NotFound):
        await officer_track(actor=officer1, officer_id=officer2.id, day=TODAY, tz=TZ)
    manager = await actor("manager")  # 新城支行: officer1 yes, officer2 (汾城支行) no
    await officer_track(actor=manager, officer_id=officer1.id, day=TODAY, tz=TZ)
    with pytest.raises(NotFound):
        await officer_track(actor=manager, officer_id=officer2.id, day=TODAY, tz=TZ)
    rows = await field_activity(actor=manager, start_on=TODAY, end_on=TODAY, tz=TZ)
    assert [r.officer.username for r in rows] == ["manager", "officer1"]
    assert [r.officer.username for r in await field_activity(actor=officer1, start_on=TODAY, end_on=TODAY, tz=TZ)] == ["officer1"]


async def test_daily_summary_counts_visits_lines_and_amounts_and_field_activity_visits_and_appraisals(demo, vault, settings):
    fam = await family(vault)
    await pre_credit(fam.household.id, 80_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    other = await ctx_for(vault, settings, await family(vault, head_seq=361, spouse_seq=None, no="V02"))
    await start(other)
    summary = await daily_summary(actor=c.who, officer_id=c.who.id, day=TODAY, tz=TZ)
    assert summary.visits_started == 2 and summary.lines_granted == 1 and summary.granted_fen == 8_000_000
    assert summary.visits_signed == 0 and summary.track_points == 2
    # households appraised: officer1 rates two households in a 初评 seat
    appraisal, members = await open_appraisal(code=NANGUAN, villagers=1, officers=("officer1",))
    seat = members[-1]
    for h in (await households(NANGUAN))[:2]:
        await vote(seat, h)
    rows = await field_activity(actor=await actor("manager"), start_on=TODAY - timedelta(days=6), end_on=TODAY, tz=TZ)
    mine = next(r for r in rows if r.officer.username == "officer1")
    assert (mine.visits, mine.visits_signed, mine.households_appraised) == (2, 0, 2)


async def test_field_activity_range_is_checked(demo):
    who = await actor("manager")
    with pytest.raises(ValidationError):
        await field_activity(actor=who, start_on=TODAY, end_on=TODAY - timedelta(days=1), tz=TZ)
    with pytest.raises(ValidationError):
        await field_activity(actor=who, start_on=TODAY - timedelta(days=400), end_on=TODAY, tz=TZ)

