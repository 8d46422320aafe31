"""Product settings as domain conventions."""

from __future__ import annotations

from decimal import Decimal

from app.domain.schedule import Conventions
from app.models import Product

PPM = Decimal(1_000_000)


def conventions_for(product: Product) -> Conventions:
    overrides = dict(product.conventions or {})
    if "allocation_order" in overrides:
        overrides["allocation_order"] = tuple(overrides["allocation_order"])
    return Conventions(penalty_multiplier=Decimal(product.penalty_multiplier_ppm) / PPM, **overrides)
