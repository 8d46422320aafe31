"""Sign-in types: the token pair and the account errors."""

from __future__ import annotations

from datetime import datetime

import strawberry

from app.api.errors import error_enum, payload_error
from app.domain import error_codes as codes
from app.domain.errors import DomainError

AccountErrorCode = error_enum("AccountErrorCode", "登录相关错误代码", codes.CommonCode, codes.AuthCode, codes.SmsCode)


@strawberry.type(description="登录相关错误")
class AccountError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 amount）；与某个输入无关时为 null")
    code: AccountErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


def account_error(exc: DomainError) -> AccountError:
    return payload_error(AccountError, AccountErrorCode, exc)


@strawberry.type(description="登录凭证：accessToken 放在 Authorization: Bearer 头中；过期前用 refreshToken 换新（每个 refreshToken 只能用一次）")
class AuthTokens:
    access_token: str = strawberry.field(description="访问凭证：请求时放在 Authorization: Bearer 头中")
    access_expires_at: datetime = strawberry.field(description="访问凭证失效时刻（UTC 时刻，ISO 8601 带时区偏移）")
    refresh_token: str = strawberry.field(description="刷新凭证：只能使用一次（tokenRefresh）")
    refresh_expires_at: datetime = strawberry.field(description="刷新凭证失效时刻（UTC 时刻，ISO 8601 带时区偏移）")
