"""`cunxin import KIND FILE --bank CODE [--confirm]` and `cunxin import-template KIND`: the portfolio import (docs/import.md)."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app.cli.base import run_in_db as _run
from app.config import get_settings
from app.domain.money import yuan_str
from app.domain.portfolio_import import KINDS
from app.services.actor import SYSTEM

_KIND_HELP = "、".join(f"{k.code}（{k.label}）" for k in KINDS.values())


def _kind(code: str):
    kind = KINDS.get(code.strip())
    if kind is None:
        _fail(f"导入类型应为：{_KIND_HELP}")
    return kind


PROGRESS_EVERY = 500  # rows between two updates of the bar


class _Bars:
    """The check and write stages as two rich progress bars on stderr, their length the file's estimated rows.

    Called by the import service every PROGRESS_EVERY rows with (stage, rows so far). On a terminal the bars
    move; into a pipe or a file rich draws them once, as they stand when the command ends."""

    def __init__(self, total: int | None) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn, TimeRemainingColumn

        self.total = total
        self.tasks: dict[str, object] = {}
        self.progress = Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TextColumn("行"), TimeElapsedColumn(),
                                 TimeRemainingColumn(), console=Console(stderr=True))

    def __enter__(self) -> _Bars:
        self.progress.start()
        return self

    def __call__(self, stage: str, rows: int) -> None:
        if stage not in self.tasks:
            self.tasks[stage] = self.progress.add_task(f"{stage}中", total=self.total)
        task = self.tasks[stage]
        total = self.progress.tasks[task].total  # type: ignore[index]
        self.progress.update(task, completed=rows, total=max(total, rows) if total is not None else None)

    def done(self, stage: str, rows: int) -> None:
        """A stage that read the whole file: its bar ends full at the rows it read."""
        self(stage, rows)
        self.progress.update(self.tasks[stage], total=rows, completed=rows)

    def __exit__(self, *exc) -> None:
        self.progress.stop()


@cli.command("import")
def import_file(
    kind: str = typer.Argument(..., help=f"导入类型：{_KIND_HELP}"),
    file: Path = typer.Argument(..., help="CSV（UTF-8 或 GB18030）或 XLSX 文件"),
    bank: str = typer.Option(..., "--bank", help="法人行机构代码，如 14102301"),
    confirm: bool = typer.Option(False, "--confirm", help="检查全部通过后写入（整个文件一个事务）；不加则只预览，不写入"),
) -> None:
    """Check a file of the old system's records row by row (preview), or with --confirm import it, all or nothing."""
    from app.services.portfolio_import import import_kind

    spec = _kind(kind)
    from app.services.portfolio_import.files import estimate_rows
    from app.wiring import guarantee_policy

    vault = adapters().vault
    with _Bars(estimate_rows(file) if file.is_file() else None) as bars:  # a guarantees file: the settings' group policy (CUNXIN_GUARANTEE_*)
        result = _run(lambda: import_kind(spec.code, guarantee_policy=guarantee_policy(get_settings()), actor=SYSTEM, vault=vault, bank_code=bank,
                                          path=file, confirm=confirm, max_bytes=get_settings().import_max_bytes, progress=bars,
                                          progress_every=PROGRESS_EVERY), "导入失败")
        if not result.error_count:
            bars.done("检查", result.rows)
        if result.committed:
            bars.done("写入", result.rows)
    for error in result.errors:
        typer.echo(str(error), err=True)
    if result.error_count > len(result.errors):
        typer.echo(f"……另有 {result.error_count - len(result.errors)} 处错误未列出", err=True)
    summary = f"{result.bank_name} {spec.label}：共 {result.rows} 行，新增 {result.new} 行，已导入过 {result.skipped} 行"
    if result.error_count:
        _fail(f"{summary}；{result.error_count} 处错误，未写入任何数据。请改正后重新导入")
    if result.committed:
        typer.echo(f"已导入。{summary}")
        if spec.code == "loans":
            from app.services.portfolio_import import loan_reconciliation

            _print_reconciliation(_run(lambda: loan_reconciliation(actor=SYSTEM, bank_code=bank), "对账失败"))
    else:
        typer.echo(f"预览通过（未写入）。{summary}。确认无误后加 --confirm 导入")


@cli.command("import-template")
def import_template(
    kind: str = typer.Argument(..., help=f"导入类型：{_KIND_HELP}"),
    out: Path | None = typer.Option(None, "--out", help="输出文件，默认 import-<类型>.xlsx"),
) -> None:
    """Write the kind's XLSX template: header row, example rows (ID and card columns as text), a notes sheet in Chinese."""
    from app.services.portfolio_import.files import template_xlsx

    spec = _kind(kind)
    target = out or Path(f"import-{spec.code}.xlsx")
    target.write_bytes(template_xlsx(spec))
    typer.echo(f"已生成{spec.label}导入模板：{target}")


def _figures(f) -> str:
    return (f"{f.count} 笔，本金 {yuan_str(f.principal_fen)} 元，应收利息 {yuan_str(f.interest_fen)} 元，"
            f"应计利息 {yuan_str(f.accrued_fen)} 元，罚息 {yuan_str(f.penalty_fen)} 元，复利 {yuan_str(f.compound_fen)} 元")


def _print_reconciliation(report) -> None:
    """The loans reconciliation (app.services.portfolio_import.loans.loan_reconciliation) as lines of text."""
    typer.echo(f"【{report.bank_name} 迁移贷款对账】")
    dimension = None
    for line in report.lines:
        if line.dimension != dimension:
            dimension = line.dimension
            typer.echo(f"按{dimension}：")
        typer.echo(f"  {line.label}：{_figures(line.figures)}")
    typer.echo(f"导入合计：{_figures(report.imported)}")
    typer.echo(f"控制合计：{_figures(report.control)}")
    typer.echo(f"迁移过渡科目余额：{yuan_str(report.suspense_fen)} 元")
    typer.echo("对账相符" if report.matches else "对账不符：请核对上列差额")
