"""Reporting commands: `cunxin report-key create|list|revoke`, `cunxin customer-tags` and `cunxin reporting-sql`.

Report keys are made by operators (the system actor, audited); the key is printed once.
"""

from __future__ import annotations

from datetime import date

import typer

from app import clock
from app.cli.base import cli
from app.cli.base import fail as _fail
from app.cli.base import run_in_db as _run
from app.services.actor import SYSTEM

report_keys = typer.Typer(help="报表密钥：只读，限定机构（含下级机构）", no_args_is_help=True, add_completion=False)
cli.add_typer(report_keys, name="report-key")


@report_keys.command("create")
def create_key(
    name: str = typer.Argument(..., help="密钥名称，如 监管报送"),
    branch: str = typer.Option(..., "--branch", help="机构代码，如 XF010"),
    pii: bool = typer.Option(False, "--pii", help="个人信息权限：客户明细含完整姓名、身份证号、手机号（每次读取留痕）"),
) -> None:
    """Make a read-only report key for a branch and the branches below it; the key is shown once. --pii: customers unmasked, audited."""
    from app.services.reporting import create_report_key

    made = _run(lambda: create_report_key(actor=SYSTEM, name=name, branch_code=branch, pii=pii), "创建失败")
    scope = "，含个人信息权限（每次读取留痕）" if pii else ""
    typer.echo(f"已创建报表密钥「{made.key.name}」（ID {made.key.id}，机构 {branch} 及下级机构{scope}）")
    typer.echo(made.token)
    typer.echo("密钥只显示这一次，请妥善保存；使用方式：Authorization: Bearer <密钥>", err=True)


@report_keys.command("list")
def list_keys(all_keys: bool = typer.Option(False, "--all", help="包括已吊销的密钥")) -> None:
    """List report keys (prefix, name, branch, last use)."""
    from app.services.reporting import list_report_keys

    keys = _run(lambda: list_report_keys(actor=SYSTEM, include_revoked=all_keys), "查询失败")
    if not keys:
        typer.echo("暂无报表密钥")
    for k in keys:
        used = k.last_used_at.isoformat(timespec="seconds") if k.last_used_at else "从未使用"
        state = f"已吊销 {k.revoked_at.isoformat(timespec='seconds')}" if k.revoked_at else "有效"
        pii = "  含个人信息" if k.pii_scope else ""
        typer.echo(f"{k.prefix}…  {k.id}  {k.name}  {k.branch.code}{pii}  {state}  最近使用 {used}")


@report_keys.command("revoke")
def revoke_key(key: str = typer.Argument(..., help="密钥 ID 或列表中显示的前缀（如 rk_AbC123x）")) -> None:
    """Revoke a report key: requests with it are refused from now on."""
    from app.services.reporting import revoke_report_key

    revoked = _run(lambda: revoke_report_key(actor=SYSTEM, key_ref=key, now=clock.now_utc()), "吊销失败")
    typer.echo(f"已吊销报表密钥「{revoked.name}」（{revoked.prefix}…）")


@cli.command("customer-tags")
def customer_tags(on: str = typer.Option(None, "--date", help="会计日期 YYYY-MM-DD（默认当前会计日期）")) -> None:
    """Recompute every customer's rule-based tags (idempotent per date)."""
    from app.services import business_date
    from app.services.insight import refresh_customer_tags

    try:
        target = date.fromisoformat(on) if on else None
    except ValueError:
        _fail(f"日期格式不正确：{on}（应为 YYYY-MM-DD）")

    async def work():
        return await refresh_customer_tags(on=target or await business_date.current())

    report = _run(work, "标签更新失败")
    typer.echo(f"{report.on.isoformat()} 客户标签已更新：客户 {report.customers} 位，新增 {report.added} 个，移除 {report.removed} 个")


@cli.command("reporting-sql")
def reporting_sql(
    bank: str = typer.Option(None, "--bank", help="法人行机构代码：角色只能看到该行的数据（不填：所有法人行）"),
    role: str = typer.Option(None, "--role", help="角色名（默认 cunxin_reporting，或 cunxin_reporting_<机构代码>）"),
    reset_password: bool = typer.Option(False, "--reset-password", help="为已有角色重新生成密码"),
) -> None:
    """Create or update the `reporting` schema of SQL views (PostgreSQL) and a read-only role for Metabase/Superset."""
    from app.services.reporting.sql_views import install_reporting_sql

    made = _run(lambda: install_reporting_sql(role=role, bank_code=bank, reset_password=reset_password), "创建报表视图失败")
    scope = f"法人行 {made.bank_code}" if made.bank_code else "所有法人行"
    typer.echo(f"已更新 reporting 模式（{len(made.views)} 个视图），只读角色 {made.role}：{scope}")
    if made.password:
        typer.echo(made.password)
        typer.echo("密码只显示这一次，请填入 Metabase/Superset 的数据库连接（模式 reporting）", err=True)
