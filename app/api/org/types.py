"""Member banks, branches and officers."""

from __future__ import annotations

from collections.abc import Iterable
from uuid import UUID

import strawberry
from strawberry import relay

from app.api.enums import Role, domain_enum
from app.api.context import Info
from app.models import Bank as BankModel
from app.models import Branch as BranchModel
from app.models import Officer as OfficerModel
from app.domain.vocabulary import ROLE_LABELS
from app.domain.vocabulary import BankKind as BankKindEnum
from app.domain.vocabulary import Role as RoleEnum
from app.services import org as org_service

BankKind = domain_enum(BankKindEnum, name="BankKind", description="法人行类型：农商行、农信联社")


@strawberry.type(description="法人行（平台下的成员银行）：合同抬头、合同编号前缀与电子印章按行区分")
class Bank:
    id: strawberry.ID = strawberry.field(description="法人行 ID（UUID）")
    code: str = strawberry.field(description="机构代码（核心系统对银行卡返回的开户机构号）")
    name: str = strawberry.field(description="简称，如 襄汾农商行")
    legal_name: str = strawberry.field(description="全称（合同抬头）")
    kind: BankKind = strawberry.field(description="类型")
    kind_label: str = strawberry.field(description="类型的中文名（农商行 / 农信联社）")
    address: str = strawberry.field(description="住所地址（合同所示）")
    legal_representative: str = strawberry.field(description="法定代表人（合同所示）")
    contract_prefix: str = strawberry.field(description="合同编号前缀")
    has_own_seal: bool = strawberry.field(description="是否使用本行自己的电子印章证书（否：本系统的签章配置）")
    is_active: bool = strawberry.field(description="是否在用：停用的法人行不再向客户提供线上产品（其银行卡视同非成员行的卡）")

    @classmethod
    def from_model(cls, m: BankModel) -> Bank:
        return cls(
            id=strawberry.ID(str(m.id)), code=m.code, name=m.name, legal_name=m.legal_name, kind=BankKind(m.kind.value),
            kind_label=BankKindEnum(m.kind).label, address=m.address, legal_representative=m.legal_representative,
            contract_prefix=m.contract_prefix, has_own_seal=bool(m.seal_cert_path), is_active=m.is_active,
        )


@strawberry.type(description="机构（总行、支行、网点）。谁能读：工作人员读本人辖内的机构")
class Branch(relay.Node):
    key: relay.NodeID[str]
    code: str = strawberry.field(description="机构编码")
    name: str = strawberry.field(description="机构名称")

    @classmethod
    def from_model(cls, m: BranchModel) -> Branch:
        return cls(key=str(m.id), code=m.code, name=m.name)

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        found = await org_service.branches_visible(info.context.actor, [UUID(i) for i in node_ids])
        return [cls.from_model(found[UUID(i)]) if UUID(i) in found else None for i in node_ids]


@strawberry.type(description="银行工作人员。谁能读：工作人员读本人（viewer）及辖内机构的工作人员")
class Officer(relay.Node):
    key: relay.NodeID[str]
    username: str = strawberry.field(description="登录用户名")
    display_name: str = strawberry.field(description="姓名")
    role: Role = strawberry.field(description="角色")
    role_label: str = strawberry.field(description="角色的中文名")
    branch_id: strawberry.Private[UUID]

    @strawberry.field(description="所属机构")
    async def branch(self, info: Info) -> Branch:
        return Branch.from_model(await info.context.loaders.branch_by_id.load(self.branch_id))

    @strawberry.field(description="所属法人行；平台工作人员为 null")
    async def bank(self, info: Info) -> Bank | None:
        bank = await org_service.bank_of_branch(self.branch_id)
        return Bank.from_model(bank) if bank is not None else None

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
