from __future__ import annotations

from datetime import datetime
from uuid import UUID

import strawberry

from app import clock
from app.api.context import Info
from app.api.ids import decode_id
from app.api.lending.types import Loan, RepaymentMethod
from app.api.mobile.deps import IsCustomer, client_ip
from app.api.mobile.types import (
    AccountError,
    AuthTokens,
    BankCard,
    CardBinding,
    CardError,
    CreditAuthorisation,
    LoanApplication,
    LoanApplicationError,
    OnlineOffer,
    account_error,
    application_error,
    card_error,
)
from app.api.scalars import DecimalString
from app.domain.errors import DomainError, NotFound, ValidationError
from app.logging import request_id_var
from app.services import business_date
from app.services.auth import borrowers as borrower_auth
from app.services.customers import cards as borrower_cards
from app.services.lending import application as borrower_drawdown
from app.services.auth.borrowers import TokenPair


@strawberry.input(description="获取登录验证码")
class SignInRequestCodeInput:
    phone: str = strawberry.field(description="11 位手机号码")


@strawberry.input(description="验证码登录并绑定设备")
class SignInVerifyInput:
    phone: str
    code: str
    device_id: str = strawberry.field(description="App 安装时生成的设备标识（8–128 个字符），此后刷新凭证须使用同一值")
    device_name: str = strawberry.field(default="", description="设备名称，如 华为 Mate 60")


@strawberry.input(description="刷新登录凭证")
class TokenRefreshInput:
    refresh_token: str
    device_id: str


@strawberry.input(description="绑定银行卡第一步：核心系统核对户名、身份证号码与银行预留手机号，通过后向预留手机号发送验证码")
class CardBindInput:
    card_number: str = strawberry.field(description="银行卡号（可含空格）")
    reserved_phone: str = strawberry.field(description="在开户行预留的 11 位手机号码（预留手机号）")


@strawberry.input(description="绑定银行卡第二步：输入发送到预留手机号的验证码，绑定并设为默认卡")
class CardBindConfirmInput:
    binding_id: strawberry.ID
    code: str


@strawberry.input(description="解绑银行卡")
class CardUnbindInput:
    card_id: strawberry.ID


@strawberry.input(description="设置默认银行卡（放款、还款使用默认卡）")
class CardSetDefaultInput:
    card_id: strawberry.ID


@strawberry.input(description="签署征信查询授权书")
class CreditAuthorisationSignInput:
    agree: bool = strawberry.field(description="已阅读并同意授权书全文")


@strawberry.input(description="申请借款：实时风控审核后决定金额，并发送短信验证码")
class LoanApplyInput:
    credit_line_id: strawberry.ID
    amount: DecimalString
    term_months: int
    method: RepaymentMethod
    idempotency_key: UUID = strawberry.field(description="客户端生成；重试时使用同一个值")


@strawberry.input(description="输入短信验证码确认借款并放款；同一申请重复确认返回同一借据")
class LoanApplicationConfirmInput:
    application_id: strawberry.ID
    code: str


@strawberry.type
class SignInRequestCodePayload:
    phone_masked: str | None
    expires_at: datetime | None
    resend_after_seconds: int | None
    dev_code: str | None = strawberry.field(description="仅开发、测试环境的沙箱短信返回验证码；生产环境恒为 null")
    errors: list[AccountError]


@strawberry.type(description="tokens 为空当且仅当 errors 非空")
class SignInVerifyPayload:
    tokens: AuthTokens | None
    errors: list[AccountError]


@strawberry.type(description="tokens 为空当且仅当 errors 非空")
class TokenRefreshPayload:
    tokens: AuthTokens | None
    errors: list[AccountError]


@strawberry.type
class SignOutEverywherePayload:
    signed_out_devices: int
    errors: list[AccountError]


