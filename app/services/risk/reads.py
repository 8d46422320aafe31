"""Reads for the risk screens and API: a customer's decisions, list entries, the active rule set."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from uuid import UUID

from tortoise.expressions import Q

from app.domain.permissions import Action
from app.domain.errors import NotFound
from app.models import ListEntry, RiskDecision, RiskStrategyDecision, RuleSetVersion
from app.domain.vocabulary import ActorType, Role
from app.models.risk import ListKind, RuleSetKind
from app.services.actor import Actor
from app.services.risk.common import customer_in_scope
from app.services.risk.lists import bank_lists
from app.services.risk.rulesets import online_strategies
from app.services.permissions import may


async def _customer_visible(actor: Actor | None, customer_id: UUID) -> bool:
    if actor is None or not (actor.is_officer or actor.type == ActorType.SYSTEM):
        return False
    try:
        await customer_in_scope(actor, customer_id)
    except NotFound:
        return False
    return True


async def decisions_for(actor: Actor | None, customer_id: UUID, *, limit: int = 20) -> list[RiskDecision]:
    """A customer's risk decisions, newest first; empty when the customer is missing or out of scope."""
    if not await _customer_visible(actor, customer_id):
        return []
    return await RiskDecision.filter(customer_id=customer_id).order_by("-decided_at").limit(max(1, min(limit, 100)))


async def strategy_decisions_for(actor: Actor | None, customer_id: UUID, *, limit: int = 20) -> list[RiskStrategyDecision]:
    """A customer's admission/anti-fraud/limit/pricing decisions, newest first; empty as `decisions_for`."""
    if not await _customer_visible(actor, customer_id):
        return []
    return await RiskStrategyDecision.filter(customer_id=customer_id).order_by("-decided_at").limit(max(1, min(limit, 100)))


def may_manage_lists(actor: Actor | None) -> bool:
    return may(actor, Action.LIST_MANAGE)


def list_entries_query(actor: Actor | None, *, today: date, list_kind: ListKind | str | None = None, include_inactive: bool = False):
    """Black/grey list entries for those who keep the lists (others get none): their bank's and the platform's; in force only by default."""
    query = ListEntry.all()
    if not may_manage_lists(actor):
        return query.filter(id__isnull=True)
    query = query.filter(bank_lists(actor.bank_id))  # the bank's own list and the platform's, never another bank's
    if list_kind:
        query = query.filter(list_kind=ListKind(list_kind))
    if not include_inactive:
        query = query.filter(removed_at=None).filter(Q(expires_on=None) | Q(expires_on__gt=today))
    return query


async def list_entries(actor: Actor | None, *, today: date, limit: int) -> list[ListEntry]:
    """The entries in force, newest first, each with who added it (none for those who do not keep the lists)."""
    return await list_entries_query(actor, today=today).order_by("-created_at").limit(limit).prefetch_related("created_by")


@dataclass(frozen=True)
class RuleSetOverview:
    bank_id: UUID | None  # whose page: the admin's bank (None: the platform's)
    versions: list[RuleSetVersion]  # the 20 newest uploads of the bank and of the platform, each with its uploader
    active: dict[str, RuleSetVersion]  # by kind: the version that applies to the bank's decisions (its own, else the platform default)
    defaults: dict[str, RuleSetVersion]  # by kind: the platform default in force (what a bank's own version replaces)
    recent: list[RiskDecision]  # the 10 newest reject/review decisions, each with its customer
    recent_strategy: list[RiskStrategyDecision]
    # online product strategies, by product code: (version, source label, stored version or None for the shipped file)
    online: list[tuple[str, str, str, RuleSetVersion | None]] = ()


async def ruleset_overview(actor: Actor | None) -> RuleSetOverview:
    """The rule-set page of an administrator (anyone else: not found)."""
    if actor is None or actor.role != Role.ADMIN:
        raise NotFound("页面不存在或您无权查看。")
    flagged = ["reject", "review"]
    bank_id = actor.bank_id
    owners = Q(bank_id=None) | Q(bank_id=bank_id) if bank_id is not None else Q(bank_id=None)
    active_rows = await RuleSetVersion.filter(owners, is_active=True).prefetch_related("uploaded_by")
    active_rows = [row for row in active_rows if row.kind != RuleSetKind.ONLINE]  # per product, below
    defaults = {row.kind.value: row for row in active_rows if row.bank_id is None}
    # a bank's decisions are its customers'; the platform's page reads every bank's
    customers = {"customer__bank_id": bank_id} if bank_id is not None else {}
    return RuleSetOverview(
        bank_id=bank_id,
        versions=await RuleSetVersion.filter(owners).order_by("-created_at").limit(20).prefetch_related("uploaded_by"),
        active={**defaults, **{row.kind.value: row for row in active_rows if row.bank_id is not None}},
        defaults=defaults,
        recent=await RiskDecision.filter(decision__in=flagged, **customers).order_by("-decided_at").limit(10).prefetch_related("customer"),
        recent_strategy=await RiskStrategyDecision.filter(decision__in=flagged, **customers).order_by("-decided_at").limit(10).prefetch_related("customer"),
        online=[(code, strategy.version, strategy.source_label, row) for code, (strategy, row) in sorted((await online_strategies(bank_id)).items())],
    )
