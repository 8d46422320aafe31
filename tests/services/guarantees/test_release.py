"""Ending 联保 guarantees on a real database: dissolving a group and releasing one member, refused while a loan of the
group is owed; and the group-size settings reaching the policy."""

from datetime import UTC, date, datetime

import pytest

from app.config import Settings
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.models import AuditEvent, GuaranteeGroup, GuaranteeMember, Loan, Village
from app.services import business_date
from app.services.guarantees import GroupPolicy, dissolve_group, form_group, group_candidates, guarantees_of_household, release_member
from app.wiring import guarantee_policy
from tests.factories.guarantees import signing_kit, WEST, households, in_household, members
from tests.factories.risk import actor
from tests.factories.worklists import TODAY, drawn_loan

ON = date(2027, 1, 10)
NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # the signing moment: not after the wall clock (the certificates are checked against it)


@pytest.fixture
async def bank(demo):
    await business_date.set_current(TODAY)
    return demo


async def group_with_a_loan(vault, *, extra: int = 5):
    """A group of the borrower of a live loan and `extra` other households."""
    officer = await actor("officer1")
    borrower, _, loan = await drawn_loan(vault)
    await in_household(borrower, "357")
    others = await households(vault, extra)
    group = await form_group(actor=officer, name="西街村联保小组", members=members([borrower, *others]), on=ON, now=NOW, kit=signing_kit())
    return officer, group, borrower, others, loan


def test_the_settings_reach_the_group_policy():
    assert guarantee_policy(Settings()) == GroupPolicy(min_households=5, max_households=10, max_groups_per_household=1)
    custom = Settings(guarantee_group_min_households=3, guarantee_group_max_households=8, guarantee_max_groups_per_household=2)
    assert guarantee_policy(custom) == GroupPolicy(min_households=3, max_households=8, max_groups_per_household=2)
    assert guarantee_policy(Settings(guarantee_group_min_households=0, guarantee_group_max_households=1)).min_households == 2
    assert guarantee_policy(Settings(guarantee_group_min_households=6, guarantee_group_max_households=4)).max_households == 6


async def test_a_group_with_a_live_loan_cannot_be_dissolved_nor_a_member_released(bank, vault):
    # given a group one of whose members has a loan not yet repaid
    officer, group, borrower, others, loan = await group_with_a_loan(vault)
    borrower_row = await GuaranteeMember.get(group_id=group.id, customer_id=borrower.id)
    other_row = await GuaranteeMember.get(group_id=group.id, customer_id=others[0].id)
    # when / then
    with pytest.raises(Conflict, match="联保小组成员王建国尚有未结清的借款，保证责任未了，不能解散联保小组"):
        await dissolve_group(actor=officer, group_id=group.id, reason="成员外出务工", now=NOW)
    with pytest.raises(Conflict, match="王建国本人尚有未结清的借款（由联保小组担保），不能退出联保小组"):
        await release_member(actor=officer, member_id=borrower_row.id, reason="外出务工", now=NOW)
    with pytest.raises(Conflict, match="联保户1仍为王建国未结清的借款承担连带保证责任，不能退出联保小组"):
        await release_member(actor=officer, member_id=other_row.id, reason="外出务工", now=NOW)
    assert (await GuaranteeGroup.get(id=group.id)).status == "active"
    assert await GuaranteeMember.filter(group_id=group.id, status="active").count() == 6
    assert not await AuditEvent.filter(action__in=["guarantee.dissolve", "guarantee.release"]).exists()
    # a written-off loan is still collected (账销案存): the guarantees still stand
    await Loan.filter(id=loan.id).update(status="written_off")
    with pytest.raises(Conflict, match="不能解散联保小组"):
        await dissolve_group(actor=officer, group_id=group.id, reason="成员外出务工", now=NOW)


