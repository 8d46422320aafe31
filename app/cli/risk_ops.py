"""Risk operations: `cunxin warnings` runs the day's early warnings and collection tasks."""

from __future__ import annotations

import asyncio
from datetime import date

import typer

from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app.config import get_settings
from app.db import init_db
from app.domain.errors import DomainError
from app.domain.warnings import KIND_LABELS, WarningKind


@cli.command("warnings")
def warnings_command(on: str = typer.Option(None, "--date", help="会计日期 YYYY-MM-DD（默认最近一个已完成日终的日期）")) -> None:
    """Early warnings, collection tasks and post-loan checks for a closed business date (idempotent)."""
    from app.services.risk.after_eod import run_after_eod
    from app.wiring import postloan_schedule, warning_thresholds

    try:
        target = date.fromisoformat(on) if on else None
    except ValueError:
        _fail(f"日期格式不正确：{on}（应为 YYYY-MM-DD）")
    settings = get_settings()
    media = adapters().media

    async def work():
        ctx = await init_db(settings)
        try:
            return await run_after_eod(media=media, on=target, schedule=postloan_schedule(settings), thresholds=warning_thresholds(settings))
        finally:
            await ctx.close_connections()

    try:
        report = asyncio.run(work())
    except DomainError as exc:
        _fail(f"预警失败：{exc.message}")
    w, c = report.warnings, report.collections
    detail = "、".join(f"{KIND_LABELS[WarningKind(k)]} {n}" for k, n in sorted(w.created.items())) or "无"
    typer.echo(f"{report.business_on.isoformat()} 新增预警 {w.total} 条（{detail}）")
    if w.skipped_reports:
        typer.echo(f"有 {w.skipped_reports} 份已存征信报告无法读取，相关客户未做新增查询预警", err=True)
    typer.echo(f"{report.business_on.isoformat()} 催收任务：新开 {c.opened} 个，结束 {c.closed} 个")
    typer.echo(f"{report.business_on.isoformat()} 贷后检查：新增 {report.checks.total} 项")
