"""Sign-in types: the token pair and the account errors."""

from __future__ import annotations

from datetime import datetime
from enum import Enum

import strawberry

from app.api.errors import error_code
from app.domain.errors import DomainError


@strawberry.enum(description="登录相关错误代码")
class AccountErrorCode(Enum):
    INVALID = "invalid"
    INVALID_PHONE = "invalid_phone"
    INVALID_DEVICE = "invalid_device"
    RATE_LIMITED = "rate_limited"
    BAD_CODE = "bad_code"
    CODE_EXPIRED = "code_expired"
    CODE_LOCKED = "code_locked"
    PHONE_AMBIGUOUS = "phone_ambiguous"
    SMS_UNAVAILABLE = "sms_unavailable"
    INVALID_TOKEN = "invalid_token"
    TOKEN_EXPIRED = "token_expired"
    TOKEN_REUSED = "token_reused"
    FORBIDDEN = "forbidden"


@strawberry.type(description="登录相关错误")
class AccountError:
    field: str | None
    code: AccountErrorCode
    message: str


def account_error(exc: DomainError) -> AccountError:
    return AccountError(field=exc.field, code=error_code(AccountErrorCode, exc), message=exc.message)


@strawberry.type(description="登录凭证：accessToken 放在 Authorization: Bearer 头中；过期前用 refreshToken 换新（每个 refreshToken 只能用一次）")
class AuthTokens:
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime
