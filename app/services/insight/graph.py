"""Relationship graph (关系图谱) around a customer, for officers: up to 3 hops, cycle-safe, in scope.

Edges: members of the same census household (同户), CustomerRelationship links (spouse,
family, co-borrower, guarantor) in either direction, and customers whose latest 公积金 answer (under a consent
still in force) names the same paying unit (同一公积金缴存单位, issue 20). A breadth-first walk keeps a visited set,
so cycles end it; customers outside the officer's branch tree are neither shown nor walked
through. Each hop costs six statements whatever its width (household members, links, scope, three for shared employers),
plus two for the links among the outermost customers and two at the end (the nodes and their tags); at most `MAX_NODES` customers are returned.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from uuid import UUID

from tortoise.expressions import Q, Subquery

from app.domain.errors import ValidationError
from app.domain.tags import Tag
from app.clock import now_utc
from app.domain.external_data import ExternalQueryStatus, ExternalSource
from app.models import Customer, CustomerRelationship, ExternalDataQuery, HouseholdMember
from app.domain.vocabulary import ActorType, RelationshipKind
from app.services.actor import Actor
from app.services.insight.tags import tags_of

MAX_HOPS = 3
MAX_NODES = 200
@dataclass(frozen=True, slots=True)
class GraphNode:
    customer_id: UUID
    name: str
    id_number_masked: str
    hops: int
    tags: list[Tag] = field(default_factory=list)
    updated_at: datetime | None = None  # the customer record's last business event (UTC)


@dataclass(frozen=True, slots=True)
class GraphEdge:
    source: UUID
    target: UUID
    kind: RelationshipKind

    @property
    def label(self) -> str:
        return self.kind.label


@dataclass(frozen=True, slots=True)
class RelationshipGraph:
    root: UUID
    nodes: list[GraphNode]
    edges: list[GraphEdge]
    truncated: bool  # MAX_NODES reached: some relations were not followed


async def _latest_employers(query) -> dict[UUID, str]:
    """Each customer's paying unit in their latest 公积金 answer under a consent in force."""
    out: dict[UUID, str] = {}
    rows = await (query.filter(source=ExternalSource.HOUSING_FUND, status=ExternalQueryStatus.OK, consent__revoked_at__isnull=True,
                               consent__expires_at__gt=now_utc()).order_by("-requested_at").values_list("customer_id", "employer"))
    for customer_id, employer in rows:
        out.setdefault(customer_id, employer)
    return {c: e for c, e in out.items() if e}


async def _shared_employers(frontier: set[UUID]) -> set[GraphEdge]:
    """Customers whose latest 公积金 answers name the same paying unit (three statements whatever the frontier's width)."""
    mine = await _latest_employers(ExternalDataQuery.filter(customer_id__in=list(frontier)))
    if not mine:
        return set()
    others = set(await ExternalDataQuery.filter(employer__in=sorted(set(mine.values()))).values_list("customer_id", flat=True)) - set(mine)
    theirs = await _latest_employers(ExternalDataQuery.filter(customer_id__in=list(others))) if others else {}
    by_employer: dict[str, set[UUID]] = {}
    for customer_id, employer in {**theirs, **mine}.items():
        by_employer.setdefault(employer, set()).add(customer_id)
    edges = set()
    for members in by_employer.values():
        for a in members & frontier:
            for b in members - {a}:
                edges.add(GraphEdge(*sorted((a, b), key=str), RelationshipKind.SHARED_EMPLOYER))
    return edges


async def _neighbours(frontier: set[UUID]) -> set[GraphEdge]:
    edges: set[GraphEdge] = set()
    households = Subquery(HouseholdMember.filter(customer_id__in=list(frontier)).values("household_id"))
    by_household: dict[UUID, set[UUID]] = {}
    for household, customer in await HouseholdMember.filter(household_id__in=households, customer_id__isnull=False).values_list("household_id", "customer_id"):
        by_household.setdefault(household, set()).add(customer)
    for members in by_household.values():
        for a in members & frontier:
            for b in members - {a}:
                edges.add(GraphEdge(*sorted((a, b), key=str), RelationshipKind.HOUSEHOLD))
    edges |= await _shared_employers(frontier)
    links = CustomerRelationship.filter(Q(customer_id__in=list(frontier)) | Q(related_id__in=list(frontier)))
    for source, target, kind in await links.values_list("customer_id", "related_id", "kind"):
        edges.add(GraphEdge(source, target, RelationshipKind(kind)))
    return edges


async def relationship_graph(*, actor: Actor, customer_id: UUID, hops: int = 2) -> RelationshipGraph | None:
    """The graph around `customer_id`, or None when the customer is missing or out of the officer's scope."""
    if not 1 <= hops <= MAX_HOPS:
        raise ValidationError(f"关系层数应在 1 到 {MAX_HOPS} 之间", field="hops")
    if actor.type != ActorType.OFFICER:
        return None
    allowed = list(actor.branch_ids)
    if not await Customer.filter(id=customer_id, branch_id__in=allowed).exists():
        return None
    distance = {customer_id: 0}
    frontier, edges, truncated = {customer_id}, set(), False
    for hop in range(1, hops + 1):
        found = await _neighbours(frontier)
        candidates = {n for e in found for n in (e.source, e.target)} - distance.keys()
        visible = set(await Customer.filter(id__in=list(candidates), branch_id__in=allowed).values_list("id", flat=True)) if candidates else set()
        room = MAX_NODES - len(distance)
        if len(visible) > room:
            visible, truncated = set(sorted(visible, key=str)[:room]), True
        for n in visible:
            distance[n] = hop
        edges |= {e for e in found if e.source in distance and e.target in distance}
        frontier = visible
        if not frontier or truncated:
            break
    if frontier and not truncated:  # links among the outermost customers themselves
        edges |= {e for e in await _neighbours(frontier) if e.source in distance and e.target in distance}
    rows = await Customer.filter(id__in=list(distance)).values_list("id", "name", "id_number_masked", "updated_at")
    tags = await tags_of(list(distance))
    nodes = sorted(
        (GraphNode(customer_id=i, name=name, id_number_masked=masked, hops=distance[i], tags=tags.get(i, []), updated_at=updated)
         for i, name, masked, updated in rows),
        key=lambda n: (n.hops, n.name, str(n.customer_id)),
    )
    return RelationshipGraph(root=customer_id, nodes=nodes, edges=sorted(edges, key=lambda e: (str(e.source), str(e.target), e.kind)), truncated=truncated)
