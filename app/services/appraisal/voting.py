"""初评 votes: one member, one household, once. What a member sees is only their own votes."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from uuid import UUID

from tortoise.exceptions import IntegrityError
from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain.appraisal import Status, check_ballot
from app.domain.error_codes import AppraisalCode
from app.domain.errors import Conflict, Forbidden, NotFound
from app.domain.money import Money
from app.models import Appraisal, Household, PanelMember, Product, Vote
from app.domain.vocabulary import ActorType, Relation
from app.services import audit
from app.services.actor import Actor
from app.services.appraisal.common import appraisal_for, link_matches, rules_of

NOT_ON_PANEL = "您不是本次评议小组的成员，不能评议"


async def member_for_officer(*, actor: Actor, appraisal_id: UUID) -> tuple[Appraisal, PanelMember]:
    """The signed-in officer's seat on the panel. The seat is the permission: an officer on the panel
    votes even when the village is not in their care; anyone else learns nothing about the appraisal."""
    member = await PanelMember.get_or_none(appraisal_id=appraisal_id, officer_id=actor.id) if actor.is_officer else None
    if member is None:
        await appraisal_for(actor, appraisal_id)  # NotFound when out of scope
        raise Forbidden(NOT_ON_PANEL, code=AppraisalCode.NOT_ON_PANEL)
    return await Appraisal.get(id=appraisal_id).prefetch_related("village"), member


async def seats_of(actor: Actor) -> list[tuple[Appraisal, PanelMember]]:
    """The open 初评 rounds where the officer has a seat (for a dashboard's “my ballots” list)."""
    if not actor.is_officer:
        return []
    seats = await PanelMember.filter(officer_id=actor.id, appraisal__status=Status.FIRST_ROUND).prefetch_related("appraisal__village")
    return [(m.appraisal, m) for m in seats]


async def member_for_link(*, vault: Vault, member_id: UUID, token: str) -> tuple[Appraisal, PanelMember]:
    """A villager's seat, from their personal link (unknown or revoked links are simply not found)."""
    member = await PanelMember.get_or_none(id=member_id)
    if member is None or member.officer_id is not None or not link_matches(vault, member.id, member.link_nonce, token):
        raise NotFound("评议链接无效或已被重新生成，请向客户经理索取新的链接", field="token")
    return await Appraisal.get(id=member.appraisal_id).prefetch_related("village"), member


def link_actor(member: PanelMember, *, request_id: str = "", ip: str = "") -> Actor:
    """The actor recorded for a villager voting through a link (no account; the member id goes in the audit)."""
    return Actor(type=ActorType.SYSTEM, display_name=f"评议员 {member.name}", request_id=request_id, ip=ip)


@dataclass(frozen=True, slots=True)
class BallotRow:
    household: Household
    head_name: str
    vote: Vote | None  # this member's own vote, never anyone else's


@dataclass(frozen=True, slots=True)
class BallotSheet:
    appraisal: Appraisal
    member: PanelMember
    rows: list[BallotRow]
    done: int
    max_amount_fen: int


async def ballot_sheet(*, appraisal: Appraisal, member: PanelMember) -> BallotSheet:
    """The households of the village with this member's own votes (the only votes it ever reads)."""
    households = await Household.filter(village_id=appraisal.village_id).prefetch_related("group", "members")
    households.sort(key=lambda h: (h.group.number if h.group else 10**6, h.household_no))
    own = {v.household_id: v for v in await Vote.filter(appraisal_id=appraisal.id, member_id=member.id)}
    rows = [
        BallotRow(household=h, head_name=next((m.name for m in h.members if m.relation == Relation.HEAD), "（未登记户主）"), vote=own.get(h.id))
        for h in households
    ]
    product = await Product.get(id=appraisal.product_id)
    return BallotSheet(appraisal=appraisal, member=member, rows=rows, done=len(own), max_amount_fen=product.max_principal_fen)


async def submit_vote(
    *,
    actor: Actor,
    member_id: UUID,
    household_id: UUID,
    knows: bool,
    grade: str | None,
    amount: Money | None,
    reasons: list[str],
    now: datetime,
) -> Vote:
    """Record one vote (`amount` None: no amount suggested). Refused: not on the panel, round not open or closed,
    a second vote on the same household."""
    amount_fen = amount.fen if amount is not None else None
    async with in_transaction():
        member = await PanelMember.get_or_none(id=member_id)
        if member is None:
            raise Forbidden(NOT_ON_PANEL, code=AppraisalCode.NOT_ON_PANEL)
        appraisal = await Appraisal.select_for_update().get(id=member.appraisal_id)  # serialises with closing the round
        officer_seat_ok = member.officer_id == actor.id if actor.type == ActorType.OFFICER else member.officer_id is None
        if not officer_seat_ok:  # an officer votes only in their own seat; a link voter only in a villager's seat
            raise Forbidden(NOT_ON_PANEL, code=AppraisalCode.NOT_ON_PANEL)
        if appraisal.status == Status.DRAFT:
            raise Conflict("初评尚未开始", code=AppraisalCode.ROUND_NOT_OPEN)
        if appraisal.status != Status.FIRST_ROUND:
            raise Conflict("初评已结束，不能再提交评议", code=AppraisalCode.ROUND_CLOSED)
        household = await Household.get_or_none(id=household_id, village_id=appraisal.village_id)
        if household is None:
            raise NotFound("该户不在本村", field="household_id")
        if await Vote.filter(appraisal_id=appraisal.id, member_id=member.id, household_id=household.id).exists():
            raise Conflict("您已评议过该户，评议提交后不能修改或重复提交", code=AppraisalCode.DUPLICATE_VOTE)
        product = await Product.get(id=appraisal.product_id)
        g, fen, codes = check_ballot(knows=knows, grade=grade, amount_fen=amount_fen, reasons=reasons, rules=rules_of(appraisal), max_amount_fen=product.max_principal_fen)
        try:
            async with in_transaction():  # a savepoint: a racing duplicate fails here, not the outer transaction
                vote = await Vote.create(appraisal_id=appraisal.id, member_id=member.id, household_id=household.id, knows_household=knows,
                                         grade=g, suggested_amount_fen=fen, exclusion_reasons=list(codes), submitted_at=now)
        except IntegrityError:
            raise Conflict("您已评议过该户，评议提交后不能修改或重复提交", code=AppraisalCode.DUPLICATE_VOTE) from None
        await audit.record(actor, "appraisal.vote", "appraisal", appraisal.id, after={"member_id": str(member.id), "household_id": str(household.id)})
    return vote


async def panel_progress(*, actor: Actor, appraisal_id: UUID) -> dict[UUID, int]:
    """How many households each member has voted on (counts only: the votes stay private)."""
    appraisal = await appraisal_for(actor, appraisal_id)
    counts: dict[UUID, int] = {m.id: 0 for m in await PanelMember.filter(appraisal_id=appraisal.id)}
    for member_id in await Vote.filter(appraisal_id=appraisal.id).values_list("member_id", flat=True):
        counts[member_id] = counts.get(member_id, 0) + 1
    return counts
