from __future__ import annotations

import strawberry

from app.api.context import Info
from app.api.org.types import Bank, Officer
from app.services import org as org_service


@strawberry.type
class OrgQuery:
    @strawberry.field(description="当前登录的工作人员；未登录时为 null")
    def viewer(self, info: Info) -> Officer | None:
        officer = info.context.officer
        return Officer.from_model(officer) if officer is not None else None

    @strawberry.field(description="可见的法人行（按机构代码）：平台工作人员为全部法人行，法人行工作人员为本行；未登录为空列表")
    async def banks(self, info: Info) -> list[Bank]:
        return [Bank.from_model(b) for b in await org_service.banks_visible(info.context.actor)]
