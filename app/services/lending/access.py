"""Who may touch a customer's lines and loans: the customer (the person, whichever bank's record), or officers of the customer's branch tree."""

from __future__ import annotations

from uuid import UUID

from app.domain.vocabulary import ActorType
from app.services.actor import Actor


def can_access(actor: Actor, *, customer_id: UUID, branch_id: UUID) -> bool:
    if actor.type == ActorType.CUSTOMER:
        return actor.is_customer(customer_id)
    if actor.type == ActorType.OFFICER:
        return actor.in_branch(branch_id)
    return actor.type == ActorType.SYSTEM
