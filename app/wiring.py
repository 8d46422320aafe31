"""The composition root's one builder: every outside system, built once per process from the settings.

`Adapters.from_settings(settings)` is called once by each process when it starts — the web app
(`app/main.py:create_app`, into `app.state`), the two arq workers (the start-up functions in
`workers/default.py` and `workers/ml.py`, into the job context) and a command of the CLI
(`app/cli/`). Nothing else builds an adapter: pages, resolvers, jobs and services get them as
arguments. Each outside system is its sandbox (docs/sandbox.md) unless the settings name its URL.

The signing kit (the PKI that signs and seals contracts) is loaded on its first use and then kept:
the first run in development generates the development PKI, and a production process without its
certificates must still start (only signing fails, with `PkiConfigurationError`).

Services never read the settings: what they need besides adapters comes as values or small typed
configurations built here — `visit_policy`, `sign_in_policy`, `classification_policy`, `postloan_schedule`,
`warning_thresholds`, `external_data_policy`, `guarantee_policy`, `pki_config`, `redis_settings`.
"""

from __future__ import annotations

import functools
from collections.abc import Callable
from dataclasses import dataclass, fields, replace
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from arq.connections import RedisSettings

from app import clock
from app.config import Env, Settings
from app.crypto import Vault
from app.domain.allowance import AllowancePolicy
from app.domain.extension import ExtensionPolicy
from app.domain.renewal import RenewalPolicy
from app.domain.maker_checker import CommandKind, MakerCheckerPolicy, parse_kinds
from app.domain.classification import ClassificationPolicy, DpdMapping
from app.domain.postloan import DEFAULT_SCHEDULE, CheckSchedule
from app.domain.warnings import DEFAULT_THRESHOLDS, Thresholds
from app.domain.visit import Authority
from app.domain.external_data import ExternalSource
from app.integrations.bureau import CreditBureau, HttpBureau, SandboxBureau
from app.domain.rules.online import InternetLendingRules
from app.integrations.external_data import ExternalSources, HttpSource, SandboxSource
from app.integrations.core_banking import CoreBanking, HttpCoreBanking, SandboxCoreBanking
from app.integrations.identity import HttpIdentityCheck, IdentityCheck, SandboxIdentityCheck
from app.integrations.provincial import HttpProvincial, ProvincialCreditSystem, SandboxProvincial
from app.integrations.sms import HttpSms, RedisSmsLog, SandboxSms, SmsSender
from app.services.auth.borrowers import SignInPolicy
from app.services.contracts import SigningKit
from app.services.external_data import ExternalDataPolicy
from app.services.guarantees import GroupPolicy
from app.services.lending.online_credit import OnlineCreditPolicy
from app.services.contracts.pki import PkiConfig, load_pki
from app.services.documents import MediaStore
from app.services.jobs import ArqJobQueue
from app.services.visits import VisitPolicy


@dataclass(frozen=True, slots=True)
class Adapters:
    """The outside systems of one process; the field names are the names doors read them by
    (`request.app.state.<name>`, `ctx["<name>"]` in a job)."""

    bureau: CreditBureau  # 征信前置 (credit reports)
    identity_check: IdentityCheck  # 公民身份信息核查 (online ID check)
    core: CoreBanking  # 核心系统 (cards, debits, credits, the journal)
    sms: SmsSender  # 短信平台 (one-time codes)
    provincial: ProvincialCreditSystem  # 省联社信用信息系统 (the outbox's receiver)
    external: ExternalSources  # 公积金, 社保, 税务, 粮补, 保单, 国网 (docs/external-data.md)
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
            external=_external_sources(settings),
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
        exposed = settings.env in ("dev", "test")
        return SandboxSms(expose_codes=exposed, log=RedisSmsLog(lambda: _redis_client(settings)) if exposed else None)
    return HttpSms(settings.sms_url, api_key=_secret(settings.sms_api_key))


def _provincial(settings: Settings) -> ProvincialCreditSystem:
    if not settings.provincial_url:
        return SandboxProvincial()
    return HttpProvincial(settings.provincial_url, api_key=_secret(settings.provincial_api_key),
                          timeout_seconds=settings.provincial_timeout_seconds)


def _external_sources(settings: Settings) -> ExternalSources:
    """Each source is its sandbox unless its URL is set (`CUNXIN_HOUSING_FUND_URL`, ... `CUNXIN_STATE_GRID_URL`)."""
    built = {}
    for source in ExternalSource:
        url = getattr(settings, f"{source.value}_url")
        built[source.value] = SandboxSource(source) if not url else HttpSource(
            source, base_url=url, api_key=_secret(settings.external_data_api_key),
            timeout_seconds=settings.external_data_timeout_seconds)
    return ExternalSources(**built)


