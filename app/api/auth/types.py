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
    field: str | None
    code: AccountErrorCode
    message: str


def account_error(exc: DomainError) -> AccountError:
    return payload_error(AccountError, AccountErrorCode, exc)


@strawberry.type(description="登录凭证：accessToken 放在 Authorization: Bearer 头中；过期前用 refreshToken 换新（每个 refreshToken 只能用一次）")
class AuthTokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
