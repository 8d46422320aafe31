"""Maker-checker (双人复核) and write-off doors: the pending requests, propose a write-off, approve or reject a request,
book a recovery. Resolvers translate; the rules are in app/services/maker_checker and app/services/lending/write_off.py."""

from __future__ import annotations

from datetime import date
from typing import Annotated
from uuid import UUID

import strawberry

from app import clock
from app.api.arguments import INPUT
from app.api.context import Info
from app.api.errors import error_enum, payload_error
from app.api.ids import decode_id
from app.api.enums import domain_enum
from app.api.permissions import IsOfficer
from app.api.scalars import DecimalString, fen
from app.domain import error_codes as codes
from app.domain.allowance import DEFAULT_POLICY as DEFAULT_ALLOWANCE
from app.domain.error_codes import CommonCode
from app.domain.extension import DEFAULT_POLICY as DEFAULT_EXTENSION
from app.domain.renewal import DEFAULT_POLICY as DEFAULT_RENEWAL
from app.domain.errors import DomainError
from app.domain.maker_checker import DEFAULT_POLICY as DEFAULT_MAKER_CHECKER
from app.domain.maker_checker import CommandKind as DomainKind
from app.domain.maker_checker import CommandStatus as DomainStatus
from app.domain.maker_checker import Effect
from app.domain.money import yuan_str
from app.models import PendingCommand as CommandModel
from app.services import business_date
from app.domain.vocabulary import ReversalMode as DomainReversalMode
from app.services.lending.reversal import propose_reversal
from app.services.lending.extension import propose_extension
from app.services.lending.renewal import propose_renewal
from app.services.lending.write_off import propose_write_off, record_recovery
from app.services.maker_checker.commands import approve, pending_queue, reject

CommandKind = domain_enum(DomainKind, description="需双人复核的业务种类")
CommandStatus = domain_enum(DomainStatus, description="复核申请的状态")
ReversalMode = domain_enum(DomainReversalMode, description="冲正的资金去向")

CommandErrorCode = error_enum(
    "CommandErrorCode", "双人复核与核销操作的错误代码", codes.CommonCode, codes.MakerCheckerCode, codes.LendingCode,
)


@strawberry.type(description="双人复核或核销操作的错误")
class CommandError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径）；与某个输入无关时为 null")
    code: CommandErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


@strawberry.type(description="影响中的一项：变更前与变更后")
class EffectFigure:
    label: str = strawberry.field(description="项目名称，如“贷款本金（表内）”")
    before: str | None = strawberry.field(description="变更前：金额为元（两位小数的字符串），比率等为文字")
    after: str | None = strawberry.field(description="变更后：金额为元（两位小数的字符串），比率等为文字")
    is_money: bool = strawberry.field(description="true 表示 before/after 是金额（元）")


@strawberry.type(description="业务执行后的影响（复核人据此审批）")
class CommandEffect:
    title: str = strawberry.field(description="标题，如“核销 张三 便利贷 …”")
    figures: list[EffectFigure] = strawberry.field(description="各项变更前后的数字")
    notes: list[str] = strawberry.field(description="说明（记账分录、账销案存、催收继续等）")

    @classmethod
    def from_effect(cls, e: Effect) -> CommandEffect:
        def text(value, money):
            return None if value is None else yuan_str(int(value)) if money else str(value)

        return cls(title=e.title, figures=[EffectFigure(label=f.label, before=text(f.before, f.money), after=text(f.after, f.money), is_money=f.money)
                                           for f in e.figures], notes=list(e.notes))


