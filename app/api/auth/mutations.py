"""Sign-in mutations of the borrower's app: request a code, verify it (binds the device), refresh the tokens, sign out everywhere."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app import clock
from app.api.arguments import INPUT
from app.api.auth.types import AccountError, AuthTokens, account_error
from app.api.context import Info
from app.api.permissions import IsCustomer
from app.domain.errors import DomainError
from app.logging import request_id_var
from app.services.auth import borrowers as borrower_auth
from app.services.auth.borrowers import TokenPair


@strawberry.input(description="获取登录验证码")
class SignInRequestCodeInput:
    phone: str = strawberry.field(description="11 位手机号码")


@strawberry.input(description="验证码登录并绑定设备")
class SignInVerifyInput:
    phone: str = strawberry.field(description="11 位手机号码（与获取验证码时相同）")
    code: str = strawberry.field(description="短信验证码（6 位数字）")
    device_id: str = strawberry.field(description="App 安装时生成的设备标识（8–128 个字符），此后刷新凭证须使用同一值")
    device_name: str = strawberry.field(default="", description="设备名称，如 华为 Mate 60")


@strawberry.input(description="刷新登录凭证")
class TokenRefreshInput:
    refresh_token: str = strawberry.field(description="上次得到的刷新凭证（AuthTokens.refreshToken）")
    device_id: str = strawberry.field(description="登录时使用的设备标识")


@strawberry.type(description="发送结果；出错时 errors 非空、其余字段为 null")
class SignInRequestCodePayload:
    phone_masked: str | None = strawberry.field(description="验证码发往的手机号（已遮蔽，如 138****1234）；出错时为 null")
    expires_at: datetime | None = strawberry.field(description="验证码失效时刻（UTC 时刻，ISO 8601 带时区偏移）；出错时为 null")
    resend_after_seconds: int | None = strawberry.field(description="多少秒后可以重新获取（秒）；出错时为 null")
    dev_code: str | None = strawberry.field(description="仅开发、测试环境的沙箱短信返回验证码；生产环境恒为 null")
    errors: list[AccountError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="tokens 为空当且仅当 errors 非空")
class SignInVerifyPayload:
    tokens: AuthTokens | None = strawberry.field(description="登录凭证；出错时为 null")
    errors: list[AccountError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="tokens 为空当且仅当 errors 非空")
class TokenRefreshPayload:
    tokens: AuthTokens | None = strawberry.field(description="新的登录凭证；出错时为 null")
    errors: list[AccountError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.type(description="退出所有设备的结果")
class SignOutEverywherePayload:
    signed_out_devices: int = strawberry.field(description="本次注销的设备（登录）数")
    errors: list[AccountError] = strawberry.field(description="错误；成功时为空列表")


def _tokens(pair: TokenPair) -> AuthTokens:
    return AuthTokens(
        access_token=pair.access_token, access_expires_at=pair.access_expires_at,
        refresh_token=pair.refresh_token, refresh_expires_at=pair.refresh_expires_at,
    )


def client_ip(info) -> str:
    request = info.context.request
    return request.client.host if request is not None and request.client else ""


@strawberry.type
class AuthMutation:
    @strawberry.mutation(description="获取登录验证码（按手机号、IP 限频）；是否为本行客户都返回相同结果")
    async def sign_in_request_code(self, info: Info, input: Annotated[SignInRequestCodeInput, INPUT]) -> SignInRequestCodePayload:
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
    async def sign_in_verify(self, info: Info, input: Annotated[SignInVerifyInput, INPUT]) -> SignInVerifyPayload:
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
    async def token_refresh(self, info: Info, input: Annotated[TokenRefreshInput, INPUT]) -> TokenRefreshPayload:
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
