"""Starting an appraisal: create it for a village, form the panel, open 初评."""

from __future__ import annotations

import secrets
from datetime import datetime
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.domain.appraisal import PanelRole, Status, check_transition
from app.domain.census import check_name, clean
from app.domain.error_codes import AppraisalCode, CensusCode, CommonCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.models import Appraisal, Household, Officer, PanelMember, Village
from app.domain.vocabulary import Role
from app.services import audit
from app.services.actor import Actor
from app.services.appraisal.common import appraisal_for, require_manager
from app.services.census.access import visible_village
from app.services.lending.products import active_product
from app.services.org import bank_id_of_branch

MAX_PANEL = 30
MIN_PANEL = 2  # one person alone is not a back-to-back appraisal
DEFAULT_PRODUCT = "BIANLI"


async def create_appraisal(*, actor: Actor, village_id: UUID, rules: dict, product_code: str = DEFAULT_PRODUCT) -> Appraisal:
    require_manager(actor)
    village = await visible_village(actor, village_id)
    product = await active_product(await bank_id_of_branch(village.branch_id), product_code)  # the village's bank's
    if product is None:
        raise NotFound("产品不存在或已停用", field="product")
    async with in_transaction():
        await Village.select_for_update().get(id=village.id)  # one appraisal at a time per village
        if await Appraisal.filter(village_id=village.id).exclude(status=Status.CLOSED).exists():
            raise Conflict(f"{village.name}已有一次未结束的评议", code=AppraisalCode.APPRAISAL_IN_PROGRESS)
        appraisal = await Appraisal.create(village_id=village.id, product_id=product.id, rules=rules, created_by_id=actor.id if actor.is_officer else None)
        await audit.record(actor, "appraisal.create", "appraisal", appraisal.id, after={"village_id": str(village.id), "product": product.code})
    return appraisal


async def add_panel_member(*, actor: Actor, appraisal_id: UUID, role: str, name: str = "", officer_id: UUID | None = None) -> PanelMember:
    """Add a village cadre or villager representative (by name; they vote through a personal link)
    or an officer (by account; they vote after signing in)."""
    require_manager(actor)
    try:
        panel_role = PanelRole(role)
    except ValueError:
        raise ValidationError("请选择成员身份", code=CensusCode.INVALID_MEMBER, field="role") from None
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.status != Status.DRAFT:
            raise Conflict("初评开始后不能再调整评议小组", code=CommonCode.WRONG_STATUS)
        if await PanelMember.filter(appraisal_id=appraisal.id).count() >= MAX_PANEL:
            raise Conflict(f"评议小组最多 {MAX_PANEL} 人", code=AppraisalCode.PANEL_FULL)
        values: dict = {"appraisal_id": appraisal.id, "role": panel_role}
        if panel_role == PanelRole.OFFICER:
            officer = await Officer.get_or_none(id=officer_id, is_active=True) if officer_id else None
            if officer is None or officer.role == Role.AUDITOR or (actor.is_officer and officer.branch_id not in actor.branch_ids):
                raise ValidationError("请选择本机构的在岗员工", code=CensusCode.INVALID_MEMBER, field="officer_id")
            if await PanelMember.filter(appraisal_id=appraisal.id, officer_id=officer.id).exists():
                raise Conflict("该员工已在评议小组中", code=AppraisalCode.DUPLICATE_MEMBER, field="officer_id")
            values.update(name=officer.display_name, officer_id=officer.id)
        else:
            name = clean(name)
            problem = check_name(name)
            if problem:
                raise ValidationError(problem, code=CensusCode.INVALID_MEMBER, field="name")
            values.update(name=name, link_nonce=secrets.token_hex(16))
        try:
            member = await PanelMember.create(**values)
        except IntegrityError:
            raise Conflict("该员工已在评议小组中", code=AppraisalCode.DUPLICATE_MEMBER, field="officer_id") from None
        await audit.record(actor, "appraisal.panel_add", "appraisal", appraisal.id, after={"member_id": str(member.id), "role": panel_role.value})
    return member


async def remove_panel_member(*, actor: Actor, appraisal_id: UUID, member_id: UUID) -> None:
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.status != Status.DRAFT:
            raise Conflict("初评开始后不能再调整评议小组", code=CommonCode.WRONG_STATUS)
        deleted = await PanelMember.filter(id=member_id, appraisal_id=appraisal.id).delete()
        if not deleted:
            raise NotFound("评议小组中没有该成员", field="member_id")
        await audit.record(actor, "appraisal.panel_remove", "appraisal", appraisal.id, after={"member_id": str(member_id)})


async def renew_link(*, actor: Actor, appraisal_id: UUID, member_id: UUID) -> PanelMember:
    """A new voting link for a non-officer member; the old link stops working at once."""
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        if appraisal.status not in (Status.DRAFT, Status.FIRST_ROUND):
            raise Conflict("初评已结束，评议链接不再需要", code=CommonCode.WRONG_STATUS)
        member = await PanelMember.get_or_none(id=member_id, appraisal_id=appraisal.id)
        if member is None or member.officer_id is not None:
            raise NotFound("评议小组中没有该村民成员", field="member_id")
        await PanelMember.filter(id=member.id).update(link_nonce=secrets.token_hex(16))
        await audit.record(actor, "appraisal.link_renew", "appraisal", appraisal.id, after={"member_id": str(member.id)})
    return await PanelMember.get(id=member.id)


async def open_round(*, actor: Actor, appraisal_id: UUID, now: datetime) -> Appraisal:
    """Open 初评: every member now rates every household of the village, alone."""
    require_manager(actor)
    async with in_transaction():
        appraisal = await appraisal_for(actor, appraisal_id, lock=True)
        check_transition(appraisal.status, Status.FIRST_ROUND)
        if await PanelMember.filter(appraisal_id=appraisal.id).count() < MIN_PANEL:
            raise Conflict(f"评议小组至少需要 {MIN_PANEL} 名成员", code=AppraisalCode.PANEL_TOO_SMALL)
        if not await Household.filter(village_id=appraisal.village_id).exists():
            raise Conflict("该村还没有农户，请先导入或录入农户", code=AppraisalCode.NO_HOUSEHOLDS)
        await Appraisal.filter(id=appraisal.id).update(status=Status.FIRST_ROUND, opened_at=now)
        await audit.record(actor, "appraisal.open", "appraisal", appraisal.id, before={"status": appraisal.status.value}, after={"status": Status.FIRST_ROUND.value})
    return await Appraisal.get(id=appraisal.id)
