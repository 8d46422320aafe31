"""What the appraisal pages show, read within the actor's scope (an appraisal out of scope is missing).

Each function checks the appraisal (or the village) with `appraisal_for` / `village_query`, the same
rule as the appraisal's actions, and returns the rows the page needs with their relations fetched.
"""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from app.domain.errors import NotFound
from app.models import Appraisal, AppraisalOutcome, Approval, Household, Objection, Officer, PanelMember, ReviewDecision
from app.services.actor import Actor
from app.services.appraisal.common import appraisal_for
from app.services.census.access import village_query
from app.services.org import active_staff_in_scope


@dataclass(frozen=True)
class Overview:
    appraisal: Appraisal  # with its village and product
    panel: list[PanelMember]  # in the order they were added
    staff: list[Officer]  # who may be added to the panel
    households: int  # in the village


@dataclass(frozen=True)
class HouseholdReview:
    appraisal: Appraisal  # with its village
    household: Household  # with its members and group
    outcome: AppraisalOutcome
    review: ReviewDecision | None


@dataclass(frozen=True)
class Publication:
    appraisal: Appraisal  # with its village
    approvals: list[Approval]  # by group and household number, each household with its members and group
    objections: list[Objection]  # oldest first, each with its household


async def appraisal_with(actor: Actor, appraisal_id: UUID, *related: str) -> Appraisal:
    """The appraisal in scope with the named relations fetched."""
    appraisal = await appraisal_for(actor, appraisal_id)
    if related:
        await appraisal.fetch_related(*related)
    return appraisal


async def latest_for_village(actor: Actor, village_id: UUID) -> Appraisal | None:
    """The village's newest appraisal, if the village is in scope."""
    if not await village_query(actor).filter(id=village_id).exists():
        raise NotFound("村不存在或不在您的管辖范围内", field="village_id")
    return await Appraisal.filter(village_id=village_id).order_by("-created_at").first()


async def overview(actor: Actor, appraisal_id: UUID) -> Overview:
    appraisal = await appraisal_with(actor, appraisal_id, "village", "product")
    return Overview(
        appraisal=appraisal,
        panel=await PanelMember.filter(appraisal_id=appraisal.id).order_by("created_at"),
        staff=await active_staff_in_scope(actor),
        households=await Household.filter(village_id=appraisal.village_id).count(),
    )


async def household_review(actor: Actor, appraisal_id: UUID, household_id: UUID) -> HouseholdReview:
    """One household of the appraisal for 复评 (only a household the appraisal has an outcome for)."""
    appraisal = await appraisal_with(actor, appraisal_id, "village")
    outcome = await AppraisalOutcome.get_or_none(appraisal_id=appraisal.id, household_id=household_id)
    if outcome is None:
        raise NotFound("该户不在本次评议中")
    household = await Household.get(id=household_id).prefetch_related("members", "group")
    review = await ReviewDecision.get_or_none(appraisal_id=appraisal.id, household_id=household_id)
    return HouseholdReview(appraisal=appraisal, household=household, outcome=outcome, review=review)


async def publication(actor: Actor, appraisal_id: UUID) -> Publication:
    appraisal = await appraisal_with(actor, appraisal_id, "village")
    approvals = await Approval.filter(appraisal_id=appraisal.id).prefetch_related("household__members", "household__group")
    approvals.sort(key=lambda a: (a.household.group.number if a.household.group else 10**6, a.household.household_no))
    objections = await Objection.filter(appraisal_id=appraisal.id).order_by("created_at").prefetch_related("household")
    return Publication(appraisal=appraisal, approvals=approvals, objections=objections)


async def objection_for(actor: Actor, objection_id: UUID) -> Objection:
    """An objection whose appraisal is in scope."""
    objection = await Objection.get_or_none(id=objection_id)
    if objection is None:
        raise NotFound("异议不存在", field="objection_id")
    await appraisal_for(actor, objection.appraisal_id)
    return objection