def _signing_kit(settings: Settings, media: MediaStore) -> Callable[[], SigningKit]:
    @functools.cache
    def load() -> SigningKit:
        return signing_kit(settings, media=media, now=clock.now_utc())

    return load


def signing_kit(settings: Settings, *, media: MediaStore, now: datetime) -> SigningKit:
    """Loads the PKI (`now` dates a development PKI generated on the first run): once per process."""
    return SigningKit(media=media, pki=load_pki(pki_config(settings), now=now), business_tz=settings.business_tz)


# --- what services get besides adapters: values from the settings ------------------------------


def _redis_client(settings: Settings):
    """A plain redis.asyncio client on the queue's Redis (the sandbox SMS log)."""
    from redis.asyncio import Redis

    rs = redis_settings(settings)
    if rs.unix_socket_path:
        return Redis(unix_socket_path=rs.unix_socket_path, socket_connect_timeout=2, socket_timeout=2)
    return Redis(host=rs.host, port=rs.port, db=rs.database, username=rs.username, password=rs.password, ssl=rs.ssl,
                 socket_connect_timeout=2, socket_timeout=2)


def redis_settings(settings: Settings) -> RedisSettings:
    """Where the job queue's Redis is: the embedded one's socket, or `CUNXIN_REDIS_URL`."""
    if settings.uses_embedded_redis:
        return RedisSettings(unix_socket_path=str(settings.redis_socket), conn_retries=1, conn_timeout=2)
    rs = RedisSettings.from_dsn(settings.redis_url)
    rs.conn_retries, rs.conn_timeout = 1, 2
    return rs


def pki_config(settings: Settings) -> PkiConfig:
    """The signing certificates' paths (`CUNXIN_SIGNING_*`, `CUNXIN_BANK_SEAL_*`, `CUNXIN_TSA_URL`)."""
    password = settings.bank_seal_key_password.get_secret_value().encode() if settings.bank_seal_key_password else None
    return PkiConfig(
        dev_dir=settings.var_dir / "pki", is_production=settings.env == Env.PROD,
        ca_cert=settings.signing_ca_cert, ca_key=settings.signing_ca_key,
        bank_cert=settings.bank_seal_cert, bank_key=settings.bank_seal_key, bank_key_password=password,
        chain=tuple(settings.signing_chain), trust_roots=tuple(settings.signing_trust_roots), tsa_url=settings.tsa_url,
    )


def sandbox_seal_dir(settings: Settings, bank_code: str) -> Path:
    """Where a demo bank's sandbox seal is written (`cunxin bank seal --sandbox`, `cunxin seed-demo`): next to the dev PKI."""
    return settings.var_dir / "pki" / "banks" / bank_code


def visit_policy(settings: Settings) -> VisitPolicy:
    """The visit flow's numbers (`CUNXIN_VISIT_*`, face and upload limits)."""
    return VisitPolicy(
        authority=Authority(
            officer_fen=settings.visit_authority_officer_yuan * 100,
            approver_fen=settings.visit_authority_approver_yuan * 100,
            branch_manager_fen=settings.visit_authority_branch_manager_yuan * 100,
        ),
        max_distance_m=settings.visit_max_distance_m,
        product_code=settings.visit_product_code,
        line_years=settings.visit_line_years,
        authorisation_days=settings.visit_authorisation_days,
        face_fresh_minutes=settings.face_match_fresh_minutes,
        face_threshold=settings.face_threshold,
        max_upload_bytes=settings.idcard_max_bytes,
        credit_report_reuse_days=settings.credit_report_reuse_days,
        exposure_cap_fen=settings.line_exposure_cap_yuan * 100 if settings.line_exposure_cap_yuan else None,
    )


def online_credit_policy(settings: Settings) -> OnlineCreditPolicy:
    """The online products' numbers (`CUNXIN_ONLINE_*`, the credit report's reuse, the exposure cap, the sources' freshness)."""
    return OnlineCreditPolicy(
        rules=InternetLendingRules(cap_per_borrower_fen=settings.online_cap_per_borrower_yuan * 100, bullet_max_months=settings.online_bullet_max_months),
        external=external_data_policy(settings), credit_report_reuse_days=settings.credit_report_reuse_days, consent_days=settings.online_consent_days,
        line_months=settings.online_line_months, offer_valid_days=settings.online_offer_valid_days,
        exposure_cap_fen=settings.line_exposure_cap_yuan * 100 if settings.line_exposure_cap_yuan else None,
    )


def external_data_policy(settings: Settings) -> ExternalDataPolicy:
    """How long an external source's answer is reused (`CUNXIN_EXTERNAL_DATA_*FRESHNESS_DAYS`)."""
    return ExternalDataPolicy(
        default_freshness=timedelta(days=settings.external_data_default_freshness_days),
        freshness={ExternalSource(k): timedelta(days=v) for k, v in settings.external_data_freshness_days.items()},
    )


