"""Five-tier classification doors: an officer's floor, the upgrade proposals and an approver's decision."""

from __future__ import annotations

from datetime import date

import strawberry

from app.api.enums import domain_enum
from app.api.context import Info
from app.api.errors import error_enum, payload_error
from app.api.ids import decode_id
from app.api.lending.types import Loan
from app.api.permissions import IsOfficer
from app.domain import error_codes as codes
from app.domain.classification import CLASS_LABELS, FLOOR_LABELS, FloorKind, LoanClass
from app.domain.error_codes import CommonCode
from app.domain.errors import DomainError
from app.models import ClassUpgradeProposal as ProposalModel
from app.services import business_date
from app.services.lending.classification import decide_upgrade, pending_proposals, set_floor

LoanClassification = domain_enum(LoanClass, name="LoanClassification", description="贷款五级分类（正常、关注、次级、可疑、损失；后三类为不良）")

ClassFloorKind = domain_enum(FloorKind, name="ClassFloorKind", description="分类下限的来源", labels=FLOOR_LABELS)


ClassErrorCode = error_enum(
    "ClassErrorCode", "分类操作的错误代码", codes.CommonCode, codes.ClassificationCode, codes.LendingCode.LOAN_CLOSED,
)


@strawberry.type(description="分类操作错误")
class ClassError:
    field: str | None
    code: ClassErrorCode
    message: str


@strawberry.type(description="不良贷款上调建议（观察期满，待审批人判断）")
class ClassUpgradeProposal:
    id: strawberry.ID
    raised_on: date
    observed_from: date
    from_class: LoanClassification
    from_class_label: str
    proposed_class: LoanClassification
    proposed_class_label: str
    status: str
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
            status=m.status, loan_id=m.loan_id,
        )


@strawberry.input(description="人工认定或重组的分类下限；floor 为空表示取消（不会自动上调不良贷款）")
class LoanClassFloorInput:
    loan_id: strawberry.ID
    reason: str
    floor: LoanClassification | None = None
    kind: ClassFloorKind = ClassFloorKind.MANUAL


@strawberry.input(description="审批上调建议；toClass 为空时按建议的分类")
class ClassUpgradeDecisionInput:
    proposal_id: strawberry.ID
    approve: bool
    to_class: LoanClassification | None = None
    note: str = ""


@strawberry.type
class LoanClassFloorPayload:
    loan: Loan | None
    errors: list[ClassError]


@strawberry.type
class ClassUpgradeDecisionPayload:
    proposal: ClassUpgradeProposal | None
    errors: list[ClassError]


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
    async def loan_class_floor_set(self, info: Info, input: LoanClassFloorInput) -> LoanClassFloorPayload:
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
    async def class_upgrade_decide(self, info: Info, input: ClassUpgradeDecisionInput) -> ClassUpgradeDecisionPayload:
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
