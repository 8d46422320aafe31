"""Households and members entered or corrected on the PAD, and the village page's data."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.census import (
    MemberInvalid,
    check_address,
    check_household_no,
    check_id_number,
    check_name,
    check_phone,
    check_relation,
    clean,
    validate_member,
)
from app.domain.error_codes import CensusCode
from app.domain.errors import Conflict, NotFound
from app.models import CreditLine, Customer, Household, HouseholdMember, Village, VillageGroup
from app.domain.vocabulary import Relation
from app.services import audit
from app.services.actor import Actor
from app.services.org import bank_id_of_branch
from app.services.census.access import require_census_role, village_query, visible_village
from app.services.customers.identifiers import id_number_fields, phone_fields


@dataclass(frozen=True, slots=True)
class VillageOverview:
    village: Village
    groups: list[VillageGroup]
    households: list[Household]  # with .group and .members fetched, ordered by group and number
    members: int


async def village_overview(*, actor: Actor, village_id: UUID, group_id: UUID | None = None) -> VillageOverview:
    village = await visible_village(actor, village_id)
    await village.fetch_related("officer", "branch")
    groups = await VillageGroup.filter(village_id=village.id).order_by("number")
    query = Household.filter(village_id=village.id)
    if group_id is not None:
        query = query.filter(group_id=group_id)
    households = await query.order_by("household_no").prefetch_related("group", "members")
    households.sort(key=lambda h: (h.group.number if h.group else 10**6, h.household_no))
    for h in households:
        h.members_sorted = sorted(h.members, key=lambda m: (list(Relation).index(m.relation), m.birth_on))
    return VillageOverview(village=village, groups=groups, households=households, members=sum(len(h.members) for h in households))


async def visible_household(actor: Actor, household_id: UUID) -> Household:
    household = await Household.get_or_none(id=household_id).prefetch_related("village", "group")
    if household is None or not await village_query(actor).filter(id=household.village_id).exists():
        raise NotFound("农户不存在或不在您的管辖范围内", field="household_id")
    return household


@dataclass(frozen=True, slots=True)
class HouseholdPage:
    household: Household  # with its village and group
    members: list[HouseholdMember]  # oldest first
    groups: list[VillageGroup]  # the village's groups, by number
    lines: dict[UUID, list[CreditLine]]  # member id -> the member's credit lines (any status, with product), oldest first


async def household_page(actor: Actor, household_id: UUID) -> HouseholdPage:
    """A household in scope with its members, their credit lines and the groups it may be moved to."""
    household = await visible_household(actor, household_id)
    members = await HouseholdMember.filter(household_id=household.id).order_by("birth_on")
    groups = await VillageGroup.filter(village_id=household.village_id).order_by("number")
    bank_id = await bank_id_of_branch(household.village.branch_id)
    return HouseholdPage(household=household, members=members, groups=groups, lines=await _member_lines(members, bank_id))


async def _member_lines(members: list[HouseholdMember], bank_id: UUID | None) -> dict[UUID, list[CreditLine]]:
    """Each member's lines: through the customer linked at a visit, or the customer of the village's bank with the same ID number."""
    hashes = {m.id_number_hash: m.id for m in members}
    owner = {c.id: hashes[c.id_number_hash] for c in await Customer.filter(id_number_hash__in=list(hashes), bank_id=bank_id)}
    owner.update({m.customer_id: m.id for m in members if m.customer_id is not None})
    lines: dict[UUID, list[CreditLine]] = {m.id: [] for m in members}
    for line in await CreditLine.filter(customer_id__in=list(owner)).order_by("created_at").prefetch_related("product"):
        lines[owner[line.customer_id]].append(line)
    return lines


async def _household_fields(village: Village, household_no: str, group_id: UUID | None, address: str) -> dict:
    household_no, address = clean(household_no), clean(address)
    errors = {f: m for f, m in (("household_no", check_household_no(household_no)), ("address", check_address(address))) if m}
    if group_id is not None and not await VillageGroup.filter(id=group_id, village_id=village.id).exists():
        errors["group_id"] = "村民小组不属于该村"
    if errors:
        raise MemberInvalid(errors)
    return {"household_no": household_no, "group_id": group_id, "address": address}


async def create_household(*, actor: Actor, village_id: UUID, household_no: str, group_id: UUID | None, address: str) -> Household:
    require_census_role(actor)
    village = await visible_village(actor, village_id)
    values = await _household_fields(village, household_no, group_id, address)
    try:
        async with in_transaction():
            if await Household.filter(village_id=village.id, household_no=values["household_no"]).exists():
                raise Conflict("该村已有这个户号", code=CensusCode.DUPLICATE_HOUSEHOLD, field="household_no")
            household = await Household.create(village_id=village.id, **values)
            await audit.record(actor, "household.create", "household", household.id, after={"village_id": str(village.id), "household_no": household.household_no})
    except IntegrityError:
        raise Conflict("该村已有这个户号", code=CensusCode.DUPLICATE_HOUSEHOLD, field="household_no") from None
    return household


async def update_household(*, actor: Actor, household_id: UUID, household_no: str, group_id: UUID | None, address: str) -> Household:
    require_census_role(actor)
    household = await visible_household(actor, household_id)
    values = await _household_fields(household.village, household_no, group_id, address)
    before = {"household_no": household.household_no, "group_id": str(household.group_id) if household.group_id else None, "address": household.address}
    try:
        async with in_transaction():
            if await Household.filter(village_id=household.village_id, household_no=values["household_no"]).exclude(id=household.id).exists():
                raise Conflict("该村已有这个户号", code=CensusCode.DUPLICATE_HOUSEHOLD, field="household_no")
            await Household.filter(id=household.id).update(**values)
            after = {**values, "group_id": str(values["group_id"]) if values["group_id"] else None}
            await audit.record(actor, "household.update", "household", household.id, before=before, after=after)
    except IntegrityError:
        raise Conflict("该村已有这个户号", code=CensusCode.DUPLICATE_HOUSEHOLD, field="household_no") from None
    return await Household.get(id=household.id)


async def _has_other_head(household_id: UUID, member_id: UUID | None) -> bool:
    query = HouseholdMember.filter(household_id=household_id, relation=Relation.HEAD)
    if member_id is not None:
        query = query.exclude(id=member_id)
    return await query.exists()


async def _unlinked_customer(id_hash: str, bank_id: UUID | None) -> UUID | None:
    customer = await Customer.get_or_none(id_number_hash=id_hash, bank_id=bank_id)
    if customer is None or await HouseholdMember.filter(customer_id=customer.id).exists():
        return None
    return customer.id


async def add_member(*, actor: Actor, vault: Vault, household_id: UUID, name: str, relation: str, id_number: str, phone: str) -> HouseholdMember:
    require_census_role(actor)
    household = await visible_household(actor, household_id)
    member, errors = validate_member(name=name, relation=relation, id_number=id_number, phone=phone)
    if member is None:
        raise MemberInvalid(errors)
    fields = id_number_fields(vault, member.id_number)
    bank_id = await bank_id_of_branch(household.village.branch_id)
    try:
        async with in_transaction():
            if member.relation == Relation.HEAD and await _has_other_head(household.id, None):
                raise MemberInvalid({"relation": "该户已有户主"})
            if await HouseholdMember.filter(id_number_hash=fields["id_number_hash"], bank_id=bank_id).exists():
                raise Conflict("该身份证号码已在本行登记", code=CensusCode.DUPLICATE_ID_NUMBER, field="id_number")
            created = await HouseholdMember.create(
                household_id=household.id, name=member.name, relation=Relation(member.relation), sex=member.sex, birth_on=member.birth_on,
                bank_id=bank_id, customer_id=await _unlinked_customer(fields["id_number_hash"], bank_id), **fields, **phone_fields(vault, member.phone or None),
            )
            await audit.record(actor, "household_member.create", "household_member", created.id,
                               after={"household_id": str(household.id), "relation": member.relation, "id_number": created.id_number_masked})
    except IntegrityError:
        raise Conflict("该身份证号码已在本行登记", code=CensusCode.DUPLICATE_ID_NUMBER, field="id_number") from None
    return created


async def visible_member(actor: Actor, member_id: UUID) -> HouseholdMember:
    member = await HouseholdMember.get_or_none(id=member_id)
    if member is None:
        raise NotFound("家庭成员不存在", field="member_id")
    await visible_household(actor, member.household_id)
    return member


async def update_member(*, actor: Actor, vault: Vault, member_id: UUID, name: str, relation: str, phone: str | None, id_number: str = "") -> HouseholdMember:
    """Correct a member. An empty `id_number` keeps the stored one and `phone=None` keeps the stored phone
    (neither is ever shown whole on the PAD); `phone=""` removes it."""
    require_census_role(actor)
    current = await visible_member(actor, member_id)
    name = clean(name)
    code, relation_error = check_relation(clean(relation))
    phone, phone_error = check_phone(clean(phone)) if phone is not None else (None, None)
    info, id_error = check_id_number(clean(id_number)) if clean(id_number) else (None, None)
    errors = {f: m for f, m in (("name", check_name(name)), ("relation", relation_error), ("id_number", id_error), ("phone", phone_error)) if m}
    if errors:
        raise MemberInvalid(errors)
    values: dict = {"name": name, "relation": Relation(code)}
    if phone is not None and (vault.lookup_hash(phone) if phone else None) != current.phone_hash:
        values.update(phone_fields(vault, phone or None))
    if info is not None:
        fields = id_number_fields(vault, info.number)
        if fields["id_number_hash"] != current.id_number_hash:
            values.update(fields, sex=info.sex, birth_on=info.birth_date)
    before = {"name": current.name, "relation": current.relation.value, "id_number": current.id_number_masked, "phone": current.phone_masked}
    try:
        async with in_transaction():
            if code == Relation.HEAD and await _has_other_head(current.household_id, current.id):
                raise MemberInvalid({"relation": "该户已有户主"})
            same = HouseholdMember.filter(id_number_hash=values.get("id_number_hash"), bank_id=current.bank_id).exclude(id=current.id)
            if "id_number_hash" in values and await same.exists():
                raise Conflict("该身份证号码已在本行登记", code=CensusCode.DUPLICATE_ID_NUMBER, field="id_number")
            await HouseholdMember.filter(id=current.id).update(**values)
            updated = await HouseholdMember.get(id=current.id)
            after = {"name": updated.name, "relation": updated.relation.value, "id_number": updated.id_number_masked, "phone": updated.phone_masked}
            await audit.record(actor, "household_member.update", "household_member", current.id, before=before, after=after)
    except IntegrityError:
        raise Conflict("该身份证号码已在本行登记", code=CensusCode.DUPLICATE_ID_NUMBER, field="id_number") from None
    return updated
