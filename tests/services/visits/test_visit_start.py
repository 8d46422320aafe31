from datetime import timedelta

import pytest

from app.domain import visit as flow
from app.domain.errors import NotFound, ValidationError
from app.models import AuditEvent, TrackPoint, Visit
from app.services.visits import PointIn, abandon_visit, record_track_points, start_visit
from app.services.visits.start import NO_SPOUSE_NOTE
from tests.factories.villages import FENCHENG, actor
from tests.services.visits.helpers import NOW, XIJIE_CENTRE, ctx_for, family, id_card, start


async def test_start_records_place_distance_and_resumes_the_open_visit(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    # when the officer starts 1.1 km north of the village centre
    visit = await start(c, at=(XIJIE_CENTRE[0] + 0.01, XIJIE_CENTRE[1]))
    assert visit.status == flow.VisitStatus.IN_PROGRESS and visit.step == flow.BORROWER_ID
    assert visit.done_steps == [flow.LOCATION] and visit.skipped_steps == []
    assert visit.distance_m == 1112 and visit.far_from_village is False
    assert visit.co_member_id == c.fam.spouse.id and visit.customer_id is None
    assert await TrackPoint.filter(visit_id=visit.id).count() == 1
    assert await AuditEvent.filter(action="visit.start", entity_id=str(visit.id)).exists()
    # then starting again (a dropped connection, a reload) resumes the same visit
    again = await start_visit(actor=c.who, member_id=c.fam.head.id, lat=1.0, lng=1.0, policy=c.policy, now=NOW + timedelta(minutes=5))
    assert again.id == visit.id and again.lat == visit.lat
    assert await Visit.all().count() == 1


async def test_far_from_the_village_is_a_recorded_warning_not_a_block(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    visit = await start(c, at=(XIJIE_CENTRE[0] + 0.1, XIJIE_CENTRE[1]))
    assert visit.status == flow.VisitStatus.IN_PROGRESS
    assert visit.far_from_village is True and visit.distance_m == 11120  # 0.1° of latitude ≈ 11,119.5 m
    assert "超过 5.0 公里" in visit.data["location"]["warning"] and "11.1 公里" in visit.data["location"]["warning"]


async def test_start_needs_a_location(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    with pytest.raises(ValidationError) as missing:
        await start_visit(actor=c.who, member_id=c.fam.head.id, lat=None, lng=None, policy=c.policy, now=NOW)
    assert missing.value.code == "LOCATION_REQUIRED"
    with pytest.raises(ValidationError) as bad:
        await start_visit(actor=c.who, member_id=c.fam.head.id, lat=95.0, lng=111.0, policy=c.policy, now=NOW)
    assert bad.value.code == "INVALID_LOCATION"
    assert await Visit.all().count() == 0


async def test_a_household_without_spouse_skips_the_co_borrower_and_says_so(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault, spouse_seq=None))
    visit = await start(c)
    assert visit.skipped_steps == list(flow.CO_BORROWER_STEPS)
    assert visit.data["co_borrower"] == {"skipped": True, "reason": NO_SPOUSE_NOTE, "auto": True}


async def test_other_officers_villages_are_out_of_reach(demo, vault, settings):
    fam = await family(vault, village_code=FENCHENG, by="officer2")
    c = await ctx_for(vault, settings, fam)  # officer1 is not the officer of 汾城村
    with pytest.raises(NotFound):
        await start(c)


async def test_approvers_do_not_run_visits(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault), by="approver")
    with pytest.raises(Exception) as refused:
        await start(c)
    assert refused.value.code == "FORBIDDEN"


async def test_resume_after_a_dropped_connection_shows_the_next_step(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    await id_card(c)
    # the tablet loses the connection; the officer opens the visit again
    visit = await Visit.get(id=c.visit_id)
    assert visit.step == flow.BORROWER_IDENTITY
    assert visit.done_steps == [flow.LOCATION, flow.BORROWER_ID]
    again = await start_visit(actor=c.who, member_id=c.fam.head.id, lat=None, lng=None, policy=c.policy, now=NOW)
    assert again.id == c.visit_id and again.step == flow.BORROWER_IDENTITY


async def test_track_points_are_stored_with_sane_times(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    stored = await record_track_points(actor=c.who, visit_id=c.visit_id, now=NOW, points=[
        PointIn(35.88, 111.44, 12, NOW - timedelta(seconds=30)),
        PointIn(35.881, 111.441, None, NOW + timedelta(hours=3)),  # a device clock far ahead: stamped now
    ])
    assert stored == 2
    times = sorted(p.at for p in await TrackPoint.filter(visit_id=c.visit_id))
    assert times == [NOW - timedelta(seconds=30), NOW, NOW]
    with pytest.raises(ValidationError):
        await record_track_points(actor=c.who, points=[PointIn(135.0, 1.0)], now=NOW)
    with pytest.raises(ValidationError) as many:
        await record_track_points(actor=c.who, points=[PointIn(35.0, 111.0)] * 101, now=NOW)
    assert many.value.code == "TOO_MANY_POINTS"


async def test_abandon_needs_a_reason_and_closes_the_visit(demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault))
    await start(c)
    with pytest.raises(ValidationError):
        await abandon_visit(actor=c.who, visit_id=c.visit_id, reason="  ", now=NOW)
    visit = await abandon_visit(actor=c.who, visit_id=c.visit_id, reason="客户外出务工", now=NOW)
    assert visit.status == flow.VisitStatus.ABANDONED and visit.finished_at == NOW
    other = await actor("officer2")
    with pytest.raises(NotFound):
        await abandon_visit(actor=other, visit_id=c.visit_id, reason="x", now=NOW)
