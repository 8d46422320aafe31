"""Where a customer sits — 村 › 户 › 人 — for the breadcrumbs of the pages about them.

The loan, line, warning, collection, archive and visit pages name a customer; the officer goes
back from them to the person, the household and the village. The read models of those pages carry
a `Trail` (the caller has already found the customer in the actor's scope); a customer who is in no
household (an imported borrower) has none.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING
from uuid import UUID

from app.models import HouseholdMember

if TYPE_CHECKING:
    from app.models import Visit


@dataclass(frozen=True, slots=True)
class Trail:
    village_id: UUID
    village_name: str
    household_id: UUID
    household_no: str
    member_id: UUID
    member_name: str
    customer_id: UUID | None = None  # the person's customer page (客户视图); None: not a customer yet


async def customer_trail(customer_id: UUID | None) -> Trail | None:
    """The customer's household member, household and village (None: not in a household)."""
    if customer_id is None:
        return None
    member = await HouseholdMember.get_or_none(customer_id=customer_id).select_related("household__village")
    if member is None:
        return None
    household = member.household
    return Trail(village_id=household.village.id, village_name=household.village.name, household_id=household.id,
                 household_no=household.household_no, member_id=member.id, member_name=member.name, customer_id=customer_id)


def visit_trail(visit: Visit) -> Trail:
    """A visit's borrower, from the visit page's read model (its household, member and village are fetched)."""
    return Trail(village_id=visit.village.id, village_name=visit.village.name, household_id=visit.household.id,
                 household_no=visit.household.household_no, member_id=visit.member.id, member_name=visit.member.name,
                 customer_id=visit.member.customer_id)
