"""Lending commands: eod, ledger-check, reconcile, resolve-core, lpr add."""

from __future__ import annotations

import asyncio
from datetime import date, timedelta

import typer

from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app import clock
from app.config import Env, get_settings
from app.db import init_db
from app.domain.errors import DomainError
from app.domain.money import parse_rate_percent, yuan_str
from app.services.actor import SYSTEM
from app.services.eod_lease import RUNNING, LeaseLost

lpr_cli = typer.Typer(help="LPR 报价", no_args_is_help=True)
cli.add_typer(lpr_cli, name="lpr")


async def _with_db(work):
    ctx = await init_db(get_settings())
    try:
        return await work()
    finally:
        await ctx.close_connections()


@cli.command()
def eod(
    on: str = typer.Option(None, "--date", help="会计日期 YYYY-MM-DD（默认当前会计日期）"),
    days: int = typer.Option(None, "--days", help="仅开发/测试：连续模拟 N 个会计日（可超过今天），生产环境不可用"),
) -> None:
    """The day's close, in this process: lending steps, then warnings and collections, then customer tags.

    Closes the current business date (or resumes it), never a date later than today in
    the bank's time zone; a date already closed, or one another process is closing, exits 0.
    """
    from app.services.day_end import RUNNING as BUSY, DayEndTools, close_business_day
    from app.wiring import allowance_policy, classification_policy, postloan_schedule, warning_thresholds

    settings = get_settings()
    try:
        target = date.fromisoformat(on) if on else None
    except ValueError:
        _fail(f"日期格式不正确：{on}（应为 YYYY-MM-DD）")
    if days is not None and settings.env == Env.PROD:
        _fail("--days 用于开发和测试时模拟未来的会计日期，生产环境不可用")
    today = clock.local_today(settings.business_tz)

    async def work():
        outside = adapters()
        tools = DayEndTools(core=outside.core, vault=outside.vault, media=outside.media,
                           lease_ttl=settings.eod_lease_ttl_seconds, policy=classification_policy(settings),
                           postloan=postloan_schedule(settings), positions_retention_days=settings.positions_retention_days,
                           allowance=allowance_policy(settings), warnings=warning_thresholds(settings))
        if days is None:
            return await close_business_day(tools=tools, today=today, on=target)
        reports = []
        for n in range(days):
            reports += await close_business_day(tools=tools, today=today, on=target + timedelta(days=n) if target else None, simulate=True)
            if reports and reports[-1].status == BUSY:
                break
        return reports

    try:
        reports = asyncio.run(_with_db(work))
    except DomainError as exc:
        _fail(f"日终失败：{exc.message}")
    except LeaseLost as exc:
        _fail(f"日终中止：{exc}")
    for r in reports:
        typer.echo(f"{r.business_on.isoformat()} {_outcome(r)}")
        for b in r.banks:
            typer.echo(f"  {b.name}（{b.code}）：在贷 {b.active_loans} 笔，余额 {yuan_str(b.outstanding_fen)} 元，逾期 {b.overdue_loans} 笔，"
                       f"计息 {yuan_str(b.accrued_fen)} 元，扣款 {yuan_str(b.collected_fen)} 元，罚息复利 {yuan_str(b.penalty_fen)} 元")


STAGE_LABELS = {"lending": "日终", "risk": "预警与催收", "tags": "客户标签"}


def _outcome(report) -> str:
    from app.services.day_end import ALREADY_DONE, NOT_YET, RUNNING as RUNNING_STAGE

    label = STAGE_LABELS[report.stage]
    if report.status == RUNNING_STAGE:
        return f"{RUNNING}：{label}由另一进程执行中（它持有日终租约），本次未做任何处理"
    if report.status == NOT_YET:
        return f"不能提前日终：{report.detail}；今天的日终已完成"
    if report.status == ALREADY_DONE:
        return f"{label}已完成（无需重跑）"
    return f"{label}完成：{report.detail}"


BANK_OPTION = typer.Option(None, "--bank", help="法人行机构代码（默认：逐行核对，再给出全部法人行合并）")


def _heading(section) -> str:
    return f"【{section.name}（{section.code}）】" if section.code else f"【{section.name}】"


@cli.command("ledger-check")
def ledger_check(bank: str = BANK_OPTION) -> None:
    """Check that every transaction balances and every loan agrees with its ledger: per bank, then consolidated."""
    from app.services import business_date
    from app.services.lending.books import check_books
    from app.services.lending.core_outcomes import suspense_balances

    async def work():
        today = await business_date.current() - timedelta(days=1)
        return today, await check_books(today=today, bank_code=bank), await suspense_balances()

    try:
        today, sections, suspense = asyncio.run(_with_db(work))
    except DomainError as exc:
        _fail(f"总账核对失败：{exc.message}")
    for s in suspense:
        typer.echo(f"暂收款 {s['loan_id']}: {int(s['held'])} 分")
    failed = 0
    for section in sections:
        typer.echo(f"{_heading(section)} 借方合计 {section.debit_fen} 分，贷方合计 {section.credit_fen} 分"
                   f"{'' if section.debit_fen == section.credit_fen else '（借贷不平）'}")
        for p in section.problems[:50]:
            typer.echo(f"{_heading(section)} 不一致 {p.loan_id} {p.what}: 账务 {p.ledger_fen} 分, 台账 {p.books_fen} 分", err=True)
        if section.problems:
            typer.echo(f"{_heading(section)} {len(section.problems)} 处不一致", err=True)
        failed = max(failed, len(section.problems))
    if failed:
        _fail(f"总账核对失败：{failed} 处不一致（截至 {today.isoformat()} 日终）")
    typer.echo(f"总账核对通过（截至 {today.isoformat()} 日终）")


