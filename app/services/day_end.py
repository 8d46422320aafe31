"""The day's close (日终) as ONE chain, in one place: lending steps, then warnings and collections, then tags.

Stages, in order, for a business date D (each idempotent per date, each under D's lease):

    lending  — `run_eod`: accrual, repricing, auto-debit, overdue, penalty, classification,
               the day's loan positions (and month-end snapshot), on a month's last business date each bank's
               loan-loss provision (once per bank and month), and the business date moves to D + 1; each step posts
               once per member bank to that bank's books, and each bank's figures of D are reported (`bank_figures`)
    risk     — reconciliation of D (core journal vs ledger, a break raises an early warning:
               `reconcile_and_warn`), then early warnings, collection tasks and post-loan checks for D (`run_after_eod`)
    tags     — customer tags as of D + 1, the new business date (`refresh_customer_tags`)

A stage starts only after the previous one has committed; which stages remain is read
from the database (`eod_run.finished_at`, `eod_run.stages_done`), so a close interrupted
anywhere resumes where it stopped. Two triggers only: the worker's cron at `eod_hour`
(`close_business_day(..., queue=...)`: each stage is an arq job with the id
`<stage>:<date>` that enqueues the next stage when it is done) and `cunxin eod`
(`queue=None`: the stages run in the command's process, in order). No close runs a
business date later than today's calendar date in the bank's time zone, except a
simulation (`simulate=True`: `cunxin eod --days`, refused in production).
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from datetime import date, timedelta

from app.crypto import Vault
from app.domain.allowance import DEFAULT_POLICY as DEFAULT_ALLOWANCE, AllowancePolicy
from app.domain.classification import DEFAULT_POLICY, ClassificationPolicy
from app.domain.error_codes import CommonCode, OperationsCode
from app.domain.postloan import DEFAULT_SCHEDULE, CheckSchedule
from app.domain.warnings import DEFAULT_THRESHOLDS, Thresholds
from app.domain.errors import ValidationError
from app.integrations.core_banking import CoreBanking
from app.models import EodRun
from app.services import audit, business_date, eod_lease
from app.services.actor import SYSTEM
from app.services.risk.after_eod import run_after_eod
from app.services.documents import MediaStore
from app.services.insight import refresh_customer_tags
from app.services.jobs import JobQueue
from app.services.lending.books import BankDay, bank_figures
from app.services.lending.eod import run_eod
from app.services.lending.positions import DEFAULT_RETENTION_DAYS
from app.services.lending.reconcile import reconcile_and_warn

logger = logging.getLogger(__name__)

LENDING = "lending"
LATER_STAGES = ("risk", "tags")
STAGES = (LENDING, *LATER_STAGES)
STAGE_JOB = "day_end_stage"  # the worker function that runs one stage (workers/default.py)

DONE, ALREADY_DONE, RUNNING, NOT_YET = "done", "already_done", "running", "not_yet"


@dataclass(frozen=True, slots=True)
class DayEndTools:
    core: CoreBanking
    vault: Vault
    media: MediaStore
    lease_ttl: int = eod_lease.DEFAULT_TTL_SECONDS
    policy: ClassificationPolicy = DEFAULT_POLICY  # classification and non-accrual (settings: classification_*, nonaccrual_after_days)
    postloan: CheckSchedule = DEFAULT_SCHEDULE  # when post-loan checks fall due (settings: postloan_*)
    warnings: Thresholds = DEFAULT_THRESHOLDS  # early-warning thresholds (settings: warning_*)
    positions_retention_days: int = DEFAULT_RETENTION_DAYS  # daily loan positions kept this long (settings: positions_retention_days)
    allowance: AllowancePolicy = DEFAULT_ALLOWANCE  # the month-end provision's rates by class (settings: allowance_rates_ppm)


@dataclass(frozen=True, slots=True)
class StageReport:
    stage: str
    business_on: date
    status: str  # done | already_done | running (another holds the lease: nothing changed) | not_yet
    detail: str = ""
    banks: tuple[BankDay, ...] = ()  # the lending stage, done: each bank's figures of the day


def job_id(stage: str, on: date) -> str:
    return f"{stage}:{on.isoformat()}"


async def next_stage(through: date) -> tuple[str, date] | None:
    """The first stage still to run: the last closed date's later stages, then the lending stage of a date ≤ `through`."""
    last = await EodRun.filter(finished_at__isnull=False).order_by("-business_on").first()
    if last is not None:
        missing = [s for s in LATER_STAGES if s not in last.stages_done]
        if missing:
            return missing[0], last.business_on
    current = await business_date.current()
    return (LENDING, current) if current <= through else None


