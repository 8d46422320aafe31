"""The app's drawdown in one sitting: sign the credit-report authorisation, apply (real-time check, amount decided), confirm by code."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated
from uuid import UUID

import strawberry

from app import clock
from app.api.enums import domain_enum
from app.api.context import Info
from app.api.arguments import AFTER, FIRST, INPUT
from app.api.errors import error_enum, payload_error
from app.api.ids import decode_id
from app.api.lending.types import Loan, RepaymentMethod, ScheduleInstallment, schedule_rows
from app.api.pagination import ID_KEY, Connection, SortKey, paginate_keyset
from app.api.permissions import IsCustomer
from app.api.scalars import DecimalString, fen
from app.domain import error_codes as codes
from app.domain import vocabulary
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.money import percent_str, yuan_str
from app.services import business_date
from app.services.lending import application as borrower_drawdown
from app.services.lending import queries as lending_queries
from app.services.lending.application import Application

LoanApplicationErrorCode = error_enum(
    "LoanApplicationErrorCode", "借款申请相关错误代码", codes.CommonCode, codes.LendingCode, codes.CreditCheckCode, codes.CreditReportCode,
    codes.SmsCode, codes.CustomerCode.CARD_NOT_ELIGIBLE, codes.CustomerCode.CARD_NOT_VERIFIED, codes.RiskCode.BAD_RULESET,
)


@strawberry.type(description="借款申请相关错误")
class LoanApplicationError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 amount）；与某个输入无关时为 null")
    code: LoanApplicationErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


def application_error(exc: DomainError) -> LoanApplicationError:
    return payload_error(LoanApplicationError, LoanApplicationErrorCode, exc)

LoanApplicationStatus = domain_enum(vocabulary.ApplicationStatus, name="LoanApplicationStatus", description="借款申请状态")


@strawberry.type(description="手机银行借款申请")
class LoanApplication:
    id: strawberry.ID = strawberry.field(description="申请 ID（UUID）")
    status: LoanApplicationStatus = strawberry.field(description="申请状态")
    requested_amount: DecimalString = strawberry.field(description="客户申请的金额（元，两位小数的字符串，如 \"1200.00\"）")
    approved_amount: DecimalString = strawberry.field(description="风控批准的金额（元，两位小数的字符串，如 \"1200.00\"）（不超过申请金额和可用额度）；被拒或转人工时为 \"0.00\"")
    term_months: int = strawberry.field(description="期限（月）")
    message: str = strawberry.field(description="给客户看的结果说明（中文）")
    code_expires_at: datetime | None = strawberry.field(description="短信验证码失效时刻（UTC 时刻，ISO 8601 带时区偏移）；被拒或转人工（未发验证码）时为 null")
    annual_rate_percent: DecimalString | None = strawberry.field(description="批准时报价的年利率（百分数，如 \"4.50\" 即 4.50%）；被拒或转人工时为 null")
    installments: list[ScheduleInstallment] = strawberry.field(description="批准时按批准金额试算的还款计划（放款后以借据的还款计划为准）；被拒或转人工时为空列表")
    loan_key: strawberry.Private[UUID | None]

    @strawberry.field(description="放款后的借据")
    async def loan(self, info: Info) -> Loan | None:
        if self.loan_key is None:
            return None
        found = await lending_queries.loans_visible(info.context.actor, [self.loan_key])
        return Loan.from_model(found[self.loan_key]) if self.loan_key in found else None

    @classmethod
    def from_application(cls, app: Application) -> LoanApplication:
        m = app.row
        return cls(
            id=strawberry.ID(str(m.id)), status=LoanApplicationStatus(m.status.value), requested_amount=yuan_str(m.requested_fen),
            approved_amount=yuan_str(m.approved_fen), term_months=m.term_months, message=m.message, code_expires_at=m.code_expires_at,
            annual_rate_percent=percent_str(app.annual_rate_ppm) if app.annual_rate_ppm is not None else None,
            installments=schedule_rows(app.schedule) if app.schedule is not None else [], loan_key=m.loan_id,
        )


@strawberry.type(description="征信查询授权")
class CreditAuthorisation:
    id: strawberry.ID = strawberry.field(description="授权书 ID（UUID）")
    signed_at: datetime = strawberry.field(description="签署时刻（UTC 时刻，ISO 8601 带时区偏移）")
    valid_until: date = strawberry.field(description="授权有效期至（含当日）（业务日期，Asia/Shanghai）")


@strawberry.input(description="签署征信查询授权书")
class CreditAuthorisationSignInput:
    agree: bool = strawberry.field(description="已阅读并同意授权书全文")
    bank_id: strawberry.ID | None = strawberry.field(
        default=None, description="向哪家成员行申请（OnlineOffer.bank.id）；首次在该行申请时，以客户同意提供的姓名、性别、出生日期、身份证号、手机号建立该行客户档案",
    )


@strawberry.input(description="申请借款：实时风控审核后决定金额，并发送短信验证码")
class LoanApplyInput:
    credit_line_id: strawberry.ID = strawberry.field(description="授信额度的全局 ID（CreditLine.id）")
    amount: DecimalString = strawberry.field(description="申请金额（元，两位小数的字符串，如 \"1200.00\"）")
    term_months: int = strawberry.field(description="期限（月）")
    method: RepaymentMethod = strawberry.field(description="还款方式")
    idempotency_key: UUID = strawberry.field(description="幂等键：客户端生成的 UUID；重试时使用同一个值，返回第一次的结果")


@strawberry.input(description="输入短信验证码确认借款并放款；同一申请重复确认返回同一借据")
class LoanApplicationConfirmInput:
    application_id: strawberry.ID = strawberry.field(description="借款申请 ID（LoanApplication.id）")
    code: str = strawberry.field(description="短信验证码（6 位数字）")


@strawberry.type(description="authorisation 为空当且仅当 errors 非空")
class CreditAuthorisationSignPayload:
    authorisation: CreditAuthorisation | None = strawberry.field(description="签署的授权书；出错时为 null")
    errors: list[LoanApplicationError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="application 为空当且仅当 errors 非空")
class LoanApplyPayload:
    application: LoanApplication | None = strawberry.field(description="借款申请；出错时为 null")
    errors: list[LoanApplicationError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="loan 为空当且仅当 errors 非空")
class LoanApplicationConfirmPayload:
    application: LoanApplication | None = strawberry.field(description="确认后的申请；出错时为 null")
    loan: Loan | None = strawberry.field(description="放款后的借据；出错时为 null")
    errors: list[LoanApplicationError] = strawberry.field(description="错误；成功时为空列表")


def _application_id(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("借款申请不存在", field="application_id") from None


def _bank_uuid(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("成员行不存在", field="bank_id") from None


@strawberry.type
class LoanApplicationMutation:
    @strawberry.mutation(description="在手机银行中签署征信查询授权书（借款审核前需要）", permission_classes=[IsCustomer])
    async def credit_authorisation_sign(self, info: Info, input: Annotated[CreditAuthorisationSignInput, INPUT]) -> CreditAuthorisationSignPayload:
        ctx = info.context
        try:
            if not input.agree:
                raise ValidationError("请阅读并同意征信查询授权书", field="agree")
            row = await borrower_drawdown.sign_authorisation(
                actor=ctx.actor, now=clock.now_utc(), today=await business_date.current(), media=ctx.mobile.media,
                bank_id=_bank_uuid(input.bank_id) if input.bank_id is not None else None,
            )
        except DomainError as exc:
            return CreditAuthorisationSignPayload(authorisation=None, errors=[application_error(exc)])
        auth = CreditAuthorisation(id=strawberry.ID(str(row.id)), signed_at=row.signed_at, valid_until=row.valid_until)
        return CreditAuthorisationSignPayload(authorisation=auth, errors=[])

    @strawberry.mutation(description="申请借款：实时征信与风控规则审核，在额度内决定金额，通过后发送短信验证码", permission_classes=[IsCustomer])
    async def loan_apply(self, info: Info, input: Annotated[LoanApplyInput, INPUT]) -> LoanApplyPayload:
        ctx = info.context
        deps = ctx.mobile
        try:
            result = await borrower_drawdown.apply(
                actor=ctx.actor, credit_line_id=decode_id(input.credit_line_id, "CreditLine", field="credit_line_id"),
                amount_fen=fen(input.amount, field="amount"), term_months=input.term_months, method=input.method.value,
                idempotency_key=input.idempotency_key, now=clock.now_utc(),
                today=await business_date.current(), bureau=deps.bureau, media=deps.media, vault=ctx.vault, sms=deps.sms, core=ctx.core,
                reuse_days=deps.settings.credit_report_reuse_days, code_ttl=deps.policy.code_ttl,
            )
        except DomainError as exc:
            return LoanApplyPayload(application=None, errors=[application_error(exc)])
        return LoanApplyPayload(application=LoanApplication.from_application(result), errors=[])

    @strawberry.mutation(description="输入短信验证码确认借款，放款到默认银行卡", permission_classes=[IsCustomer])
    async def loan_application_confirm(self, info: Info, input: Annotated[LoanApplicationConfirmInput, INPUT]) -> LoanApplicationConfirmPayload:
        ctx = info.context
        try:
            row, loan = await borrower_drawdown.confirm(
                actor=ctx.actor, application_id=_application_id(input.application_id), code=input.code, now=clock.now_utc(),
                today=await business_date.current(), core=ctx.core, vault=ctx.vault, max_attempts=ctx.mobile.policy.max_attempts,
            )
        except DomainError as exc:
            return LoanApplicationConfirmPayload(application=None, loan=None, errors=[application_error(exc)])
        return LoanApplicationConfirmPayload(application=LoanApplication.from_application(await borrower_drawdown.answer(row)), loan=Loan.from_model(loan), errors=[])


NEWEST_APPLIED = (SortKey("applied_at", datetime.fromisoformat, descending=True), ID_KEY)  # a borrower's applications, newest first


def _uuid_or_none(value: str) -> UUID | None:
    try:
        return UUID(str(value))
    except ValueError:
        return None


@strawberry.type
class LoanApplicationQuery:
    @strawberry.field(description="本人的一笔借款申请（如应用中途重启后读回申请）；他人的或不存在的申请为 null", permission_classes=[IsCustomer])
    async def loan_application(
        self, info: Info, id: Annotated[strawberry.ID, strawberry.argument(description="借款申请 ID（LoanApplication.id，UUID）")],
    ) -> LoanApplication | None:
        key = _uuid_or_none(id)
        found = await borrower_drawdown.application_of(info.context.actor, key) if key is not None else None
        return LoanApplication.from_application(found) if found is not None else None

    @strawberry.field(description="本人的借款申请，按申请时刻最新在前（键集分页：翻页间有新申请也不会重复或漏掉）", permission_classes=[IsCustomer])
    async def loan_applications(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
    ) -> Connection[LoanApplication]:
        page = await paginate_keyset(borrower_drawdown.applications_query(info.context.actor), first, after, lambda row: row, kind="applied", keys=NEWEST_APPLIED)
        for edge in page.edges:
            edge.node = LoanApplication.from_application(await borrower_drawdown.answer(edge.node))
        return page
