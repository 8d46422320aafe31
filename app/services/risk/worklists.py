"""Who sees and who works the risk worklists (warnings, collection tasks).

An officer (客户经理) sees and works what is assigned to them; approvers, branch
managers and admins see and work everything in their branch tree; auditors see
their branch tree but change nothing. Out of scope reads as missing.
"""

from __future__ import annotations

from uuid import UUID

from tortoise.queryset import QuerySet

from app.domain.permissions import Action
from app.domain.vocabulary import ActorType, Role
from app.services.actor import Actor
from app.services.permissions import require


def _nothing(query: QuerySet) -> QuerySet:
    return query.filter(id__isnull=True)  # primary keys are never null


def scoped(query: QuerySet, actor: Actor | None) -> QuerySet:
    """Rows with `officer_id` and `branch_id` columns, narrowed to what the actor may see."""
    if actor is None:
        return _nothing(query)
    if actor.type == ActorType.SYSTEM:
        return query
    if actor.type == ActorType.API_KEY:  # a report key reads (never handles) its branch tree's rows
        return query.filter(branch_id__in=list(actor.branch_ids))
    if not actor.is_officer or actor.role is None:
        return _nothing(query)
    query = query.filter(branch_id__in=list(actor.branch_ids))
    return query.filter(officer_id=actor.id) if actor.role == Role.OFFICER else query


def can_see(actor: Actor | None, *, officer_id: UUID | None, branch_id: UUID) -> bool:
    if actor is None:
        return False
    if actor.type == ActorType.SYSTEM:
        return True
    if not actor.is_officer or actor.role is None or not actor.in_branch(branch_id):
        return False
    return actor.role != Role.OFFICER or officer_id == actor.id


def require_worker(actor: Actor | None, action: Action) -> None:
    """Refuse roles that may only read (auditors) and anyone who is not staff: the policy's `action`."""
    require(actor, action)
