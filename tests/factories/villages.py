"""Test data for census and appraisal: officer actors, the demo villages, an appraisal at each stage."""

from __future__ import annotations

from datetime import UTC, date, datetime

from app.domain.money import Money
from app.models import Household, Officer, Village
from app.services.auth import officers as auth
from app.services.actor import Actor
from app.services.appraisal.common import load_rules
from app.services.appraisal.setup import add_panel_member, create_appraisal, open_round
from app.services.appraisal.voting import submit_vote

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
XIJIE = "141023100201"  # 西街村, officer1's (新城支行)
NANGUAN = "141023100205"  # 南关村, officer1's
FENCHENG = "141023103210"  # 汾城村, officer2's (汾城支行)


async def actor(username: str) -> Actor:
    return await auth.actor_for(await Officer.get(username=username))


async def village(code: str = XIJIE) -> Village:
    return await Village.get(division_code=code)


async def households(code: str = XIJIE) -> list[Household]:
    return await Household.filter(village__division_code=code).order_by("household_no")


async def appraisal_with_panel(*, code: str = XIJIE, by: str = "officer1", villagers: int = 2, officers: tuple[str, ...] = ("officer1",), rules: dict | None = None):
    """A draft appraisal with `villagers` villager representatives and the given officers on its panel."""
    who = await actor(by)
    appraisal = await create_appraisal(actor=who, village_id=(await village(code)).id, rules=rules or load_rules(None))
    members = []
    for i in range(villagers):
        members.append(await add_panel_member(actor=who, appraisal_id=appraisal.id, role="villager_rep" if i else "village_cadre", name=["李村长", "赵大伯", "孙大妈", "周会计"][i]))
    for username in officers:
        officer = await Officer.get(username=username)
        members.append(await add_panel_member(actor=who, appraisal_id=appraisal.id, role="officer", officer_id=officer.id))
    return appraisal, members


async def open_appraisal(**kwargs):
    appraisal, members = await appraisal_with_panel(**kwargs)
    appraisal = await open_round(actor=await actor(kwargs.get("by", "officer1")), appraisal_id=appraisal.id, now=NOW)
    return appraisal, members


async def vote(member, household, grade="good", amount="50000", reasons=(), knows=True, by=None):
    """A vote as its member casts it (an officer seat votes as that officer, a villager seat through the link)."""
    from app.services.appraisal.voting import link_actor

    who = await auth.actor_for(await Officer.get(id=member.officer_id)) if member.officer_id else link_actor(member)
    return await submit_vote(actor=by or who, member_id=member.id, household_id=household.id, knows=knows,
                             grade=grade if knows else None, amount=Money.from_yuan(amount) if knows and amount else None, reasons=list(reasons), now=NOW)
