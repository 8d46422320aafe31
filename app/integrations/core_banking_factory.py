"""Which core-banking adapter to use: the sandbox unless a URL is configured."""

from __future__ import annotations

from app.config import Settings
from app.integrations.core_banking import CoreBanking, HttpCoreBanking, SandboxCoreBanking


def build_core_banking(settings: Settings) -> CoreBanking:
    if not settings.core_banking_url:
        return SandboxCoreBanking()
    key = settings.core_banking_api_key.get_secret_value() if settings.core_banking_api_key else ""
    return HttpCoreBanking(settings.core_banking_url, api_key=key)
