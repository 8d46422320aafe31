"""Shared checks for the risk services: who may act, on which customer."""

from __future__ import annotations

from uuid import UUID

from app.domain.errors import Forbidden, NotFound
from app.models import Branch, Customer
from app.domain.vocabulary import ActorType, Role
from app.services.actor import Actor


def require_staff(actor: Actor) -> None:
    """Officers of any working role (not auditors) and the system may run risk checks."""
    if actor.type == ActorType.SYSTEM:
        return
    if actor.is_officer and actor.role is not None and actor.role != Role.AUDITOR:
        return
    raise Forbidden("无权执行风险检查")


def officer_id(actor: Actor) -> UUID | None:
    return actor.id if actor.is_officer else None


async def customer_in_scope(actor: Actor, customer_id: UUID) -> Customer:
    """The customer, if it exists and lies in the officer's branches (same answer otherwise)."""
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or (actor.is_officer and not actor.in_branch(customer.branch_id)):
        raise NotFound("客户不存在", field="customer_id")
    return customer


async def institution_name(branch_id: UUID) -> str:
    """The legal institution a query is made in the name of: the short name of the branch's bank ("" when it has none)."""
    name = await Branch.filter(id=branch_id).first().values_list("bank__name", flat=True)
    return name or ""
