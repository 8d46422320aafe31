"""After end-of-day: the day's early warnings, collection tasks and post-loan checks, for one closed business date.

The day's close (app/services/day_end.py, its `risk` stage) and `cunxin warnings` both
call `run_after_eod`; every step is idempotent per date, so running a date twice (a
retry, an operator) adds nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from app.domain.error_codes import OperationsCode
from app.domain.errors import ValidationError
from app.domain.postloan import DEFAULT_SCHEDULE, CheckSchedule
from app.domain.warnings import DEFAULT_THRESHOLDS, Thresholds
from app.models import EodRun
from app.services.actor import SYSTEM, Actor
from app.services.risk.collections import CollectionRunReport, open_collection_tasks
from app.services.guarantees import GuarantorRunReport, open_guarantor_tasks
from app.services.documents import MediaStore
from app.services.postloan.tasks import CheckRunReport, raise_checks
from app.services.risk.warnings import WarningRunReport, run_warnings


@dataclass(frozen=True, slots=True)
class AfterEodReport:
    business_on: date
    warnings: WarningRunReport
    collections: CollectionRunReport
    checks: CheckRunReport
    guarantors: GuarantorRunReport | None = None  # 联保: tasks and warnings for the guarantors of overdue members


async def last_closed_day() -> date | None:
    """The latest business date whose end-of-day has finished."""
    run = await EodRun.filter(finished_at__isnull=False).order_by("-business_on").first()
    return run.business_on if run else None


async def run_after_eod(
    *, media: MediaStore, on: date | None = None, thresholds: Thresholds = DEFAULT_THRESHOLDS, schedule: CheckSchedule = DEFAULT_SCHEDULE,
    actor: Actor = SYSTEM,
) -> AfterEodReport:
    """Warnings, then collection tasks (the borrowers', then the 联保 guarantors'), then post-loan checks (some raised by the day's warnings), for `on` (default: the last closed business date)."""
    target = on or await last_closed_day()
    if target is None:
        raise ValidationError("尚未完成任何日终，没有可预警的会计日期", code=OperationsCode.NO_CLOSED_DAY, field="date")
    warnings = await run_warnings(on=target, media=media, thresholds=thresholds, actor=actor)
    collections = await open_collection_tasks(on=target, actor=actor)  # closes cured tasks, the guarantors' too
    guarantors = await open_guarantor_tasks(on=target, actor=actor)
    checks = await raise_checks(on=target, schedule=schedule, actor=actor)
    return AfterEodReport(business_on=target, warnings=warnings, collections=collections, checks=checks, guarantors=guarantors)
