from __future__ import annotations

import strawberry

from app.api.context import Info
from app.api.org.types import Officer


@strawberry.type
class OrgQuery:
    @strawberry.field(description="当前登录的工作人员；未登录时为 null")
    def viewer(self, info: Info) -> Officer | None:
        officer = info.context.officer
        return Officer.from_model(officer) if officer is not None else None
