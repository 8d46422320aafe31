"""Products of a bank: finding one by code, which products an actor may read, their settings as domain conventions.

A product code (BIANLI, …) names a product within one member bank: two banks may each have a BIANLI with
their own limits and spreads. Every lookup by code therefore names the bank — the bank of the branch,
customer or line at hand — and never searches across banks.
"""

from __future__ import annotations

from decimal import Decimal
from uuid import UUID

from tortoise.queryset import QuerySet

from app.domain.schedule import Conventions
from app.models import Product
from app.services.actor import Actor

PPM = Decimal(1_000_000)


async def active_product(bank_id: UUID | None, code: str) -> Product | None:
    """The bank's active product with this code (None when the bank has none, or no bank is given)."""
    if bank_id is None:
        return None
    return await Product.get_or_none(bank_id=bank_id, code=code, is_active=True)


def conventions_for(product: Product) -> Conventions:
    overrides = dict(product.conventions or {})
    if "allocation_order" in overrides:
        overrides["allocation_order"] = tuple(overrides["allocation_order"])
    return Conventions(penalty_multiplier=Decimal(product.penalty_multiplier_ppm) / PPM, **overrides)


def products_query(actor: Actor | None) -> QuerySet[Product]:
    """The products the actor may read: a bank's staff and report keys their own bank's (issue 15: another bank's
    catalogue is that bank's business); platform staff, the system, borrowers and the public catalogue every bank's."""
    query = Product.all()
    if actor is not None and actor.bank_id is not None:
        query = query.filter(bank_id=actor.bank_id)
    return query


async def products_visible(actor: Actor | None, ids: list[UUID]) -> dict[UUID, Product]:
    return {p.id: p for p in await products_query(actor).filter(id__in=ids)}
