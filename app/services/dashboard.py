"""The officer's dashboard: their branch and the villages in their care, from real data."""

from __future__ import annotations

from dataclasses import dataclass

from tortoise.functions import Count

from app.models import Branch, Household, Village
from app.domain.vocabulary import Role
from app.services.actor import Actor


@dataclass(frozen=True, slots=True)
class VillageRow:
    id: str
    name: str
    division_code: str
    town: str
    officer_name: str
    households: int


@dataclass(frozen=True, slots=True)
class Dashboard:
    branch_name: str
    villages: list[VillageRow]


async def villages_in_scope(actor: Actor):
    """Officers see the villages assigned to them; other roles see their branch tree."""
    query = Village.filter(branch_id__in=list(actor.branch_ids))
    if actor.role == Role.OFFICER:
        query = query.filter(officer_id=actor.id)
    return query


async def officer_dashboard(actor: Actor, branch_id) -> Dashboard:
    branch = await Branch.get(id=branch_id)
    rows = await (await villages_in_scope(actor)).order_by("division_code").values(
        "id", "name", "division_code", "town", "officer__display_name"
    )
    counts = dict(
        await Household.filter(village_id__in=[r["id"] for r in rows])
        .annotate(n=Count("id"))
        .group_by("village_id")
        .values_list("village_id", "n")
    )
    return Dashboard(
        branch_name=branch.name,
        villages=[
            VillageRow(
                id=str(r["id"]),
                name=r["name"],
                division_code=r["division_code"],
                town=r["town"],
                officer_name=r["officer__display_name"] or "未分配",
                households=counts.get(r["id"], 0),
            )
            for r in rows
        ],
    )