@strawberry.type(description="双人复核申请（待复核、已通过、已退回、已过期或执行失败，均保留）")
class Command:
    id: strawberry.ID = strawberry.field(description="申请 ID（UUID）")
    kind: CommandKind = strawberry.field(description="业务种类")
    status: CommandStatus = strawberry.field(description="状态")
    subject: str = strawberry.field(description="对象（借据等，不含证件号码）")
    reason: str = strawberry.field(description="发起人的申请理由")
    made_on: date = strawberry.field(description="发起时的会计日期（业务日期，Asia/Shanghai）")
    effect_seen: CommandEffect = strawberry.field(description="发起人提交时看到的影响")
    effect_checked: CommandEffect | None = strawberry.field(description="复核人决定时重新计算的影响；未决定时为 null")
    check_note: str = strawberry.field(description="复核意见或退回理由")
    error: str = strawberry.field(description="执行失败的原因（未做任何变更）；其他状态为空")

    @classmethod
    def from_model(cls, m: CommandModel) -> Command:
        return cls(
            id=strawberry.ID(str(m.id)), kind=CommandKind(DomainKind(m.kind)), status=CommandStatus(DomainStatus(m.status)), subject=m.subject,
            reason=m.reason, made_on=m.made_on, effect_seen=CommandEffect.from_effect(Effect.from_json(m.preview)),
            effect_checked=CommandEffect.from_effect(Effect.from_json(m.check_preview)) if m.check_preview else None,
            check_note=m.check_note, error=m.error,
        )


@strawberry.input(description="提出贷款核销（由总行审批人复核后执行）")
class LoanWriteOffProposeInput:
    loan_id: strawberry.ID = strawberry.field(description="借据的全局 ID（Loan.id）")
    reason: str = strawberry.field(description="核销理由（必填）")


@strawberry.input(description="提出冲正（当日、日终前）：生成待复核申请，由本支行审批人或行长复核后执行")
class LoanReversalProposeInput:
    transaction_id: strawberry.ID = strawberry.field(description="要冲正的还款、提前还款或放款交易的 ID（Transaction.id）")
    mode: ReversalMode = strawberry.field(description="资金去向：退回借款人银行卡，或调账至正确借据")
    target_loan_id: strawberry.ID | None = strawberry.field(default=None, description="调账时调入借据的全局 ID（Loan.id）；退款时为 null")
    reason: str = strawberry.field(description="冲正理由（必填）")


@strawberry.input(description="提出贷款展期（到期前，借款人申请）：由审批人或支行行长复核后执行")
class LoanExtendProposeInput:
    loan_id: strawberry.ID = strawberry.field(description="借据的全局 ID（Loan.id）")
    months: int = strawberry.field(description="展期期限（月）：短期贷款累计不超过原期限，中期不超过原期限一半，长期不超过 3 年")
    reason: str = strawberry.field(description="展期理由（必填）")
    restructured: bool = strawberry.field(default=False, description="借款人财务困难（按重组贷款管理：分类不优于关注并进入观察期）")


@strawberry.input(description="提出无还本续贷（借新还旧，到期时，经营用途贷款）：由审批人或支行行长复核后执行")
class LoanRenewProposeInput:
    loan_id: strawberry.ID = strawberry.field(description="到期借据的全局 ID（Loan.id）：新借据以其剩余本金归还之，不划转资金")
    term_months: int = strawberry.field(description="新借据期限（月），在产品与额度允许的期限内")
    reason: str = strawberry.field(description="续贷理由（必填）")


@strawberry.input(description="复核通过一项申请：重新计算影响后执行，只执行一次")
class CommandApproveInput:
    command_id: strawberry.ID = strawberry.field(description="申请 ID（Command.id）")
    note: str = strawberry.field(default="", description="复核意见（可为空）")


@strawberry.input(description="退回一项申请（保留记录）")
class CommandRejectInput:
    command_id: strawberry.ID = strawberry.field(description="申请 ID（Command.id）")
    note: str = strawberry.field(description="退回理由（必填）")


@strawberry.input(description="核销后收回：从借据绑定的银行卡扣款，先收本金后收利息")
class LoanRecoverInput:
    loan_id: strawberry.ID = strawberry.field(description="已核销借据的全局 ID（Loan.id）")
    amount: DecimalString = strawberry.field(description="收回金额（元，两位小数的字符串，如 \"1200.00\"），不超过核销后尚欠的本息")
    idempotency_key: UUID = strawberry.field(description="幂等键：客户端生成的 UUID；重试时使用同一个值，返回第一次的结果")


