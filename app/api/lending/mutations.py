from __future__ import annotations

from datetime import date
from enum import Enum
from typing import Annotated
from uuid import UUID

import strawberry
from strawberry.relay import GlobalID

from app import clock

from app.api.context import Info
from app.api.ids import decode_id
from app.api.lending.maker_checker import Command
from app.api.lending.queries import loan_error
from app.api.lending.types import Loan, LoanError, LprRate, RepaymentMethod
from app.api.arguments import AFTER, FIRST, INPUT
from app.api.pagination import Connection, paginate_newest_first
from app.api.permissions import IsCustomer, IsOfficer, IsSignedIn
from app.api.scalars import DecimalString, fen, optional_fen, rate_ppm
from app.domain.errors import DomainError, NotFound
from app.domain.maker_checker import DEFAULT_POLICY as DEFAULT_MAKER_CHECKER
from app.models import Loan as LoanModel
from app.services import business_date
from app.services.lending.counter_drawdown import counter_draw_down
from app.services.maker_checker.commands import is_command
from app.domain.extension import DEFAULT_POLICY as DEFAULT_EXTENSION
from app.api.enums import domain_enum
from app.domain.vocabulary import ExtensionApplicationStatus as DomainApplicationStatus
from app.services.lending.extension import application_state, apply_for_extension, decline_extension_application, extension_applications_query
from app.services.lending.pricing import publish_lpr
from app.services.lending.repayment import prepay, repay


@strawberry.input(description="用信（提款）")
class LoanDrawdownInput:
    credit_line_id: strawberry.ID = strawberry.field(description="授信额度的全局 ID（CreditLine.id）")
    amount: DecimalString = strawberry.field(description="借款金额（元，两位小数的字符串，如 \"1200.00\"）")
    term_months: int = strawberry.field(description="期限（月）")
    method: RepaymentMethod = strawberry.field(description="还款方式")
    idempotency_key: UUID = strawberry.field(description="幂等键：客户端生成的 UUID；重试时使用同一个值，返回第一次的结果")


@strawberry.input(description="归还到期款项")
class LoanRepayInput:
    loan_id: strawberry.ID = strawberry.field(description="借据的全局 ID（Loan.id）")
    amount: DecimalString = strawberry.field(description="还款金额（元，两位小数的字符串，如 \"1200.00\"），不超过当前到期及逾期应还合计")
    idempotency_key: UUID = strawberry.field(description="幂等键：客户端生成的 UUID；重试时使用同一个值，返回第一次的结果")


@strawberry.input(description="提前还款：部分还本金（amount），或全部结清（payoff: true，amount 为空）")
class LoanPrepayInput:
    loan_id: strawberry.ID = strawberry.field(description="借据的全局 ID（Loan.id）")
    idempotency_key: UUID = strawberry.field(description="幂等键：客户端生成的 UUID；重试时使用同一个值，返回第一次的结果")
    amount: DecimalString | None = strawberry.field(default=None, description="提前归还的本金（元，两位小数的字符串，如 \"1200.00\"）；全部结清时为空")
    payoff: bool = strawberry.field(default=False, description="全部结清：须明确选择；amount 为空或足以结清时必须为 true")


@strawberry.input(description="录入 LPR 报价")
class LprPublishInput:
    published_on: date = strawberry.field(description="发布日期（业务日期，Asia/Shanghai）")
    one_year_percent: DecimalString = strawberry.field(description="一年期 LPR（百分数字符串，如 \"3.45\"）")
    five_year_percent: DecimalString = strawberry.field(description="五年期以上 LPR（百分数字符串，如 \"3.95\"）")
    scheduled: bool = strawberry.field(default=False, description="发布日期晚于当前会计日期时必须为 true：预定生效的利率")


@strawberry.input(description="借款人申请展期（到期日前）：客户经理受理后提出展期，经复核生效")
class LoanExtensionApplyInput:
    loan_id: strawberry.ID = strawberry.field(description="本人借据的全局 ID（Loan.id）")
    months: int = strawberry.field(description="申请展期的月数：短期贷款累计不超过原期限，中期不超过原期限的一半，长期不超过 3 年")
    reason: str = strawberry.field(description="申请展期的原因（必填，最多 256 字）")