@strawberry.type(description="binding 为空当且仅当 errors 非空")
class CardBindPayload:
    binding: CardBinding | None
    dev_code: str | None = strawberry.field(description="仅开发、测试环境的沙箱短信返回验证码；生产环境恒为 null")
    errors: list[CardError]


@strawberry.type(description="card 为空当且仅当 errors 非空")
class CardBindConfirmPayload:
    card: BankCard | None
    offer: OnlineOffer | None
    errors: list[CardError]


@strawberry.type(description="cards（解绑后仍绑定的卡，默认卡在前）为空当且仅当 errors 非空")
class CardUnbindPayload:
    cards: list[BankCard] | None
    offer: OnlineOffer | None
    errors: list[CardError]


@strawberry.type(description="card 为空当且仅当 errors 非空")
class CardSetDefaultPayload:
    card: BankCard | None
    offer: OnlineOffer | None
    errors: list[CardError]


@strawberry.type(description="authorisation 为空当且仅当 errors 非空")
class CreditAuthorisationSignPayload:
    authorisation: CreditAuthorisation | None
    errors: list[LoanApplicationError]


@strawberry.type(description="application 为空当且仅当 errors 非空")
class LoanApplyPayload:
    application: LoanApplication | None
    errors: list[LoanApplicationError]


@strawberry.type(description="loan 为空当且仅当 errors 非空")
class LoanApplicationConfirmPayload:
    application: LoanApplication | None
    loan: Loan | None
    errors: list[LoanApplicationError]


def _tokens(pair: TokenPair) -> AuthTokens:
    return AuthTokens(
        access_token=pair.access_token, access_expires_at=pair.access_expires_at,
        refresh_token=pair.refresh_token, refresh_expires_at=pair.refresh_expires_at,
    )