@strawberry.type(description="command 为空当且仅当 errors 非空")
class CommandPayload:
    command: Command | None = strawberry.field(description="申请；出错时为 null")
    errors: list[CommandError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="一笔核销后收回")
class WriteOffRecovery:
    amount: DecimalString = strawberry.field(description="收回金额（元）")
    principal: DecimalString = strawberry.field(description="其中本金（元）：恢复贷款损失准备")
    interest: DecimalString = strawberry.field(description="其中利息（元）：计入利息收入")
    business_on: date = strawberry.field(description="会计日期（业务日期，Asia/Shanghai）")


@strawberry.type(description="recovery 为空当且仅当 errors 非空")
class LoanRecoverPayload:
    recovery: WriteOffRecovery | None = strawberry.field(description="收回记录；出错时为 null")
    errors: list[CommandError] = strawberry.field(description="错误；成功时为空列表")


def _error(exc: DomainError) -> CommandError:
    return payload_error(CommandError, CommandErrorCode, exc)


def _command_id(value: strawberry.ID) -> UUID:
    return _uuid(value, "command_id", "复核申请不存在")


def _uuid(value: strawberry.ID, field: str, message: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise DomainError(message, code=CommonCode.NOT_FOUND, field=field) from None


def _state(info: Info):
    return info.context.request.app.state if info.context.request is not None else None


@strawberry.type
class MakerCheckerQuery:
    @strawberry.field(description="待复核：本人可以复核的待审申请（含本人发起的，本人不能复核）", permission_classes=[IsOfficer])
    async def commands_pending(self, info: Info) -> list[Command]:
        return [Command.from_model(c) for c in await pending_queue(actor=info.context.actor, now=clock.now_utc())]


@strawberry.type
class MakerCheckerMutation:
    @strawberry.mutation(description="提出贷款核销（支行）：生成待复核申请，由总行审批人复核", permission_classes=[IsOfficer])
    async def loan_write_off_propose(self, info: Info, input: Annotated[LoanWriteOffProposeInput, INPUT]) -> CommandPayload:
        state = _state(info)
        try:
            command = await propose_write_off(
                actor=info.context.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"), reason=input.reason,
                today=await business_date.current(), now=clock.now_utc(),
                policy=getattr(state, "maker_checker_policy", DEFAULT_MAKER_CHECKER), allowance=getattr(state, "allowance_policy", DEFAULT_ALLOWANCE),
            )
        except DomainError as exc:
            return CommandPayload(command=None, errors=[_error(exc)])
        return CommandPayload(command=Command.from_model(command), errors=[])

    @strawberry.mutation(description="提出冲正（支行）：当日记错的还款、提前还款或放款，经核心系统退款/收回或调账至正确借据；"
                                     "生成待复核申请，由本支行审批人或行长复核。已过日终的交易暂不支持冲正", permission_classes=[IsOfficer])
    async def loan_reversal_propose(self, info: Info, input: Annotated[LoanReversalProposeInput, INPUT]) -> CommandPayload:
        state = _state(info)
        try:
            target = decode_id(input.target_loan_id, "Loan", field="target_loan_id") if input.target_loan_id else None
            command = await propose_reversal(
                actor=info.context.actor, transaction_id=_uuid(input.transaction_id, "transaction_id", "交易不存在"),
                mode=DomainReversalMode(input.mode.value), target_loan_id=target, reason=input.reason, today=await business_date.current(),
                now=clock.now_utc(), policy=getattr(state, "maker_checker_policy", DEFAULT_MAKER_CHECKER),
                ports={"core": info.context.core, "vault": info.context.vault},
            )
        except DomainError as exc:
            return CommandPayload(command=None, errors=[_error(exc)])
        return CommandPayload(command=Command.from_model(command), errors=[])

    @strawberry.mutation(description="提出贷款展期：生成待复核申请，由审批人或支行行长复核后重排还款计划", permission_classes=[IsOfficer])
    async def loan_extend_propose(self, info: Info, input: Annotated[LoanExtendProposeInput, INPUT]) -> CommandPayload:
        state = _state(info)
        try:
            command = await propose_extension(
                actor=info.context.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"), months=input.months,
                restructured=input.restructured, reason=input.reason, today=await business_date.current(), now=clock.now_utc(),
                policy=getattr(state, "maker_checker_policy", DEFAULT_MAKER_CHECKER),
                extension=getattr(state, "extension_policy", DEFAULT_EXTENSION),
            )
        except DomainError as exc:
            return CommandPayload(command=None, errors=[_error(exc)])
        return CommandPayload(command=Command.from_model(command), errors=[])

    @strawberry.mutation(description="提出无还本续贷：生成待复核申请，复核通过后新借据归还旧借据本金（旧借据利息、罚息须先以现金结清）",
                         permission_classes=[IsOfficer])
    async def loan_renew_propose(self, info: Info, input: Annotated[LoanRenewProposeInput, INPUT]) -> CommandPayload:
        state = _state(info)
        try:
            command = await propose_renewal(
                actor=info.context.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"), term_months=input.term_months,
                reason=input.reason, today=await business_date.current(), now=clock.now_utc(),
                policy=getattr(state, "maker_checker_policy", DEFAULT_MAKER_CHECKER), renewal=getattr(state, "renewal_policy", DEFAULT_RENEWAL),
            )
        except DomainError as exc:
            return CommandPayload(command=None, errors=[_error(exc)])
        return CommandPayload(command=Command.from_model(command), errors=[])

    @strawberry.mutation(description="复核通过：重新计算影响并执行（发起人本人不能复核）", permission_classes=[IsOfficer])
    async def command_approve(self, info: Info, input: Annotated[CommandApproveInput, INPUT]) -> CommandPayload:
        try:
            command = await approve(actor=info.context.actor, command_id=_command_id(input.command_id), today=await business_date.current(),
                                    now=clock.now_utc(), note=input.note, ports={"core": info.context.core, "vault": info.context.vault})
        except DomainError as exc:
            return CommandPayload(command=None, errors=[_error(exc)])
        return CommandPayload(command=Command.from_model(command), errors=[])

    @strawberry.mutation(description="退回申请（须填写理由，记录保留）", permission_classes=[IsOfficer])
    async def command_reject(self, info: Info, input: Annotated[CommandRejectInput, INPUT]) -> CommandPayload:
        try:
            command = await reject(actor=info.context.actor, command_id=_command_id(input.command_id), note=input.note,
                                   today=await business_date.current(), now=clock.now_utc())
        except DomainError as exc:
            return CommandPayload(command=None, errors=[_error(exc)])
        return CommandPayload(command=Command.from_model(command), errors=[])

    @strawberry.mutation(description="核销后收回：本金恢复贷款损失准备，利息计入利息收入，表外登记相应减少", permission_classes=[IsOfficer])
    async def loan_recover(self, info: Info, input: Annotated[LoanRecoverInput, INPUT]) -> LoanRecoverPayload:
        ctx = info.context
        try:
            r = await record_recovery(
                actor=ctx.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"), amount_fen=fen(input.amount, field="amount"),
                idempotency_key=input.idempotency_key, today=await business_date.current(), core=ctx.core, vault=ctx.vault,
            )
        except DomainError as exc:
            return LoanRecoverPayload(recovery=None, errors=[_error(exc)])
        return LoanRecoverPayload(recovery=WriteOffRecovery(amount=yuan_str(r.amount_fen), principal=yuan_str(r.principal_fen),
                                                            interest=yuan_str(r.interest_fen), business_on=r.business_on), errors=[])
