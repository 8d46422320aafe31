import pytest

from app.domain.census import MemberInvalid
from app.domain.errors import Conflict, Forbidden, NotFound
from app.models import AuditEvent, Customer, Household, HouseholdMember, VillageGroup
from app.services.census.households import add_member, create_household, update_household, update_member, village_overview
from tests.factories.villages import FENCHENG, XIJIE, actor, households, village
from tests.support.census_files import person_number


async def test_create_a_household_and_add_its_members(demo, vault):
    officer = await actor("officer1")
    xijie = await village()
    group = await VillageGroup.get(village_id=xijie.id, number=2)
    household = await create_household(actor=officer, village_id=xijie.id, household_no=" 050 ", group_id=group.id, address="西街50号")
    assert (household.household_no, household.group_id, household.address) == ("050", group.id, "西街50号")
    head = await add_member(actor=officer, vault=vault, household_id=household.id, name="王建国", relation="户主", id_number=person_number(1).lower(), phone="138-0000-0001")
    assert (head.relation, head.sex, head.phone_masked, head.id_number_masked) == ("head", "男", "138****0001", "141002********0030")
    assert vault.decrypt(head.phone_enc, context=b"phone") == "13800000001"
    overview = await village_overview(actor=officer, village_id=xijie.id)
    assert [m.name for h in overview.households if h.id == household.id for m in h.members_sorted] == ["王建国"]
    assert await AuditEvent.filter(action="household_member.create", entity_id=str(head.id)).count() == 1


async def test_member_errors_come_back_together_and_nothing_is_saved(demo, vault):
    household = (await households())[0]
    before = await HouseholdMember.all().count()
    with pytest.raises(MemberInvalid) as err:
        await add_member(actor=await actor("officer1"), vault=vault, household_id=household.id, name="", relation="朋友", id_number="141023196803150012", phone="1")
    assert set(err.value.errors) == {"name", "relation", "id_number", "phone"} and err.value.errors["id_number"] == "身份证号码校验位不正确"
    assert await HouseholdMember.all().count() == before


async def test_a_second_head_and_a_known_id_number_are_refused(demo, vault):
    officer = await actor("officer1")
    household = (await households())[0]
    with pytest.raises(MemberInvalid) as err:
        await add_member(actor=officer, vault=vault, household_id=household.id, name="王二", relation="户主", id_number=person_number(2), phone="")
    assert err.value.errors == {"relation": "该户已有户主"}
    existing = await HouseholdMember.filter(household_id=household.id).first()
    number = vault.decrypt(existing.id_number_enc, context=b"id_number")
    with pytest.raises(Conflict) as err:
        await add_member(actor=officer, vault=vault, household_id=household.id, name="王三", relation="子女", id_number=number, phone="")
    assert (err.value.code, err.value.field) == ("DUPLICATE_ID_NUMBER", "id_number")


async def test_a_new_member_is_linked_to_an_existing_customer(demo, vault):
    from tests.factories.risk import make_customer

    customer = await make_customer(vault, sequence=777)
    number = vault.decrypt(customer.id_number_enc, context=b"id_number")
    member = await add_member(actor=await actor("officer1"), vault=vault, household_id=(await households())[0].id, name="王建国", relation="其他", id_number=number, phone="")
    assert member.customer_id == customer.id and await Customer.filter(id=customer.id).exists()


async def test_update_a_member_keeps_the_id_number_when_left_blank(demo, vault):
    officer = await actor("officer1")
    member = await HouseholdMember.filter(household__village__division_code=XIJIE, relation="spouse").first()
    before_hash = member.id_number_hash
    updated = await update_member(actor=officer, vault=vault, member_id=member.id, name="李秀英", relation="配偶", phone="13912345678")
    assert (updated.name, updated.id_number_hash, updated.phone_masked) == ("李秀英", before_hash, "139****5678")
    event = await AuditEvent.get(action="household_member.update", entity_id=str(member.id))
    assert event.after["phone"] == "139****5678" and "13912345678" not in str(event.after) + str(event.before)
    number = person_number(8, male=False)
    corrected = await update_member(actor=officer, vault=vault, member_id=member.id, name="李秀英", relation="配偶", phone="", id_number=number)
    assert corrected.id_number_hash == vault.lookup_hash(number) and corrected.id_number_masked == "141002********" + number[-4:]
    assert corrected.phone_enc is None and corrected.sex == "女" and corrected.birth_on.year == 1950


async def test_household_numbers_are_unique_per_village(demo, vault):
    officer = await actor("officer1")
    first, second = (await households())[:2]
    with pytest.raises(Conflict) as err:
        await update_household(actor=officer, household_id=second.id, household_no=first.household_no, group_id=None, address="")
    assert err.value.field == "household_no"
    with pytest.raises(Conflict):
        await create_household(actor=officer, village_id=first.village_id, household_no=first.household_no, group_id=None, address="")
    other_group = await VillageGroup.filter(village__division_code=FENCHENG).first()
    with pytest.raises(MemberInvalid) as err:
        await update_household(actor=officer, household_id=second.id, household_no="099", group_id=other_group.id, address="")
    assert err.value.errors == {"group_id": "村民小组不属于该村"}
    assert (await Household.get(id=second.id)).household_no == second.household_no


async def test_out_of_scope_and_read_only_roles_are_refused(demo, vault):
    household = (await households(FENCHENG))[0]
    with pytest.raises(NotFound):
        await add_member(actor=await actor("officer1"), vault=vault, household_id=household.id, name="王二", relation="子女", id_number=person_number(3), phone="")
    with pytest.raises(Forbidden):
        await create_household(actor=await actor("auditor"), village_id=(await village()).id, household_no="777", group_id=None, address="")


async def test_an_id_number_is_unique_within_the_villages_bank_not_across_banks(demo, vault):
    # given a person registered in bank A's census (西街村, 襄汾农商行)
    from tests.factories.banks import second_bank

    known = await HouseholdMember.filter(household_id=(await households())[0].id).first()
    number = vault.decrypt(known.id_number_enc, context=b"id_number")
    bank_b = await second_bank()
    # when bank B's officer registers the same person in a household of bank B's village
    officer_b = await bank_b.actor("yc_officer")
    household = await create_household(actor=officer_b, village_id=bank_b.village.id, household_no="001", group_id=None, address="东关村1号")
    member = await add_member(actor=officer_b, vault=vault, household_id=household.id, name=known.name, relation="户主", id_number=number, phone="")
    # then bank B holds its own record of the person, in bank B
    assert member.bank_id == bank_b.bank.id != known.bank_id and member.id_number_hash == known.id_number_hash
    # and a second registration within bank B is refused, as it still is within bank A
    again = await create_household(actor=officer_b, village_id=bank_b.village.id, household_no="002", group_id=None, address="东关村2号")
    with pytest.raises(Conflict, match="该身份证号码已在本行登记"):
        await add_member(actor=officer_b, vault=vault, household_id=again.id, name=known.name, relation="户主", id_number=number, phone="")
    # and the database itself refuses a duplicate within one bank
    from tortoise.exceptions import IntegrityError

    with pytest.raises(IntegrityError):
        await HouseholdMember.create(household_id=again.id, name="重复", relation="head", sex=member.sex, birth_on=member.birth_on, bank_id=bank_b.bank.id,
                                     id_number_enc=b"x", id_number_hash=member.id_number_hash, id_number_masked="")