def _uuid(value: str, field: str, message: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound(message, field=field) from None


def _binding_policy(info: Info) -> borrower_cards.BindingPolicy:
    policy = info.context.mobile.policy
    return borrower_cards.BindingPolicy(code_ttl=policy.code_ttl, max_attempts=policy.max_attempts)


def _application_id(value: str) -> UUID:
    try:
        return UUID(str(value))
    except ValueError:
        raise NotFound("借款申请不存在", field="applicationId") from None


@strawberry.type
class MobileMutation:
    @strawberry.mutation(description="获取登录验证码（按手机号、IP 限频）；是否为本行客户都返回相同结果")
    async def sign_in_request_code(self, info: Info, input: SignInRequestCodeInput) -> SignInRequestCodePayload:
        deps = info.context.mobile
        try:
            sent = await borrower_auth.request_code(
                phone=input.phone, ip=client_ip(info), now=clock.now_utc(), vault=info.context.vault, sms=deps.sms,
                policy=deps.policy, request_id=request_id_var.get(),
            )
        except DomainError as exc:
            return SignInRequestCodePayload(phone_masked=None, expires_at=None, resend_after_seconds=None, dev_code=None, errors=[account_error(exc)])
        last_code = getattr(deps.sms, "last_code", None)
        dev_code = last_code(borrower_auth.check_phone(input.phone)) if last_code is not None else None
        return SignInRequestCodePayload(
            phone_masked=sent.phone_masked, expires_at=sent.expires_at, resend_after_seconds=sent.resend_after_seconds, dev_code=dev_code, errors=[],
        )

    @strawberry.mutation(description="验证码登录：绑定设备，返回访问凭证与刷新凭证")
    async def sign_in_verify(self, info: Info, input: SignInVerifyInput) -> SignInVerifyPayload:
        deps = info.context.mobile
        try:
            pair = await borrower_auth.verify_code(
                phone=input.phone, code=input.code, device_id=input.device_id, device_label=input.device_name, ip=client_ip(info),
                now=clock.now_utc(), vault=info.context.vault, policy=deps.policy, request_id=request_id_var.get(),
            )
        except DomainError as exc:
            return SignInVerifyPayload(tokens=None, errors=[account_error(exc)])
        return SignInVerifyPayload(tokens=_tokens(pair), errors=[])

    @strawberry.mutation(description="用刷新凭证换一对新凭证；旧刷新凭证随即失效，再次使用将注销该登录")
    async def token_refresh(self, info: Info, input: TokenRefreshInput) -> TokenRefreshPayload:
        deps = info.context.mobile
        try:
            pair = await borrower_auth.refresh_tokens(
                refresh_token=input.refresh_token, device_id=input.device_id, ip=client_ip(info), now=clock.now_utc(),
                vault=info.context.vault, policy=deps.policy, request_id=request_id_var.get(),
            )
        except DomainError as exc:
            return TokenRefreshPayload(tokens=None, errors=[account_error(exc)])
        return TokenRefreshPayload(tokens=_tokens(pair), errors=[])

    @strawberry.mutation(description="退出所有设备的登录（全部刷新凭证与设备绑定失效）", permission_classes=[IsCustomer])
    async def sign_out_everywhere(self, info: Info) -> SignOutEverywherePayload:
        try:
            count = await borrower_auth.sign_out_everywhere(actor=info.context.actor, now=clock.now_utc())
        except DomainError as exc:
            return SignOutEverywherePayload(signed_out_devices=0, errors=[account_error(exc)])
        return SignOutEverywherePayload(signed_out_devices=count, errors=[])

    @strawberry.mutation(description="绑定本人银行卡第一步：核对持卡人（户名、身份证号码、预留手机号），向预留手机号发送验证码", permission_classes=[IsCustomer])
    async def card_bind(self, info: Info, input: CardBindInput) -> CardBindPayload:
        ctx = info.context
        try:
            binding = await borrower_cards.start_card_binding(
                actor=ctx.actor, card_number=input.card_number, reserved_phone=input.reserved_phone, core=ctx.core, sms=ctx.mobile.sms,
                vault=ctx.vault, now=clock.now_utc(), policy=_binding_policy(info),
            )
        except DomainError as exc:
            return CardBindPayload(binding=None, dev_code=None, errors=[card_error(exc)])
        last_code = getattr(ctx.mobile.sms, "last_code", None)
        dev_code = last_code(borrower_auth.check_phone(input.reserved_phone)) if last_code is not None else None
        return CardBindPayload(binding=CardBinding.from_model(binding), dev_code=dev_code, errors=[])

    @strawberry.mutation(description="绑定本人银行卡第二步：输入预留手机号收到的验证码，绑定并设为默认卡；返回开户行及可在线办理的产品", permission_classes=[IsCustomer])
    async def card_bind_confirm(self, info: Info, input: CardBindConfirmInput) -> CardBindConfirmPayload:
        ctx = info.context
        now = clock.now_utc()
        try:
            view = await borrower_cards.confirm_card_binding(
                actor=ctx.actor, binding_id=_uuid(input.binding_id, "bindingId", "绑卡申请不存在"), code=input.code, vault=ctx.vault, now=now,
                policy=_binding_policy(info),
            )
            offer = await borrower_cards.online_offer(ctx.actor, core=ctx.core, vault=ctx.vault, now=now)
        except DomainError as exc:
            return CardBindConfirmPayload(card=None, offer=None, errors=[card_error(exc)])
        return CardBindConfirmPayload(card=BankCard.from_view(view), offer=OnlineOffer.from_view(offer), errors=[])

    @strawberry.mutation(description="解绑本人银行卡；有未结清借款时默认卡不能解绑", permission_classes=[IsCustomer])
    async def card_unbind(self, info: Info, input: CardUnbindInput) -> CardUnbindPayload:
        ctx = info.context
        now = clock.now_utc()
        try:
            views = await borrower_cards.unbind_card(actor=ctx.actor, card_id=_uuid(input.card_id, "cardId", "银行卡不存在"), now=now)
            offer = await borrower_cards.online_offer(ctx.actor, core=ctx.core, vault=ctx.vault, now=now)
        except DomainError as exc:
            return CardUnbindPayload(cards=None, offer=None, errors=[card_error(exc)])
        return CardUnbindPayload(cards=[BankCard.from_view(v) for v in views], offer=OnlineOffer.from_view(offer), errors=[])

    @strawberry.mutation(description="把一张已验证持卡人的本人银行卡设为默认卡（放款、还款使用默认卡）", permission_classes=[IsCustomer])
    async def card_set_default(self, info: Info, input: CardSetDefaultInput) -> CardSetDefaultPayload:
        ctx = info.context
        now = clock.now_utc()
        try:
            view = await borrower_cards.set_default_card(actor=ctx.actor, card_id=_uuid(input.card_id, "cardId", "银行卡不存在"))
            offer = await borrower_cards.online_offer(ctx.actor, core=ctx.core, vault=ctx.vault, now=now)
        except DomainError as exc:
            return CardSetDefaultPayload(card=None, offer=None, errors=[card_error(exc)])
        return CardSetDefaultPayload(card=BankCard.from_view(view), offer=OnlineOffer.from_view(offer), errors=[])

    @strawberry.mutation(description="在手机银行中签署征信查询授权书（借款审核前需要）", permission_classes=[IsCustomer])
    async def credit_authorisation_sign(self, info: Info, input: CreditAuthorisationSignInput) -> CreditAuthorisationSignPayload:
        ctx = info.context
        try:
            if not input.agree:
                raise ValidationError("请阅读并同意征信查询授权书", field="agree")
            row = await borrower_drawdown.sign_authorisation(
                actor=ctx.actor, now=clock.now_utc(), today=await business_date.current(), media=ctx.mobile.media,
            )
        except DomainError as exc:
            return CreditAuthorisationSignPayload(authorisation=None, errors=[application_error(exc)])
        auth = CreditAuthorisation(id=strawberry.ID(str(row.id)), signed_at=row.signed_at, valid_until=row.valid_until)
        return CreditAuthorisationSignPayload(authorisation=auth, errors=[])

    @strawberry.mutation(description="申请借款：实时征信与风控规则审核，在额度内决定金额，通过后发送短信验证码", permission_classes=[IsCustomer])
    async def loan_apply(self, info: Info, input: LoanApplyInput) -> LoanApplyPayload:
        ctx = info.context
        deps = ctx.mobile
        try:
            result = await borrower_drawdown.apply(
                actor=ctx.actor, credit_line_id=decode_id(input.credit_line_id, "CreditLine", field="creditLineId"), amount=input.amount,
                term_months=input.term_months, method=input.method.value, idempotency_key=input.idempotency_key, now=clock.now_utc(),
                today=await business_date.current(), bureau=deps.bureau, media=deps.media, vault=ctx.vault, sms=deps.sms, core=ctx.core,
                reuse_days=deps.settings.credit_report_reuse_days, code_ttl=deps.policy.code_ttl,
            )
        except DomainError as exc:
            return LoanApplyPayload(application=None, errors=[application_error(exc)])
        return LoanApplyPayload(application=LoanApplication.from_application(result), errors=[])

    @strawberry.mutation(description="输入短信验证码确认借款，放款到默认银行卡", permission_classes=[IsCustomer])
    async def loan_application_confirm(self, info: Info, input: LoanApplicationConfirmInput) -> LoanApplicationConfirmPayload:
        ctx = info.context
        try:
            row, loan = await borrower_drawdown.confirm(
                actor=ctx.actor, application_id=_application_id(input.application_id), code=input.code, now=clock.now_utc(),
                today=await business_date.current(), core=ctx.core, vault=ctx.vault, max_attempts=ctx.mobile.policy.max_attempts,
            )
        except DomainError as exc:
            return LoanApplicationConfirmPayload(application=None, loan=None, errors=[application_error(exc)])
        return LoanApplicationConfirmPayload(application=LoanApplication.from_model(row), loan=Loan.from_model(loan), errors=[])
