"""Which villages an actor may see and change (shared by census and appraisal services)."""

from __future__ import annotations

from uuid import UUID

from app.domain.errors import Forbidden, NotFound
from app.models import Village
from app.models.enums import ActorType, Role
from app.services.actor import Actor

CENSUS_ROLES = frozenset({Role.OFFICER, Role.BRANCH_MANAGER, Role.ADMIN})


def village_query(actor: Actor):
    """Officers see the villages assigned to them; other staff their branch tree; the system everything."""
    if actor.type == ActorType.SYSTEM:
        return Village.all()
    if not actor.is_officer:
        return Village.filter(id__in=[])
    query = Village.filter(branch_id__in=list(actor.branch_ids))
    if actor.role == Role.OFFICER:
        query = query.filter(officer_id=actor.id)
    return query


async def visible_village(actor: Actor, village_id: UUID) -> Village:
    village = await village_query(actor).get_or_none(id=village_id)
    if village is None:
        raise NotFound("村庄不存在或不在您的管辖范围内", field="villageId")
    return village


def require_census_role(actor: Actor) -> None:
    if actor.type == ActorType.SYSTEM:
        return
    if not actor.is_officer or actor.role not in CENSUS_ROLES:
        raise Forbidden("您的角色不能修改村庄建档信息", code="FORBIDDEN")
