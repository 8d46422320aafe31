"""The composition root's one builder: every outside system, built once per process from the settings.

`Adapters.from_settings(settings)` is called once by each process when it starts — the web app
(`app/main.py:create_app`, into `app.state`), the two arq workers (the start-up functions in
`workers/default.py` and `workers/ml.py`, into the job context) and a command of the CLI
(`app/cli/`). Nothing else builds an adapter: pages, resolvers, jobs and services get them as
arguments. Each outside system is its sandbox (docs/sandbox.md) unless the settings name its URL.

The signing kit (the PKI that signs and seals contracts) is loaded on its first use and then kept:
the first run in development generates the development PKI, and a production process without its
certificates must still start (only signing fails, with `PkiConfigurationError`).
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields
from typing import Any

from app import clock
from app.config import Settings
from app.crypto import Vault
from app.integrations.bureau import CreditBureau, HttpBureau, SandboxBureau
from app.integrations.core_banking import CoreBanking, HttpCoreBanking, SandboxCoreBanking
from app.integrations.identity import HttpIdentityCheck, IdentityCheck, SandboxIdentityCheck
from app.integrations.provincial import HttpProvincial, ProvincialCreditSystem, SandboxProvincial
from app.integrations.sms import HttpSms, SandboxSms, SmsSender
from app.services.contracts import SigningKit
from app.services.contracts.pki import load_pki
from app.services.documents import MediaStore
from app.services.jobs import ArqJobQueue, redis_settings


@dataclass(frozen=True, slots=True)
class Adapters:
    """The outside systems of one process; the field names are the names doors read them by
    (`request.app.state.<name>`, `ctx["<name>"]` in a job)."""

    bureau: CreditBureau  # 征信前置 (credit reports)
    identity_check: IdentityCheck  # 公民身份信息核查 (online ID check)
    core: CoreBanking  # 核心系统 (cards, debits, credits, the journal)
    sms: SmsSender  # 短信平台 (one-time codes)
    provincial: ProvincialCreditSystem  # 省联社信用信息系统 (the outbox's receiver)
    media: MediaStore  # documents on disk, content-addressed
    vault: Vault  # personal data at rest (AES-GCM, lookup HMAC)
    queue: ArqJobQueue  # the job queue (connects on first use)
    signing_kit: Callable[[], SigningKit]  # the contracts' PKI, loaded on first call and kept

    @classmethod
    def from_settings(cls, settings: Settings) -> Adapters:
        media = MediaStore(settings.media_dir)
        return cls(
            bureau=_bureau(settings),
            identity_check=_identity_check(settings),
            core=_core_banking(settings),
            sms=_sms(settings),
            provincial=_provincial(settings),
            media=media,
            vault=Vault(settings.secret()),
            queue=ArqJobQueue(redis_settings(settings)),
            signing_kit=_signing_kit(settings, media),
        )

    def by_name(self) -> dict[str, Any]:
        """Every adapter under its field name: what `app.state` and a worker's job context hold."""
        return {f.name: getattr(self, f.name) for f in fields(self)}


def _secret(value: Any) -> str:
    return value.get_secret_value() if value is not None else ""


def _bureau(settings: Settings) -> CreditBureau:
    if not settings.bureau_url:
        return SandboxBureau()
    return HttpBureau(
        base_url=settings.bureau_url,
        username=settings.bureau_username,
        password=_secret(settings.bureau_password),
        timeout_seconds=settings.bureau_timeout_seconds,
    )


def _identity_check(settings: Settings) -> IdentityCheck:
    if not settings.identity_url:
        return SandboxIdentityCheck()
    return HttpIdentityCheck(url=settings.identity_url, timeout_seconds=settings.bureau_timeout_seconds)


def _core_banking(settings: Settings) -> CoreBanking:
    if not settings.core_banking_url:
        return SandboxCoreBanking()
    return HttpCoreBanking(settings.core_banking_url, api_key=_secret(settings.core_banking_api_key))


def _sms(settings: Settings) -> SmsSender:
    """The sandbox exposes the codes it sends in dev and test only, never in prod."""
    if not settings.sms_url:
        return SandboxSms(expose_codes=settings.env in ("dev", "test"))
    return HttpSms(settings.sms_url, api_key=_secret(settings.sms_api_key))


def _provincial(settings: Settings) -> ProvincialCreditSystem:
    if not settings.provincial_url:
        return SandboxProvincial()
    return HttpProvincial(settings.provincial_url, api_key=_secret(settings.provincial_api_key),
                          timeout_seconds=settings.provincial_timeout_seconds)


def _signing_kit(settings: Settings, media: MediaStore) -> Callable[[], SigningKit]:
    @functools.cache
    def load() -> SigningKit:
        return SigningKit(media=media, pki=load_pki(settings, now=clock.now_utc()), business_tz=settings.business_tz)

    return load