ExtensionApplicationStatus = domain_enum(DomainApplicationStatus, description="展期申请在客户经理处的状态（PENDING 待受理，PROPOSED 已提出展期，DECLINED 不予受理，EXPIRED 到期前未受理）")


@strawberry.enum(description="借款人看到的展期申请进度")
class ExtensionApplicationProgress(Enum):
    SUBMITTED = strawberry.enum_value("submitted", description="已提交，待客户经理受理")
    PROPOSED = strawberry.enum_value("proposed", description="客户经理已受理并提出展期，审批中（双人复核）")
    APPROVED = strawberry.enum_value("approved", description="已批准并完成展期（借款的到期日和还款计划已改变）")
    DECLINED = strawberry.enum_value("declined", description="未获批准：客户经理不予受理，或审批人退回；原因见 outcomeReason")
    EXPIRED = strawberry.enum_value("expired", description="已过期：借款到期前未受理，或审批未在时限内完成；原因见 outcomeReason")


@strawberry.type(description="借款人在手机银行提交的展期申请")
class ExtensionApplication:
    id: strawberry.ID = strawberry.field(description="展期申请的 ID")
    loan_id: strawberry.ID = strawberry.field(description="借据的全局 ID（Loan.id）")
    months: int = strawberry.field(description="申请展期的月数")
    reason: str = strawberry.field(description="申请原因")
    applied_on: date = strawberry.field(description="申请日期（会计日期）")
    status: ExtensionApplicationStatus = strawberry.field(description="在客户经理处的状态；借款人看进度请用 progress")
    status_label: str = strawberry.field(description="status 的中文说明")
    progress: ExtensionApplicationProgress = strawberry.field(description="办理进度：已提交、审批中、已批准、未获批准或已过期")
    progress_label: str = strawberry.field(description="progress 的中文说明（可直接展示给借款人）")
    outcome_reason: str | None = strawberry.field(description="未获批准或过期的原因（中文，可直接展示）；其他进度为 null")
    decided_on: date | None = strawberry.field(description="批准、不予受理、退回或过期的日期（会计日期）；尚在办理时为 null")

    @classmethod
    def from_model(cls, m) -> ExtensionApplication:
        return cls.from_state(application_state(m))

    @classmethod
    def from_state(cls, state) -> ExtensionApplication:
        m = state.application
        status = DomainApplicationStatus(m.status)
        return cls(id=strawberry.ID(str(m.id)), loan_id=strawberry.ID(str(GlobalID("Loan", str(m.loan_id)))), months=m.months, reason=m.reason,
                   applied_on=m.applied_on, status=ExtensionApplicationStatus(status.value), status_label=status.label,
                   progress=ExtensionApplicationProgress(state.status), progress_label=state.label, outcome_reason=state.reason or None,
                   decided_on=state.decided_on)


@strawberry.type
class ExtensionApplicationQuery:
    @strawberry.field(description="本人的展期申请（各种进度，含未获批准与过期的及其原因），按提交时刻最新在前；loanId 只看一笔借款的",
                      permission_classes=[IsCustomer])
    async def loan_extension_applications(
        self, info: Info,
        loan_id: Annotated[strawberry.ID | None, strawberry.argument(description="借据的全局 ID（Loan.id）；为空时列出全部借款的申请")] = None,
        first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
    ) -> Connection[ExtensionApplication]:
        loan = decode_id(loan_id, "Loan", field="loan_id") if loan_id is not None else None
        return await paginate_newest_first(extension_applications_query(info.context.actor, loan_id=loan), first, after, ExtensionApplication.from_model)


    @strawberry.field(description="待受理的展期申请（工作人员：辖内借据的，借款人在手机银行提交、尚未提出展期或不予受理的），按提交时刻最新在前；"
                                  "loanId 只看一笔借款的。受理即提出展期（loanExtendPropose），不予受理用 loanExtensionApplicationDecline",
                      permission_classes=[IsOfficer])
    async def extension_applications_pending(
        self, info: Info,
        loan_id: Annotated[strawberry.ID | None, strawberry.argument(description="借据的全局 ID（Loan.id）；为空时列出辖内全部借款的")] = None,
        first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
    ) -> Connection[ExtensionApplication]:
        loan = decode_id(loan_id, "Loan", field="loan_id") if loan_id is not None else None
        query = extension_applications_query(info.context.actor, loan_id=loan, pending_only=True)
        return await paginate_newest_first(query, first, after, ExtensionApplication.from_model)


