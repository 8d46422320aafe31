import pytest

from app.crypto import Vault
from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.domain.money import Money
from app.models import Appraisal, AuditEvent, Officer, PanelMember, Vote
from app.services.appraisal.common import link_token, load_rules
from app.services.appraisal.review import close_round
from app.services.appraisal.setup import add_panel_member, create_appraisal, open_round, remove_panel_member, renew_link
from app.services.appraisal.voting import ballot_sheet, member_for_link, member_for_officer, panel_progress, submit_vote
from tests.factories.villages import FENCHENG, NOW, actor, appraisal_with_panel, households, open_appraisal, village, vote


async def test_an_appraisal_gets_a_panel_and_opens(demo, vault):
    appraisal, members = await appraisal_with_panel()
    assert appraisal.status == "draft" and appraisal.rules["scorecard"]["code"] == "additive"
    assert [(m.role, m.officer_id is None, bool(m.link_nonce)) for m in members] == [("village_cadre", True, True), ("villager_rep", True, True), ("officer", False, False)]
    opened = await open_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    assert opened.status == "first_round" and opened.opened_at == NOW
    assert await AuditEvent.filter(action="appraisal.open", entity_id=str(appraisal.id)).count() == 1


async def test_one_appraisal_at_a_time_per_village(demo):
    await appraisal_with_panel()
    with pytest.raises(Conflict) as err:
        await create_appraisal(actor=await actor("officer1"), village_id=(await village()).id, rules=load_rules(None))
    assert err.value.code == "APPRAISAL_IN_PROGRESS"
    assert await Appraisal.all().count() == 1


async def test_panel_rules(demo):
    officer = await actor("officer1")
    appraisal, members = await appraisal_with_panel(villagers=1, officers=())
    with pytest.raises(Conflict) as err:
        await open_round(actor=officer, appraisal_id=appraisal.id, now=NOW)
    assert err.value.code == "PANEL_TOO_SMALL"
    me = await Officer.get(username="officer1")
    await add_panel_member(actor=officer, appraisal_id=appraisal.id, role="officer", officer_id=me.id)
    with pytest.raises(Conflict) as err:
        await add_panel_member(actor=officer, appraisal_id=appraisal.id, role="officer", officer_id=me.id)
    assert err.value.code == "DUPLICATE_MEMBER"
    other_branch = await Officer.get(username="officer2")
    with pytest.raises(ValidationError) as err:
        await add_panel_member(actor=officer, appraisal_id=appraisal.id, role="officer", officer_id=other_branch.id)
    assert err.value.field == "officer_id"
    with pytest.raises(ValidationError) as err:
        await add_panel_member(actor=officer, appraisal_id=appraisal.id, role="villager_rep", name="王1")
    assert err.value.field == "name"
    await remove_panel_member(actor=officer, appraisal_id=appraisal.id, member_id=members[0].id)
    assert await PanelMember.filter(appraisal_id=appraisal.id).count() == 1


async def test_the_panel_is_fixed_once_the_round_opens(demo):
    appraisal, members = await open_appraisal()
    with pytest.raises(Conflict) as err:
        await add_panel_member(actor=await actor("officer1"), appraisal_id=appraisal.id, role="villager_rep", name="钱大爷")
    assert err.value.code == "WRONG_STATUS"
    with pytest.raises(Conflict):
        await remove_panel_member(actor=await actor("officer1"), appraisal_id=appraisal.id, member_id=members[0].id)


async def test_a_villager_votes_through_a_personal_link_that_can_be_revoked(demo, vault):
    appraisal, members = await open_appraisal()
    cadre = members[0]
    token = link_token(vault, cadre.id, cadre.link_nonce)
    found, seat = await member_for_link(vault=vault, member_id=cadre.id, token=token)
    assert (found.id, seat.id) == (appraisal.id, cadre.id)
    with pytest.raises(NotFound):
        await member_for_link(vault=Vault(b"another-server-key"), member_id=cadre.id, token=token)
    renewed = await renew_link(actor=await actor("officer1"), appraisal_id=appraisal.id, member_id=cadre.id)
    with pytest.raises(NotFound):
        await member_for_link(vault=vault, member_id=cadre.id, token=token)
    await member_for_link(vault=vault, member_id=cadre.id, token=link_token(vault, cadre.id, renewed.link_nonce))


async def test_a_vote_is_recorded_once_and_never_changed(demo):
    appraisal, members = await open_appraisal()
    household = (await households())[0]
    first = await vote(members[0], household, grade="excellent", amount="80000", reasons=["bad_habits"])
    assert (first.grade, first.suggested_amount_fen, first.exclusion_reasons, first.knows_household) == ("excellent", 8_000_000, ["bad_habits"], True)
    with pytest.raises(Conflict) as err:
        await vote(members[0], household, grade="fair", amount="1000")
    assert err.value.code == "DUPLICATE_VOTE" and "不能修改" in err.value.message
    stored = await Vote.filter(appraisal_id=appraisal.id, member_id=members[0].id)
    assert len(stored) == 1 and stored[0].grade == "excellent" and stored[0].suggested_amount_fen == 8_000_000


