"""Risk commands: credit-check."""

from __future__ import annotations

import json
from importlib import resources
from pathlib import Path

import typer

from app.cli.base import cli, read_file
from app.cli.base import fail as _fail
from app.domain.credit_report import MAX_BYTES, CreditReportError, parse_report
from app.domain.rules import DEFAULT_REJECT_RULESET, RuleSet, evaluate, explain, load_ruleset


def default_reject_ruleset() -> RuleSet:
    """The shipped default reject rules (package data of app.domain.rules)."""
    text = resources.files("app.domain.rules").joinpath(DEFAULT_REJECT_RULESET).read_text(encoding="utf-8")
    return load_ruleset(text)


@cli.command("credit-check")
def credit_check(
    report: Path = typer.Argument(..., help="征信报告 XML 文件（村信交换格式 1.0）"),
    as_json: bool = typer.Option(False, "--json", help="输出 JSON：decision、ruleSetVersion、rules"),
) -> None:
    """Evaluate the default reject rules on one credit report as of its reportDate."""
    data = read_file(report, "征信报告文件", limit=MAX_BYTES)
    try:
        parsed = parse_report(data)
    except CreditReportError as exc:
        _fail(f"征信报告被拒绝（{exc.code}）：{exc.message}")
    decision = evaluate(default_reject_ruleset(), parsed, parsed.report_date)
    if as_json:
        typer.echo(json.dumps(decision.to_json(), ensure_ascii=False))
    else:
        typer.echo(f"征信报告 {parsed.report_id}（报告日期 {parsed.report_date.isoformat()}）")
        typer.echo(explain(decision))