@strawberry.input(description="不予受理借款人的展期申请：原因借款人在手机银行中可见")
class LoanExtensionApplicationDeclineInput:
    application_id: strawberry.ID = strawberry.field(description="展期申请的 ID（ExtensionApplication.id）")
    reason: str = strawberry.field(description="不予受理的原因（必填，最多 200 字；借款人可见）")


@strawberry.type(description="application 为空当且仅当 errors 非空")
class LoanExtensionApplicationDeclinePayload:
    application: ExtensionApplication | None = strawberry.field(description="不予受理后的展期申请；出错时为 null")
    errors: list[LoanError] = strawberry.field(description="错误；成功时为空列表（代码：NOT_FOUND 申请不存在或不在辖内，REASON_REQUIRED 未填原因，"
                                                           "INVALID 原因过长，WRONG_STATUS 申请已受理、已处理或已过期）")


@strawberry.type(description="application 为空当且仅当 errors 非空")
class LoanExtensionApplyPayload:
    application: ExtensionApplication | None = strawberry.field(description="展期申请；出错时为 null")
    errors: list[LoanError] = strawberry.field(description="错误；成功时为空列表（代码：NOT_FOUND 非本人借据，LOAN_MATURED 已到期，"
                                                           "ALREADY_EXTENDED 已展期，INVALID_TERM 超过展期期限，OVERDUE_FIRST 有逾期，"
                                                           "EXTENSION_PENDING 已有申请在办理）")


@strawberry.type(description="成功时 loan 与 command 至少一个非空；errors 非空时两者均为 null")
class LoanDrawdownPayload:
    loan: Loan | None = strawberry.field(description="新借据；待复核或出错时为 null")
    command: Command | None = strawberry.field(default=None, description="金额超过柜面用信复核金额时的双人复核申请：PENDING 待复核，复核通过后放款（设置未列入复核时为 APPROVED，已放款）；未超过或出错时为 null")
    errors: list[LoanError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="loan 为空当且仅当 errors 非空")
class LoanRepayPayload:
    loan: Loan | None = strawberry.field(description="还款后的借据；出错时为 null")
    errors: list[LoanError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="loan 为空当且仅当 errors 非空")
class LoanPrepayPayload:
    loan: Loan | None = strawberry.field(description="还款后的借据；出错时为 null")
    errors: list[LoanError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="rates 为空当且仅当 errors 非空")
class LprPublishPayload:
    rates: list[LprRate] = strawberry.field(description="录入的两条报价（1y、5y）；出错时为空列表")
    errors: list[LoanError] = strawberry.field(description="错误；成功时为空列表")


async def _loan_payload(payload, work):
    try:
        loan = await work()
    except DomainError as exc:
        return payload(loan=None, errors=[loan_error(exc)])
    return payload(loan=Loan.from_model(loan), errors=[])


