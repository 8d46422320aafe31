"""What the borrower-side resolvers need besides the context's core and vault."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from app.config import Settings
from app.services.auth.borrowers import SignInPolicy
from app.services.contracts import SigningKit
from app.services.jobs import JobQueue
from app.services.lending.online_credit import OnlineCreditPolicy
from app.services.ports import CreditBureau, ExternalSources, MediaStore, SmsSender


@dataclass(frozen=True, slots=True)
class MobileDeps:
    """Built once per app by `app/main.py:create_app` from the process's adapters (app/wiring.py)."""

    settings: Settings
    sms: SmsSender
    bureau: CreditBureau
    media: MediaStore
    policy: SignInPolicy
    external: ExternalSources | None = None  # the external data sources (公积金, 保单, 国网 … ; docs/external-data.md)
    online: OnlineCreditPolicy = OnlineCreditPolicy()  # the online products' numbers (CUNXIN_ONLINE_*)
    queue: JobQueue | None = None  # the job queue: an online line's contract is rendered by the worker
    signing_kit: Callable[[], SigningKit] | None = None  # the contracts' PKI (app/wiring.py), loaded on first use
