"""The signed-in borrower's `me`."""

from __future__ import annotations

import strawberry

from app.api.context import Info
from app.api.customers.types import CustomerViewer
from app.domain.vocabulary import ActorType
from app.services.customers.home import customer_of


@strawberry.type
class CustomerQuery:
    @strawberry.field(description="手机银行当前登录的客户；未以客户身份登录时为 null（工作人员见 viewer）")
    async def me(self, info: Info) -> CustomerViewer | None:
        actor = info.context.actor
        if actor is None or actor.type != ActorType.CUSTOMER or actor.id is None:
            return None
        customer = await customer_of(actor)
        return CustomerViewer.from_model(customer) if customer is not None else None