async def test_someone_not_on_the_panel_cannot_vote(demo):
    appraisal, members = await open_appraisal()
    household = (await households())[0]
    manager = await actor("manager")  # in the branch, but not on the panel
    with pytest.raises(Forbidden) as err:
        await member_for_officer(actor=manager, appraisal_id=appraisal.id)
    assert err.value.code == "NOT_ON_PANEL"
    for seat in (members[0], members[2]):  # a villager's seat, or officer1's seat
        with pytest.raises(Forbidden) as err:
            await vote(seat, household, by=manager)
        assert err.value.code == "NOT_ON_PANEL"
    assert await Vote.filter(appraisal_id=appraisal.id).count() == 0


async def test_a_vote_before_the_round_opens_or_after_it_closes_is_refused(demo):
    appraisal, members = await appraisal_with_panel()
    household = (await households())[0]
    with pytest.raises(Conflict) as err:
        await vote(members[0], household)
    assert err.value.code == "ROUND_NOT_OPEN"
    await open_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    await vote(members[0], household)
    await close_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    with pytest.raises(Conflict) as err:
        await vote(members[1], household)
    assert err.value.code == "ROUND_CLOSED" and err.value.message == "初评已结束，不能再提交评议"
    assert await Vote.filter(appraisal_id=appraisal.id).count() == 1


async def test_vote_content_is_checked(demo):
    _, members = await open_appraisal()
    household = (await households())[0]
    with pytest.raises(ValidationError) as err:
        await submit_vote(actor=await actor("officer1"), member_id=members[2].id, household_id=household.id, knows=False, grade="good", amount=None, reasons=[], now=NOW)
    assert err.value.field == "knows"
    with pytest.raises(ValidationError) as err:
        await vote(members[0], household, amount="400000")
    assert err.value.field == "amount" and "300,000" in err.value.message
    with pytest.raises(NotFound):
        await vote(members[0], (await households(FENCHENG))[0])
    assert await Vote.all().count() == 0


async def test_a_members_sheet_shows_only_their_own_votes(demo):
    appraisal, members = await open_appraisal()
    first, second = (await households())[:2]
    await vote(members[1], first, grade="fair", amount="12345")
    await vote(members[0], second, grade="excellent", amount="99000")
    sheet = await ballot_sheet(appraisal=appraisal, member=members[0])
    assert sheet.done == 1 and len(sheet.rows) == 3
    own = {row.household.id: row.vote for row in sheet.rows}
    assert own[first.id] is None and own[second.id].suggested_amount_fen == 9_900_000
    progress = await panel_progress(actor=await actor("officer1"), appraisal_id=appraisal.id)
    assert progress == {members[0].id: 1, members[1].id: 1, members[2].id: 0}


@pytest.mark.postgres
async def test_two_racing_copies_of_one_vote_save_one(demo):
    import asyncio

    _, members = await open_appraisal()
    household = (await households())[0]
    results = await asyncio.gather(vote(members[0], household), vote(members[0], household), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Conflict)]
    assert len(refused) == 1 and refused[0].code == "DUPLICATE_VOTE"
    assert await Vote.filter(member_id=members[0].id).count() == 1


@pytest.mark.postgres
async def test_a_vote_racing_the_close_of_the_round_is_either_counted_or_refused(demo):
    import asyncio

    appraisal, members = await open_appraisal()
    first, second = (await households())[:2]
    await vote(members[0], first)
    results = await asyncio.gather(vote(members[1], second), close_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW), return_exceptions=True)
    from app.models import AppraisalOutcome

    outcome = await AppraisalOutcome.get(appraisal_id=appraisal.id, household_id=second.id)
    if isinstance(results[0], Exception):
        assert results[0].code == "ROUND_CLOSED" and outcome.votes == 0
    else:
        assert outcome.votes == 1  # the vote committed before the close read the votes


async def test_an_officer_on_the_panel_votes_even_if_the_village_is_not_theirs(demo):
    from app.models import Branch
    from app.domain.vocabulary import Role
    from app.services.appraisal.voting import seats_of
    from app.services.auth.officers import actor_for

    colleague = await Officer.create(username="officer3", display_name="周强", password_hash="x", role=Role.OFFICER, branch=await Branch.get(code="XF010"))
    appraisal, members = await appraisal_with_panel(officers=("officer1", "officer3"))
    await open_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    who = await actor_for(colleague)
    found, seat = await member_for_officer(actor=who, appraisal_id=appraisal.id)
    assert seat.officer_id == colleague.id and found.id == appraisal.id
    assert [a.id for a, _ in await seats_of(who)] == [appraisal.id]
    await vote(seat, (await households())[0])
    with pytest.raises(NotFound):  # without a seat, a village outside one's care stays invisible
        await member_for_officer(actor=await actor("officer2"), appraisal_id=appraisal.id)