@strawberry.type
class LendingMutation:
    @strawberry.mutation(
        description="柜面用信（工作人员）：在额度内借款并放款到绑定的银行卡；客户在手机银行中请使用 loanApply / loanApplicationConfirm",
        permission_classes=[IsOfficer],
    )
    async def loan_drawdown(self, info: Info, input: Annotated[LoanDrawdownInput, INPUT]) -> LoanDrawdownPayload:
        ctx = info.context

        state = ctx.request.app.state if ctx.request is not None else None
        try:
            made = await counter_draw_down(
                actor=ctx.actor, credit_line_id=decode_id(input.credit_line_id, "CreditLine", field="credit_line_id"),
                amount_fen=fen(input.amount, field="amount"), term_months=input.term_months, method=input.method.value,
                idempotency_key=input.idempotency_key, today=await business_date.current(), now=clock.now_utc(),
                policy=getattr(state, "maker_checker_policy", DEFAULT_MAKER_CHECKER), core=ctx.core, vault=ctx.vault,
            )
        except DomainError as exc:
            return LoanDrawdownPayload(loan=None, command=None, errors=[loan_error(exc)])
        if not is_command(made):
            return LoanDrawdownPayload(loan=Loan.from_model(made), command=None, errors=[])
        paid = (made.result or {}).get("loan_id")
        loan = await LoanModel.get_or_none(id=paid) if paid else None
        return LoanDrawdownPayload(loan=Loan.from_model(loan) if loan else None, command=Command.from_model(made), errors=[])

    @strawberry.mutation(description="归还到期及逾期款项（罚息 → 复利 → 利息 → 本金）", permission_classes=[IsSignedIn])
    async def loan_repay(self, info: Info, input: Annotated[LoanRepayInput, INPUT]) -> LoanRepayPayload:
        ctx = info.context

        async def work():
            return await repay(
                actor=ctx.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"), amount_fen=fen(input.amount, field="amount"),
                idempotency_key=input.idempotency_key, today=await business_date.current(), core=ctx.core, vault=ctx.vault,
            )

        return await _loan_payload(LoanRepayPayload, work)

    @strawberry.mutation(description="借款人在手机银行申请展期（到期日前，按贷款通则的期限）：记录申请，由客户经理受理并提出展期", permission_classes=[IsCustomer])
    async def loan_extension_apply(self, info: Info, input: Annotated[LoanExtensionApplyInput, INPUT]) -> LoanExtensionApplyPayload:
        request = info.context.request
        state = request.app.state if request is not None else None
        try:
            application = await apply_for_extension(
                actor=info.context.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"), months=input.months, reason=input.reason,
                today=await business_date.current(), extension=getattr(state, "extension_policy", DEFAULT_EXTENSION),
            )
        except DomainError as exc:
            return LoanExtensionApplyPayload(application=None, errors=[loan_error(exc)])
        return LoanExtensionApplyPayload(application=ExtensionApplication.from_model(application), errors=[])

    @strawberry.mutation(description="不予受理借款人的展期申请（工作人员：与可提出该借据展期的人相同），原因借款人在手机银行中可见；"
                                     "只能处理待受理的申请", permission_classes=[IsOfficer])
    async def loan_extension_application_decline(
        self, info: Info, input: Annotated[LoanExtensionApplicationDeclineInput, INPUT]
    ) -> LoanExtensionApplicationDeclinePayload:
        try:
            try:
                application_id = UUID(str(input.application_id))
            except ValueError:
                raise NotFound("展期申请不存在", field="application_id") from None
            declined = await decline_extension_application(actor=info.context.actor, application_id=application_id, reason=input.reason,
                                                           today=await business_date.current())
        except DomainError as exc:
            return LoanExtensionApplicationDeclinePayload(application=None, errors=[loan_error(exc)])
        return LoanExtensionApplicationDeclinePayload(application=ExtensionApplication.from_model(declined), errors=[])

    @strawberry.mutation(description="提前还款（部分或全部结清）", permission_classes=[IsSignedIn])
    async def loan_prepay(self, info: Info, input: Annotated[LoanPrepayInput, INPUT]) -> LoanPrepayPayload:
        ctx = info.context

        async def work():
            return await prepay(
                actor=ctx.actor, loan_id=decode_id(input.loan_id, "Loan", field="loan_id"), amount_fen=optional_fen(input.amount, field="amount"),
                idempotency_key=input.idempotency_key, today=await business_date.current(), core=ctx.core, vault=ctx.vault, payoff=input.payoff,
            )

        return await _loan_payload(LoanPrepayPayload, work)

    @strawberry.mutation(description="录入当月 LPR（系统管理员）", permission_classes=[IsSignedIn])
    async def lpr_publish(self, info: Info, input: Annotated[LprPublishInput, INPUT]) -> LprPublishPayload:
        try:
            rows = await publish_lpr(
                actor=info.context.actor, published_on=input.published_on, one_year_ppm=rate_ppm(input.one_year_percent, field="one_year_percent"),
                five_year_ppm=rate_ppm(input.five_year_percent, field="five_year_percent"), scheduled=input.scheduled,
            )
        except DomainError as exc:
            return LprPublishPayload(rates=[], errors=[loan_error(exc)])
        return LprPublishPayload(rates=[LprRate.from_model(r) for r in rows], errors=[])
