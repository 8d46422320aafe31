"""Reading branches and officers within the actor's scope (null when out of scope)."""

from __future__ import annotations

from uuid import UUID

from app.models import Branch, Officer
from app.domain.vocabulary import Role
from app.services.actor import Actor


async def branches_visible(actor: Actor | None, ids: list[UUID]) -> dict[UUID, Branch]:
    if actor is None or not actor.is_officer:
        return {}
    allowed = [i for i in ids if actor.in_branch(i)]
    return {b.id: b for b in await Branch.filter(id__in=allowed)}


async def officers_visible(actor: Actor | None, ids: list[UUID]) -> dict[UUID, Officer]:
    if actor is None or not actor.is_officer:
        return {}
    rows = await Officer.filter(id__in=ids, branch_id__in=list(actor.branch_ids))
    return {o.id: o for o in rows}


async def branches_in_scope(actor: Actor | None) -> list[Branch]:
    """The branches of the actor's branch tree, by code (a report's branch filter)."""
    if actor is None or not actor.is_officer:
        return []
    return await Branch.filter(id__in=list(actor.branch_ids)).order_by("code")


async def active_staff_in_scope(actor: Actor | None) -> list[Officer]:
    """Active staff of the actor's branch tree who may sit on a panel (not auditors), by username."""
    if actor is None or not actor.is_officer:
        return []
    return await Officer.filter(branch_id__in=list(actor.branch_ids), is_active=True).exclude(role=Role.AUDITOR).order_by("username")
