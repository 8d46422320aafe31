"""Customer profile facts (occupation, land farmed, manual tags) that feed the tag rules; audited."""

from __future__ import annotations

from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.errors import NotFound, ValidationError
from app.domain.tags import Occupation, Tag
from app.models import Customer, CustomerProfile
from app.domain.vocabulary import ActorType
from app.services import audit
from app.services.actor import Actor

MAX_LAND_MU = 1_000_000


async def set_customer_profile(
    *, actor: Actor, customer_id: UUID, occupation: str | None = None, land_area_mu: int | None = None, manual_tags: list[str] | None = None
) -> CustomerProfile:
    """Create or replace the customer's profile facts (officers of the customer's branch tree, or the system)."""
    customer = await Customer.get_or_none(id=customer_id)
    in_scope = actor.type == ActorType.SYSTEM or (actor.is_officer and customer is not None and actor.in_branch(customer.branch_id))
    if customer is None or not in_scope:
        raise NotFound("客户不存在", field="customer_id")
    try:
        job = Occupation(occupation) if occupation else None
    except ValueError:
        raise ValidationError("职业无效", field="occupation") from None
    if land_area_mu is not None and not 0 <= land_area_mu <= MAX_LAND_MU:
        raise ValidationError("土地面积应在 0 到 1,000,000 亩之间", field="land_area_mu")
    try:
        manual = sorted({Tag(t).value for t in manual_tags or []})
    except ValueError:
        raise ValidationError("标签无效", field="manual_tags") from None
    values = {"occupation": job, "land_area_mu": land_area_mu, "manual_tags": manual}
    async with in_transaction():
        profile = await CustomerProfile.get_or_none(customer_id=customer.id)
        before = {"occupation": profile.occupation.value if profile and profile.occupation else None, "land_area_mu": profile.land_area_mu if profile else None,
                  "manual_tags": profile.manual_tags if profile else []}
        if profile is None:
            profile = await CustomerProfile.create(customer_id=customer.id, **values)
        else:
            await CustomerProfile.filter(id=profile.id).update(**values)
            profile = await CustomerProfile.get(id=profile.id)
        after = {"occupation": job.value if job else None, "land_area_mu": land_area_mu, "manual_tags": manual}
        await audit.record(actor, "customer_profile.set", "customer", customer.id, before=before, after=after)
    return profile
