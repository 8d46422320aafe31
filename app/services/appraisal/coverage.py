"""Coverage of whole-village credit: per village, how many households were appraised, excluded, pre-credited."""

from __future__ import annotations

from dataclasses import dataclass
from uuid import UUID

from tortoise.functions import Count

from app.domain.appraisal import Grade, Status
from app.models import Appraisal, AppraisalOutcome, Approval, Household, ReviewDecision, Vote
from app.services.actor import Actor
from app.services.census.access import village_query


@dataclass(frozen=True, slots=True)
class Coverage:
    village_id: UUID
    households: int
    appraised: int  # households at least one member who knows them rated (or the officer reviewed)
    excluded: int  # 不予授信: excluded by the rules, declined at review, or approved at 0
    pre_credited: int  # approved with an amount above 0
    pre_credit_total_fen: int
    appraisal_id: UUID | None  # the latest appraisal the figures come from
    status: str | None

    @property
    def appraised_ratio_ppm(self) -> int:
        return self.appraised * 1_000_000 // self.households if self.households else 0


async def _latest(village_ids: list[UUID]) -> dict[UUID, Appraisal]:
    latest: dict[UUID, Appraisal] = {}
    for a in await Appraisal.filter(village_id__in=village_ids).exclude(status=Status.DRAFT).order_by("created_at"):
        latest[a.village_id] = a  # later rows win
    return latest


async def _figures(appraisal: Appraisal) -> tuple[int, int, int, int]:
    """(appraised, excluded, pre-credited, total fen) for one appraisal, from what its stage has produced."""
    if appraisal.status == Status.FIRST_ROUND:
        knowing = await Vote.filter(appraisal_id=appraisal.id, knows_household=True).values_list("household_id", flat=True)
        return len(set(knowing)), 0, 0, 0
    knowing = set(await AppraisalOutcome.filter(appraisal_id=appraisal.id, knowing__gt=0).values_list("household_id", flat=True))
    reviewed = await ReviewDecision.filter(appraisal_id=appraisal.id).values_list("household_id", "grade")
    appraised = len(knowing | {h for h, _ in reviewed})
    if appraisal.approved_at is not None:
        amounts = await Approval.filter(appraisal_id=appraisal.id).values_list("pre_credit_amount_fen", flat=True)
        return appraised, sum(1 for a in amounts if a == 0), sum(1 for a in amounts if a > 0), sum(amounts)
    excluded = set(await AppraisalOutcome.filter(appraisal_id=appraisal.id, excluded=True).values_list("household_id", flat=True))
    excluded |= {h for h, g in reviewed if g == Grade.DECLINE}
    return appraised, len(excluded), 0, 0


async def coverage_for(*, actor: Actor, village_ids: list[UUID]) -> dict[UUID, Coverage]:
    """Coverage of the given villages that are in the actor's scope (others are left out)."""
    visible = await village_query(actor).filter(id__in=village_ids).values_list("id", flat=True)
    counts = dict(await Household.filter(village_id__in=visible).annotate(n=Count("id")).group_by("village_id").values_list("village_id", "n"))
    latest = await _latest(list(visible))
    result = {}
    for vid in visible:
        appraisal = latest.get(vid)
        appraised, excluded, pre_credited, total = await _figures(appraisal) if appraisal else (0, 0, 0, 0)
        result[vid] = Coverage(village_id=vid, households=counts.get(vid, 0), appraised=appraised, excluded=excluded, pre_credited=pre_credited,
                               pre_credit_total_fen=total, appraisal_id=appraisal.id if appraisal else None, status=appraisal.status.value if appraisal else None)
    return result


async def village_coverage(*, actor: Actor, village_id: UUID) -> Coverage | None:
    return (await coverage_for(actor=actor, village_ids=[village_id])).get(village_id)


@dataclass(frozen=True, slots=True)
class PreCredit:
    appraisal_id: UUID
    grade: str
    amount_fen: int
    final: bool  # the appraisal is closed (公示 over, objections answered)


async def household_pre_credit(household_id: UUID) -> PreCredit | None:
    """The household's latest pre-credit amount from a published or closed appraisal (for the visit flow)."""
    row = (
        await Approval.filter(household_id=household_id, appraisal__status__in=[Status.PUBLISHED, Status.CLOSED])
        .order_by("-approved_at").prefetch_related("appraisal").first()
    )
    if row is None:
        return None
    return PreCredit(appraisal_id=row.appraisal_id, grade=row.grade.value, amount_fen=row.pre_credit_amount_fen, final=row.appraisal.status == Status.CLOSED)
