"""Which adapter to use: the sandbox unless the settings name a URL."""

from __future__ import annotations

from app.config import Settings
from app.integrations.bureau import CreditBureau, HttpBureau, SandboxBureau
from app.integrations.identity import HttpIdentityCheck, IdentityCheck, SandboxIdentityCheck


def build_bureau(settings: Settings) -> CreditBureau:
    if not settings.bureau_url:
        return SandboxBureau()
    password = settings.bureau_password.get_secret_value() if settings.bureau_password is not None else ""
    return HttpBureau(
        base_url=settings.bureau_url,
        username=settings.bureau_username,
        password=password,
        timeout_seconds=settings.bureau_timeout_seconds,
    )


def build_identity_check(settings: Settings) -> IdentityCheck:
    if not settings.identity_url:
        return SandboxIdentityCheck()
    return HttpIdentityCheck(url=settings.identity_url, timeout_seconds=settings.bureau_timeout_seconds)
