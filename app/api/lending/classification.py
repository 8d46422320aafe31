"""Five-tier classification doors: an officer's floor, the upgrade proposals and an approver's decision."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app.api.enums import ClassFloorKind, ClassUpgradeProposalStatus, LoanClassification
from app.api.context import Info
from app.api.arguments import INPUT
from app.api.errors import error_enum, payload_error
from app.api.ids import decode_id
from app.api.lending.types import Loan
from app.api.permissions import IsOfficer
from app.domain import error_codes as codes
from app.domain.classification import CLASS_LABELS, LoanClass
from app.domain.error_codes import CommonCode
from app.domain.errors import DomainError
from app.models import ClassUpgradeProposal as ProposalModel
from app.services import business_date
from app.services.lending.classification import decide_upgrade, pending_proposals, set_floor



ClassErrorCode = error_enum(
    "ClassErrorCode", "分类操作的错误代码", codes.CommonCode, codes.ClassificationCode, codes.LendingCode.LOAN_CLOSED,
)


@strawberry.type(description="分类操作错误")
class ClassError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 amount）；与某个输入无关时为 null")
    code: ClassErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


@strawberry.type(description="不良贷款上调建议（观察期满，待审批人判断）")
class ClassUpgradeProposal:
    id: strawberry.ID = strawberry.field(description="建议 ID（UUID）")
    raised_on: date = strawberry.field(description="提出日期（日终观察期满时）（业务日期，Asia/Shanghai）")
    observed_from: date = strawberry.field(description="观察期起始日（业务日期，Asia/Shanghai）")
    from_class: LoanClassification = strawberry.field(description="当前分类")
    from_class_label: str = strawberry.field(description="当前分类的中文名")
    proposed_class: LoanClassification = strawberry.field(description="建议上调到的分类")
    proposed_class_label: str = strawberry.field(description="建议分类的中文名")
    status: ClassUpgradeProposalStatus = strawberry.field(description="建议的状态")
    loan_id: strawberry.Private[object]

    @strawberry.field(description="借据")
    async def loan(self, info: Info) -> Loan | None:
        from app.models import Loan as LoanModel

        loan = await LoanModel.get_or_none(id=self.loan_id)
        return Loan.from_model(loan) if loan else None

    @classmethod
    def from_model(cls, m: ProposalModel) -> ClassUpgradeProposal:
        return cls(
            id=strawberry.ID(str(m.id)), raised_on=m.raised_on, observed_from=m.observed_from,
            from_class=LoanClassification(LoanClass(m.from_class).value), from_class_label=CLASS_LABELS[LoanClass(m.from_class)],
            proposed_class=LoanClassification(LoanClass(m.proposed_class).value), proposed_class_label=CLASS_LABELS[LoanClass(m.proposed_class)],
            status=ClassUpgradeProposalStatus(m.status), loan_id=m.loan_id,
        )


@strawberry.input(description="人工认定或重组的分类下限；floor 为空表示取消（不会自动上调不良贷款）")
class LoanClassFloorInput:
    loan_id: strawberry.ID = strawberry.field(description="借据的全局 ID（Loan.id）")
    reason: str = strawberry.field(description="认定理由（必填，记入审计）")
    floor: LoanClassification | None = strawberry.field(default=None, description="分类下限；为空表示取消下限")
    kind: ClassFloorKind = strawberry.field(default=ClassFloorKind.MANUAL, description="下限来源：MANUAL 人工认定（默认）或 RESTRUCTURED 重组")


@strawberry.input(description="审批上调建议；toClass 为空时按建议的分类")
class ClassUpgradeDecisionInput:
    proposal_id: strawberry.ID = strawberry.field(description="上调建议 ID（ClassUpgradeProposal.id）")
    approve: bool = strawberry.field(description="true 批准上调，false 否决")
    to_class: LoanClassification | None = strawberry.field(default=None, description="批准时上调到的分类；为空时按建议的分类")
    note: str = strawberry.field(default="", description="审批意见（可为空）")


@strawberry.type(description="loan 为空当且仅当 errors 非空")
class LoanClassFloorPayload:
    loan: Loan | None = strawberry.field(description="认定后的借据；出错时为 null")
    errors: list[ClassError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="proposal 为空当且仅当 errors 非空")
class ClassUpgradeDecisionPayload:
    proposal: ClassUpgradeProposal | None = strawberry.field(description="决定后的建议；出错时为 null")
    errors: list[ClassError] = strawberry.field(description="错误；成功时为空列表")


def _error(exc: DomainError) -> ClassError:
    return payload_error(ClassError, ClassErrorCode, exc)


@strawberry.type
class ClassificationQuery:
    @strawberry.field(description="待审批的分类上调建议（审批人、支行行长）", permission_classes=[IsOfficer])
    async def class_upgrade_proposals(self, info: Info) -> list[ClassUpgradeProposal]:
        try:
            rows = await pending_proposals(info.context.actor)
        except DomainError:
            return []
        return [ClassUpgradeProposal.from_model(p) for p in rows]


@strawberry.type
class ClassificationMutation:
    @strawberry.mutation(description="认定借据的分类下限（人工认定/重组），须填写理由", permission_classes=[IsOfficer])
    async def loan_class_floor_set(self, info: Info, input: Annotated[LoanClassFloorInput, INPUT]) -> LoanClassFloorPayload:
        try:
            loan = await set_floor(
                actor=info.context.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"),
                floor=input.floor.value if input.floor else None, kind=input.kind.value, reason=input.reason,
                today=await business_date.current(),
            )
        except DomainError as exc:
            return LoanClassFloorPayload(loan=None, errors=[_error(exc)])
        return LoanClassFloorPayload(loan=Loan.from_model(loan), errors=[])

    @strawberry.mutation(description="审批不良贷款的分类上调建议（审批人、支行行长）", permission_classes=[IsOfficer])
    async def class_upgrade_decide(self, info: Info, input: Annotated[ClassUpgradeDecisionInput, INPUT]) -> ClassUpgradeDecisionPayload:
        from uuid import UUID

        try:
            try:
                proposal_id = UUID(str(input.proposal_id))
            except ValueError:
                raise DomainError("上调建议不存在", code=CommonCode.NOT_FOUND, field="proposal_id") from None
            proposal = await decide_upgrade(
                actor=info.context.actor, proposal_id=proposal_id, approve=input.approve,
                to_class=input.to_class.value if input.to_class else None, note=input.note, today=await business_date.current(),
            )
        except DomainError as exc:
            return ClassUpgradeDecisionPayload(proposal=None, errors=[_error(exc)])
        return ClassUpgradeDecisionPayload(proposal=ClassUpgradeProposal.from_model(proposal), errors=[])
