"""Branches and officers."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import strawberry
from strawberry import relay

from app.api.context import Info
from app.models import Branch as BranchModel
from app.models import Officer as OfficerModel
from app.domain.vocabulary import ROLE_LABELS
from app.domain.vocabulary import Role as RoleEnum
from app.services import org as org_service

Role = strawberry.enum(RoleEnum, name="Role", description="工作人员角色")


@strawberry.type(description="机构（总行、支行、网点）")
class Branch(relay.Node):
    key: relay.NodeID[str]
    code: str
    name: str

    @classmethod
    def from_model(cls, m: BranchModel) -> Branch:
        return cls(key=str(m.id), code=m.code, name=m.name)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await org_service.branches_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]


@strawberry.type(description="银行工作人员")
class Officer(relay.Node):
    key: relay.NodeID[str]
    username: str
    display_name: str
    role: Role
    role_label: str
    branch_id: strawberry.Private[UUID]

    @strawberry.field(description="所属机构")
    async def branch(self, info: Info) -> Branch:
        return Branch.from_model(await info.context.loaders.branch_by_id.load(self.branch_id))

    @classmethod
    def from_model(cls, m: OfficerModel) -> Officer:
        return cls(
            key=str(m.id),
            username=m.username,
            display_name=m.display_name,
            role=Role(m.role.value),
            role_label=ROLE_LABELS[RoleEnum(m.role)],
            branch_id=m.branch_id,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await org_service.officers_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]
