"""`cunxin external-import SOURCE FILE --bank CODE [--purpose post_loan] [--confirm]`: a bank's batch file of one
external source (公积金, 社保, 税务, 粮补, 保单, 国网), checked row by row, then stored all or nothing (docs/external-data.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app.cli.base import run_in_db as _run
from app.clock import now_utc
from app.config import get_settings
from app.domain.external_import import KINDS
from app.services.actor import SYSTEM

_SOURCE_HELP = "、".join(f"{s.value}（{s.label}）" for s in KINDS)


@cli.command("external-import")
def external_import(
    source: str = typer.Argument(..., help=f"外部数据来源：{_SOURCE_HELP}"),
    file: Path = typer.Argument(..., help="CSV（UTF-8 或 GB18030）或 XLSX 文件"),
    bank: str = typer.Option(..., "--bank", help="法人行机构代码，如 14102301"),
    purpose: str = typer.Option("post_loan", "--purpose", help="数据用途：post_loan（贷后监测，默认）或 application（授信申请）；每位客户须有该来源、该用途的有效授权"),
    confirm: bool = typer.Option(False, "--confirm", help="检查全部通过后写入（整个文件一个事务）；不加则只预览，不写入"),
) -> None:
    """Check a batch file of external data row by row (preview), or with --confirm store it, all or nothing."""
    from app.services.external_data.imports import import_external

    vault = adapters().vault
    result = _run(lambda: import_external(actor=SYSTEM, vault=vault, source=source, bank_code=bank, path=file, confirm=confirm,
                                          max_bytes=get_settings().import_max_bytes, now=now_utc(), purpose=purpose), "导入失败")
    for error in result.errors:
        typer.echo(str(error), err=True)
    if result.error_count > len(result.errors):
        typer.echo(f"……另有 {result.error_count - len(result.errors)} 处错误未列出", err=True)
    summary = (f"{result.bank_name} {result.source.label}数据（用途：{result.purpose.label}）：共 {result.rows} 行，"
               f"涉及客户 {result.customers} 位，已导入过 {result.skipped} 位")
    if result.error_count:
        _fail(f"{summary}；{result.error_count} 处错误，未写入任何数据。请改正后重新导入")
    if result.committed:
        typer.echo(f"已导入。{summary}")
    else:
        typer.echo(f"预览通过（未写入）。{summary}。确认无误后加 --confirm 导入")