def allowance_policy(settings: Settings) -> AllowancePolicy:
    """Allowance rates by class and the write-off conditions (`CUNXIN_ALLOWANCE_RATES_PPM`, `CUNXIN_WRITE_OFF_*`)."""
    return AllowancePolicy.from_settings(settings.allowance_rates_ppm, classes=settings.write_off_classes,
                                         min_days_past_due=settings.write_off_min_days_past_due)


def extension_policy(settings: Settings) -> ExtensionPolicy:
    """How many times a loan may be extended (`CUNXIN_EXTENSION_MAX_TIMES`, 1)."""
    return ExtensionPolicy(max_times=max(1, settings.extension_max_times))


def renewal_policy(settings: Settings) -> RenewalPolicy:
    """When a loan may be renewed without repaying principal (`CUNXIN_RENEWAL_WINDOW_DAYS`, `_CLEAN_MONTHS`, `_STRATEGY_DAYS`)."""
    return RenewalPolicy(window_days=max(0, settings.renewal_window_days), clean_months=max(0, settings.renewal_clean_months),
                         strategy_days=max(0, settings.renewal_strategy_days), business_tz=settings.business_tz)


def guarantee_policy(settings: Settings) -> GroupPolicy:
    """The size of a 联保 group and how many a household may be in (`CUNXIN_GUARANTEE_GROUP_MIN_HOUSEHOLDS` 5,
    `_MAX_HOUSEHOLDS` 10, `CUNXIN_GUARANTEE_MAX_GROUPS_PER_HOUSEHOLD` 1); a minimum below 2 is read as 2."""
    low = max(2, settings.guarantee_group_min_households)
    return GroupPolicy(min_households=low, max_households=max(low, settings.guarantee_group_max_households),
                       max_groups_per_household=max(1, settings.guarantee_max_groups_per_household))


def maker_checker_policy(settings: Settings) -> MakerCheckerPolicy:
    """Which operations need a second officer (`CUNXIN_MAKER_CHECKER_*`)."""
    text = settings.maker_checker_kinds.strip()
    return MakerCheckerPolicy(
        kinds=frozenset(CommandKind) if text.lower() == "all" else parse_kinds(text),
        expire_hours=settings.maker_checker_expire_hours,
        counter_drawdown_above_fen=settings.maker_checker_counter_drawdown_above_yuan * 100,
        branch_authority_fen=settings.maker_checker_branch_authority_yuan * 100 if settings.maker_checker_branch_authority_yuan > 0 else None,
    )


def sign_in_policy(settings: Settings) -> SignInPolicy:
    """Borrowers' sign-in limits and token lifetimes (`CUNXIN_BORROWER_*`)."""
    return SignInPolicy(
        code_ttl=timedelta(seconds=settings.borrower_code_ttl_seconds),
        max_attempts=settings.borrower_code_max_attempts,
        per_phone_minute=settings.borrower_codes_per_phone_minute,
        per_phone_hour=settings.borrower_codes_per_phone_hour,
        per_ip_hour=settings.borrower_codes_per_ip_hour,
        access_ttl=timedelta(minutes=settings.borrower_access_minutes),
        refresh_ttl=timedelta(days=settings.borrower_refresh_days),
    )


def classification_policy(settings: Settings) -> ClassificationPolicy:
    """The bank's five-tier policy (`CUNXIN_CLASSIFICATION_*`, `CUNXIN_NONACCRUAL_AFTER_DAYS`)."""
    return ClassificationPolicy(
        mapping=DpdMapping.from_dict(settings.classification_dpd_floors),
        grace_days=settings.classification_grace_days,
        observation_months=settings.classification_observation_months,
        observation_periods=settings.classification_observation_periods,
        nonaccrual_after_days=settings.nonaccrual_after_days,
    )


def warning_thresholds(settings: Settings) -> Thresholds:
    """The early warnings' thresholds: the documented defaults, with the settings that exist (`CUNXIN_WARNING_*`)."""
    return replace(DEFAULT_THRESHOLDS, contributions_stopped_months=settings.warning_contributions_stopped_months)


def postloan_schedule(settings: Settings) -> CheckSchedule:
    """When post-loan checks fall due (`CUNXIN_POSTLOAN_*`): the settings over the documented defaults."""
    return CheckSchedule(
        first_after_days=settings.postloan_first_after_days,
        interval_days={**DEFAULT_SCHEDULE.interval_days, **settings.postloan_interval_days},
        product_interval_days=settings.postloan_product_interval_days,
        lead_days=settings.postloan_lead_days,
        warning_due_days=settings.postloan_warning_due_days,
        warning_kinds=frozenset(settings.postloan_warning_kinds) or DEFAULT_SCHEDULE.warning_kinds,
    )
