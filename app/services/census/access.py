"""Which villages an actor may see and change (shared by census and appraisal services)."""

from __future__ import annotations

from uuid import UUID

from app.domain.errors import NotFound
from app.domain.permissions import Action
from app.models import Village
from app.domain.vocabulary import ActorType, Role
from app.services.actor import Actor
from app.services.permissions import require



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
        raise NotFound("村庄不存在或不在您的管辖范围内", field="village_id")
    return village


def require_census_role(actor: Actor) -> None:
    require(actor, Action.CENSUS_MANAGE)