@cli.command("reconcile")
def reconcile(on: str = typer.Option(..., "--date", help="会计日期 YYYY-MM-DD"), bank: str = BANK_OPTION) -> None:
    """Compare every core-banking movement of the date with the ledger, per bank then consolidated; exit 1 on any break."""
    from app.integrations.core_banking import CoreBankingError
    from app.services.lending.books import reconcile_books

    try:
        day = date.fromisoformat(on)
    except ValueError:
        _fail("日期格式应为 YYYY-MM-DD")
    try:
        sections = asyncio.run(_with_db(lambda: reconcile_books(day, core=adapters().core, bank_code=bank)))
    except CoreBankingError:
        _fail("对账失败：核心系统流水不可用")
    except DomainError as exc:
        _fail(f"对账失败：{exc.message}")
    failed = 0
    for section in sections:
        for b in section.breaks:
            typer.echo(f"{_heading(section)} 差错 {b.reference} {b.what}: 核心 {b.core_fen} 分, 账务 {b.ledger_fen} 分", err=True)
        typer.echo(f"{_heading(section)} {'对账平' if not section.breaks else f'{len(section.breaks)} 处差错'}")
        failed = max(failed, len(section.breaks))
    if failed:
        _fail(f"对账不平：{day.isoformat()} 共 {failed} 处差错")
    typer.echo(f"对账平：{day.isoformat()} 核心流水与账务一致")


@cli.command("resolve-core")
def resolve_core() -> None:
    """Ask the core about every instruction still 处理中, book what it answers, refund or apply suspense."""
    from app.services.lending.core_outcomes import settle_core

    outside = adapters()
    done = asyncio.run(_with_db(lambda: settle_core(core=outside.core, vault=outside.vault)))
    typer.echo(f"已确认 {done.settled} 笔，仍处理中 {done.pending} 笔，暂收款退回 {done.refunded_fen} 分")


@lpr_cli.command("add")
def lpr_add(
    published_on: str = typer.Argument(..., metavar="DATE", help="发布日期 YYYY-MM-DD"),
    one_year: str = typer.Argument(..., metavar="1Y", help="1年期 LPR（%），如 3.00"),
    five_year: str = typer.Argument(..., metavar="5Y", help="5年期以上 LPR（%），如 3.50"),
    scheduled: bool = typer.Option(False, "--scheduled", help="发布日期晚于当前会计日期：录入为预定生效的利率"),
) -> None:
    """Record a month's LPR fixing (a date after the business date only with --scheduled)."""
    from app.services.lending.pricing import publish_lpr

    try:
        day = date.fromisoformat(published_on)
    except ValueError:
        _fail("日期格式应为 YYYY-MM-DD")
    try:
        one_year_ppm, five_year_ppm = parse_rate_percent(one_year, field="one_year_percent"), parse_rate_percent(five_year, field="five_year_percent")
        asyncio.run(_with_db(lambda: publish_lpr(
            actor=SYSTEM, published_on=day, one_year_ppm=one_year_ppm, five_year_ppm=five_year_ppm, scheduled=scheduled,
        )))
    except DomainError as exc:
        hint = "（如确为预定利率，请加 --scheduled）" if exc.code == "INVALID_DATE" else ""
        _fail(f"录入失败：{exc.message}{hint}")
    typer.echo(f"已录入{'预定' if scheduled else ''} {day.isoformat()} LPR：1年期 {one_year}%，5年期以上 {five_year}%")


@cli.command()
def provision(
    on: str = typer.Option(None, "--date", help="会计日期 YYYY-MM-DD（默认当前会计日期）；每月每家法人行计提一次"),
    bank: str = typer.Option(None, "--bank", help="法人行机构代码（默认全部法人行）"),
) -> None:
    """The month's loan-loss allowance (计提贷款损失准备) per bank: Σ class balance × rate, the difference posted."""
    from app.services import business_date
    from app.services.lending.books import banks_for
    from app.services.lending.write_off import provide_allowance
    from app.wiring import allowance_policy

    policy = allowance_policy(get_settings())

    async def work():
        today = date.fromisoformat(on) if on else await business_date.current()
        for b in await banks_for(bank):
            result = await provide_allowance(actor=SYSTEM, bank_id=b.id, today=today, policy=policy)
            typer.echo(f"{b.name} {result.month}：应计提准备 {yuan_str(result.required_fen)}，原有 {yuan_str(result.booked_before_fen)}，"
                       f"本次 {yuan_str(result.posted_fen)}")

    try:
        asyncio.run(_with_db(work))
    except DomainError as exc:
        _fail(exc.message)
    except ValueError:
        _fail(f"日期格式不正确：{on}（应为 YYYY-MM-DD）")