async def test_once_the_loan_is_settled_a_member_leaves_and_then_the_group_is_dissolved(bank, vault):
    officer, group, borrower, others, loan = await group_with_a_loan(vault)
    await Loan.filter(id=loan.id).update(status="settled")
    leaving = await GuaranteeMember.get(group_id=group.id, customer_id=others[0].id)
    # when a member leaves a group of six (the minimum is five)
    released = await release_member(actor=officer, member_id=leaving.id, reason="全家迁出本村", now=NOW)
    # then its guarantee ends, the rest stand, and the release is audited
    assert released.status == "released" and (await GuaranteeMember.get(id=leaving.id)).status == "released"
    assert await GuaranteeMember.filter(group_id=group.id, status="active").count() == 5
    event = await AuditEvent.get(action="guarantee.release", entity_id=str(leaving.id))
    assert event.after["reason"] == "全家迁出本村" and event.after["groupId"] == str(group.id) and event.before == {"status": "active"}
    with pytest.raises(Conflict, match="联保户1已退出联保小组"):
        await release_member(actor=officer, member_id=leaving.id, reason="再次", now=NOW)
    # a second member would leave four: refused, dissolve instead
    with pytest.raises(Conflict, match="退出后联保小组只剩 4 户，少于 5 户，请解散联保小组"):
        await release_member(actor=officer, member_id=(await GuaranteeMember.get(group_id=group.id, customer_id=others[1].id)).id,
                             reason="外出", now=NOW)
    dissolved = await dissolve_group(actor=officer, group_id=group.id, reason="小组成员协商一致解散", now=NOW)
    assert dissolved.status == "dissolved" and await GuaranteeMember.filter(group_id=group.id, status="active").count() == 0
    event = await AuditEvent.get(action="guarantee.dissolve", entity_id=str(group.id))
    assert len(event.after["released"]) == 5 and event.after["reason"] == "小组成员协商一致解散"
    with pytest.raises(Conflict, match="联保小组已解散"):
        await dissolve_group(actor=officer, group_id=group.id, reason="再次", now=NOW)
    # the households are free to form a new group
    again = await form_group(actor=officer, name="新小组", members=members(others), on=ON, now=NOW, kit=signing_kit())
    assert again.status == "active"


async def test_bad_input_scope_and_role_are_refused_and_nothing_changes(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    group = await form_group(actor=officer, name="小组", members=members(customers), on=ON, now=NOW, kit=signing_kit())
    row = await GuaranteeMember.get(group_id=group.id, customer_id=customers[0].id)
    with pytest.raises(ValidationError, match="请填写解散原因"):
        await dissolve_group(actor=officer, group_id=group.id, reason="  ", now=NOW)
    with pytest.raises(ValidationError, match="请填写退出原因"):
        await release_member(actor=officer, member_id=row.id, reason="", now=NOW)
    with pytest.raises(NotFound):
        await dissolve_group(actor=await actor("officer2"), group_id=group.id, reason="越权", now=NOW)  # another branch
    with pytest.raises(Forbidden):
        await dissolve_group(actor=await actor("approver"), group_id=group.id, reason="审批人不办理", now=NOW)
    assert (await GuaranteeGroup.get(id=group.id)).status == "active" and (await GuaranteeMember.get(id=row.id)).status == "active"


async def test_candidates_are_the_villages_linked_members_with_their_active_groups(bank, vault):
    officer = await actor("officer1")
    customers = await households(vault, 5)
    group = await form_group(actor=officer, name="第一组", members=members(customers), on=ON, now=NOW, kit=signing_kit())
    village, found = await group_candidates(officer, (await Village.get(division_code=WEST)).id)
    ours = {c.customer_id: c for c in found if c.customer_id in {x.id for x in customers}}
    assert len(ours) == 5 and all(c.active_groups == ["第一组"] for c in ours.values()) and village.division_code == WEST
    household = (await GuaranteeMember.get(group_id=group.id, customer_id=customers[0].id)).household_id
    assert [m.group.name for m in await guarantees_of_household(officer, household)] == ["第一组"]
    assert await guarantees_of_household(await actor("officer2"), household) == []
    with pytest.raises(NotFound):
        await group_candidates(await actor("officer2"), village.id)
