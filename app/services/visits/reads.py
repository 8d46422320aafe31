"""What the visit pages show, read within the actor's scope (a visit out of scope is missing).

The visit itself is found with `visible_visit` (officers their own visits, other staff their branch
tree); everything else is read through it: a row the visit's file does not name is not shown.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from app.domain import visit as flow
from app.domain.errors import NotFound
from app.models import (
    Contract,
    CreditAuthorisation,
    Customer,
    Document,
    FaceVerification,
    Household,
    HouseholdMember,
    IdCardRead,
    IdentityVerification,
    RiskDecision,
    Visit,
)
from app.services.actor import Actor
from app.services.census.households import visible_household, visible_member
from app.services.identity_checks import get_id_card_read
from app.services.visits.common import visible_visit, visit_query
from app.services.visits.people import current_face_id

PEOPLE = ("household", "member", "village", "customer", "co_borrower", "co_member", "officer", "credit_line")


@dataclass(frozen=True)
class ApprovalFile:
    """Everything the approver reads before deciding."""

    visit: Visit  # with its household, member, village, customer, co-borrower and officer
    documents: list[Document]  # of the borrower and co-borrower, oldest first
    identities: list[IdentityVerification]  # newest first
    authorisation: CreditAuthorisation | None  # the borrower's latest
    risk: RiskDecision | None


async def visit_rows(actor: Actor, *, status: str | None, limit: int) -> list[Visit]:
    """The newest visits in scope (of one status if given), each with its member, village, officer and household."""
    query = visit_query(actor)
    if status:
        query = query.filter(status=status)
    return await query.order_by("-started_at").limit(limit).prefetch_related("member", "village", "officer", "household")


async def member_to_visit(actor: Actor, member_id: UUID) -> tuple[HouseholdMember, Household]:
    """The member a visit starts from, and their household (both in scope)."""
    member = await visible_member(actor, member_id)
    return member, await visible_household(actor, member.household_id)


async def visit_page(actor: Actor, visit_id: UUID) -> Visit:
    """The visit in scope with the people and places its page names."""
    visit = await visible_visit(actor, visit_id)
    await visit.fetch_related(*PEOPLE)
    return visit


async def visit_read(actor: Actor, visit_id: UUID, read_id: UUID) -> tuple[Visit, IdCardRead]:
    """An ID-card read taken in this visit (for its status fragment); a read of any other visit is missing."""
    visit = await visible_visit(actor, visit_id)
    file = visit.file
    if read_id not in (*file.borrower.reads.values(), *file.co_borrower.reads.values()):
        raise NotFound("身份证识别记录不存在", field="read_id")
    return visit, await get_id_card_read(actor=actor, read_id=read_id)


async def read_of(visit: Visit, read_id: UUID | None) -> IdCardRead | None:
    """A read the visit's file names (the file is the visit's own: no other scope to check)."""
    return await IdCardRead.get_or_none(id=read_id) if read_id else None


async def face_of(visit: Visit, stage: str, who: str) -> FaceVerification | None:
    """The stage's latest face verification of that person in this visit."""
    vid = current_face_id(visit, stage, who)
    return await FaceVerification.get_or_none(id=vid) if vid else None


async def signer_of(visit: Visit, who: str) -> Customer | None:
    customer_id = visit.customer_id if who == flow.BORROWER else visit.co_borrower_id
    return await Customer.get_or_none(id=customer_id) if customer_id else None


async def photo_documents(visit: Visit) -> dict[UUID, Document]:
    """The documents of the visit's photos, by id."""
    ids = [photo.document for photo in visit.file.photos.items]
    return {d.id: d for d in await Document.filter(id__in=ids)} if ids else {}


async def risk_of(visit: Visit) -> RiskDecision | None:
    return await RiskDecision.get_or_none(id=visit.risk_decision_id) if visit.risk_decision_id else None


async def contract_of(visit: Visit) -> Contract | None:
    return await Contract.get_or_none(id=visit.contract_id) if visit.contract_id else None


async def approval_file(actor: Actor, visit_id: UUID) -> ApprovalFile:
    visit = await visible_visit(actor, visit_id)
    await visit.fetch_related("household", "member", "village", "customer", "co_borrower", "officer")
    customer_ids = [c for c in (visit.customer_id, visit.co_borrower_id) if c]
    documents = await Document.filter(customer_id__in=customer_ids).order_by("created_at") if customer_ids else []
    identities = await IdentityVerification.filter(customer_id__in=customer_ids).order_by("-checked_at") if customer_ids else []
    authorisation = None
    if visit.customer_id:
        authorisation = await CreditAuthorisation.filter(customer_id=visit.customer_id).order_by("-signed_at").first()
    return ApprovalFile(visit=visit, documents=documents, identities=identities, authorisation=authorisation, risk=await risk_of(visit))


async def next_household(visit: Visit) -> Household | None:
    """下一户 after signing: the village's next household by 户号 that has no visit yet (from the start once past the last).

    The visit is in the actor's scope, and so is its village; None when every household has been visited.
    """
    visited = set(await Visit.filter(village_id=visit.village_id).values_list("household_id", flat=True))
    households = [h for h in await Household.filter(village_id=visit.village_id).order_by("household_no", "id") if h.id not in visited]
    current = visit.household.household_no
    return next((h for h in households if h.household_no > current), households[0] if households else None)