async def run_stage(stage: str, on: date, tools: DayEndTools) -> StageReport:
    if stage == LENDING:
        r = await run_eod(on=on, core=tools.core, vault=tools.vault, lease_ttl=tools.lease_ttl, policy=tools.policy,
                          positions_retention_days=tools.positions_retention_days, allowance=tools.allowance)
        status = RUNNING if r.running else ALREADY_DONE if r.already_done else DONE
        banks = await _bank_figures(on) if status == DONE else ()
        return StageReport(LENDING, on, status, "、".join(r.steps_run), banks)
    if stage not in LATER_STAGES:
        raise ValueError(f"unknown day-end stage {stage!r}")
    run = await EodRun.get_or_none(business_on=on)
    if run is None or run.finished_at is None:
        raise ValidationError(f"{on.isoformat()} 尚未完成日终，不能运行后续环节", code=OperationsCode.NOT_CLOSED, field="date")
    if stage in run.stages_done:
        return StageReport(stage, on, ALREADY_DONE)
    lease = await eod_lease.acquire(on, ttl_seconds=tools.lease_ttl)
    if lease is None:
        return StageReport(stage, on, RUNNING)
    try:
        return await _later_stage(stage, on, tools, lease)
    finally:
        await lease.release()


async def _bank_figures(on: date) -> tuple[BankDay, ...]:
    """One close for the platform, figures per bank: recorded (audit `eod.bank_figures`) and logged."""
    figures = tuple(await bank_figures(on))
    await audit.record(SYSTEM, "eod.bank_figures", "eod_run", on.isoformat(), after={f.code: f.as_dict() for f in figures})
    for f in figures:
        logger.info("day end %s: bank %s %s", on, f.code, f.as_dict())
    return figures


async def _later_stage(stage: str, on: date, tools: DayEndTools, lease: eod_lease.Lease) -> StageReport:
    run = await EodRun.get(id=lease.run_id)
    if stage in run.stages_done:
        return StageReport(stage, on, ALREADY_DONE)
    if stage == "risk":
        rec = await reconcile_and_warn(on, core=tools.core)  # core journal vs ledger; a break is an early warning
        r = await run_after_eod(media=tools.media, on=on, schedule=tools.postloan, thresholds=tools.warnings)
        checked = "对账未完成（核心流水不可用）" if rec.journal_unavailable else f"对账差错 {len(rec.breaks)} 处"
        detail = f"{checked}，新增预警 {r.warnings.total} 条，催收任务新开 {r.collections.opened} 个、结束 {r.collections.closed} 个，贷后检查新增 {r.checks.total} 项"
    else:
        t = await refresh_customer_tags(on=on + timedelta(days=1))
        detail = f"{t.customers} 户，新增 {t.added} 个、移除 {t.removed} 个"
    if not await EodRun.filter(lease.mine()).update(stages_done=[*run.stages_done, stage]):
        raise eod_lease.LeaseLost(on)
    logger.info("day end %s: %s done", on, stage)
    return StageReport(stage, on, DONE, detail)


async def close_business_day(
    *, tools: DayEndTools, today: date, on: date | None = None, catch_up: bool = False, simulate: bool = False, queue: JobQueue | None = None,
) -> list[StageReport]:
    """Start or resume the close of the current business date (or `on`); with `catch_up`, of every date up to today.

    `today` is the calendar date in the bank's time zone. Without `queue` every
    remaining stage runs here, in order, until one finds another holder's lease;
    with `queue` only the first remaining stage is enqueued (its job continues the chain).
    """
    current = await business_date.current()
    if on is not None and on > current:
        raise ValidationError(f"当前会计日期为 {current.isoformat()}，不能对 {on.isoformat()} 日终", code=CommonCode.INVALID_DATE, field="date")
    wanted = today if catch_up else (on or current)
    through = wanted if simulate else min(wanted, today)
    reports = await (enqueue_next(queue, through=through) if queue is not None else _run_inline(tools, through))
    if on is not None and not reports:  # a date closed long ago: say so
        reports.append(await run_stage(LENDING, on, tools))
    if wanted > through:
        reports.append(StageReport(LENDING, wanted, NOT_YET, f"会计日期 {wanted.isoformat()} 晚于今天（{today.isoformat()}），不提前日终"))
    return reports


async def _run_inline(tools: DayEndTools, through: date) -> list[StageReport]:
    reports: list[StageReport] = []
    seen: set[tuple[str, date]] = set()
    while (stage := await next_stage(through)) is not None and stage not in seen:
        seen.add(stage)
        reports.append(await run_stage(*stage, tools))
        if reports[-1].status == RUNNING:
            break  # its holder goes on with the chain
    return reports


async def enqueue_next(queue: JobQueue, *, through: date) -> list[StageReport]:
    """Enqueue the first remaining stage as job `<stage>:<date>` (call only after the previous stage committed)."""
    stage = await next_stage(through)
    if stage is None:
        return []
    name, on = stage
    queued = await queue.enqueue(STAGE_JOB, job_id=job_id(name, on), stage=name, business_on=on.isoformat(), through=through.isoformat())
    logger.info("day end: %s %s", job_id(name, on), "enqueued" if queued else "already queued or running")
    return [StageReport(name, on, "queued" if queued else RUNNING)]
