"""Operator commands: dev, serve, worker, migrate, seed-demo, export-schema, create-officer."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from dataclasses import asdict
from pathlib import Path

import typer
from tortoise import Tortoise

from app import clock
from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app.config import ROOT, get_settings
from app.db import init_db, tortoise_config
from app.domain.errors import DomainError
from app.domain.vocabulary import Role
from app.services.actor import SYSTEM

SCHEMA_PATH = ROOT / "graphql" / "schema.graphql"


async def _migrate() -> None:
    from tortoise.migrations.api.migrate import migrate as run_migrations

    try:
        await run_migrations(config=tortoise_config(get_settings()))
    finally:
        await Tortoise.close_connections()  # also on failure, or aiosqlite's thread keeps the process alive


@cli.command()
def migrate() -> None:
    """Apply database migrations (SQLite or PostgreSQL, from CUNXIN_DATABASE_URL)."""
    asyncio.run(_migrate())
    typer.echo("数据库迁移完成")


async def _seed(households: int, second_bank: bool, *, empty: bool = False) -> dict:
    """The minimal demo (banks, villages, officers, products); without `empty`, then the living book (app/services/demo_book.py)."""
    from app.services import seed

    settings = get_settings()
    outside = adapters()
    ctx = await init_db(settings)
    try:
        today = clock.local_today(settings.business_tz)
        report = await seed.seed_demo(
            vault=outside.vault,
            demo_password=settings.demo_password.get_secret_value(),
            today=today,
            households_per_village=households,
            platform_name=settings.platform_name,
            first_bank_code=settings.first_bank_code,
            second_bank=second_bank,
            seal_maker=_sandbox_seal_maker(settings, outside),
        )
        created = asdict(report)
        if not empty:
            created |= await _living_book(settings, outside, today)
    finally:
        await ctx.close_connections()
    return created


async def _living_book(settings, outside, today) -> dict:
    """~18 months of a loan book lived day by day through the real services and day's close (sandbox only, never in production)."""
    import time

    from app.config import Env
    from app.integrations.bureau import SandboxBureau
    from app.integrations.core_banking import SandboxCoreBanking
    from app.services import demo_book
    from app.services.day_end import DayEndTools
    from app.sql import execute, is_postgres
    from app.wiring import allowance_policy, classification_policy, postloan_schedule, warning_thresholds

    if settings.env == Env.PROD or not isinstance(outside.core, SandboxCoreBanking):
        _fail("示范账本只能在开发或测试环境、使用沙箱核心系统时生成（生产环境请用 seed-demo --empty）")
    tools = DayEndTools(core=outside.core, vault=outside.vault, media=outside.media, lease_ttl=settings.eod_lease_ttl_seconds,
                        policy=classification_policy(settings), postloan=postloan_schedule(settings), allowance=allowance_policy(settings),
                        warnings=warning_thresholds(settings))
    if not is_postgres():
        # SQLite: one fsync per commit is most of the minutes (thousands of small commits); a demo database that a crash
        # leaves behind is made again with `rm var/cunxin.sqlite3 && cunxin seed-demo`. This process's connection only.
        await execute("PRAGMA synchronous = OFF")
    started = time.monotonic()
    progress = {"n": 0}

    async def tick(day) -> None:
        progress["n"] += 1
        if progress["n"] % 30 == 0:
            typer.echo(f"  示范账本：已日终至 {day.isoformat()}", err=True)

    book = await demo_book.seed_book(tools=tools, bureau_at=lambda at: SandboxBureau(clock=at), today=today,
                                     business_tz=settings.business_tz, on_day=tick)
    if book.skipped:
        typer.echo(book.skipped, err=True)
    else:
        typer.echo(f"示范账本：{book.days_closed} 个会计日，用时 {time.monotonic() - started:.0f} 秒", err=True)
    return {"customers": book.customers, "credit_lines": book.lines, "loans": book.loans, "prepayments": book.prepayments, "days_closed": book.days_closed}


def _sandbox_seal_maker(settings, outside):
    """Bank #2's own sandbox seal from the development CA (none when the installation has a real CA: it keeps the installation's)."""
    from app.services.contracts.pki import issue_sandbox_seal
    from app.wiring import sandbox_seal_dir

    pki = outside.signing_kit().pki
    if not pki.is_development:
        return None
    return lambda code, name: issue_sandbox_seal(pki, directory=sandbox_seal_dir(settings, code), bank_name=name, now=clock.now_utc())


@cli.command("seed-demo")
def seed_demo(
    households: int = typer.Option(8, help="每个村的示范户数"),
    one_bank: bool = typer.Option(False, "--one-bank", help="只建第一家法人行（襄汾农商行），不建翼城农商行"),
    empty: bool = typer.Option(False, "--empty", help="只建机构、村、人员、产品和 LPR，不生成客户与贷款（测试用的最小数据）"),
) -> None:
    """Create the platform, the demo banks (襄汾农商行 and 翼城农商行), villages, officers, products and LPR history, then (unless
    --empty) ~18 months of customers, credit lines and loans lived through the day's close (idempotent)."""
    created = asyncio.run(_seed(households, not one_bank, empty=empty))
    typer.echo("示范数据：" + "，".join(f"{k} +{v}" for k, v in created.items()))


@cli.command("export-schema")
def export_schema(output: Path = typer.Option(SCHEMA_PATH, help="输出文件")) -> None:
    """Write the GraphQL SDL to graphql/schema.graphql."""
    from app.api.schema import schema

    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(schema.as_str() + "\n", encoding="utf-8")
    typer.echo(f"已写入 {output}")


async def _create_officer(username: str, name: str, password: str, role: Role, branch: str) -> None:
    from app.services.auth import officers as auth

    ctx = await init_db(get_settings())
    try:
        await auth.create_officer(actor=SYSTEM, username=username, display_name=name, password=password, role=role, branch_code=branch)
    finally:
        await ctx.close_connections()


@cli.command("create-officer")
def create_officer(
    username: str = typer.Argument(..., help="登录用户名"),
    name: str = typer.Option(..., "--name", help="姓名"),
    role: Role = typer.Option(Role.OFFICER, "--role", help="角色"),
    branch: str = typer.Option(..., "--branch", help="机构代码，如 XF010"),
    password: str = typer.Option(..., "--password", prompt=True, hide_input=True, confirmation_prompt=True),
) -> None:
    """Create an officer account."""
    try:
        asyncio.run(_create_officer(username, name, password, role, branch))
    except DomainError as exc:
        _fail(f"创建失败：{exc.message}")
    typer.echo(f"已创建工作人员 {username}")


@cli.command()
def serve(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000), workers: int = typer.Option(1)) -> None:
    """Run the web server (uvicorn)."""
    import uvicorn

    from app.logging import configure_logging

    configure_logging(json_lines=get_settings().env == "prod")
    if workers > 1 and not os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
        _metrics_dir(get_settings().var_dir / "metrics")  # /metrics adds up every process (app/services/metrics.py)
    # loop/http "auto": uvloop and httptools (pinned in pyproject.toml) when installed, else asyncio and h11
    uvicorn.run("app.main:create_app", factory=True, host=host, port=port, workers=workers, log_config=None, access_log=False,
                loop="auto", http="auto", **proxy_options(get_settings()))


def proxy_options(settings) -> dict:
    """uvicorn's proxy settings: X-Forwarded-For is believed only from CUNXIN_TRUSTED_PROXIES (none by default)."""
    trusted = settings.trusted_proxies.strip()
    return {"proxy_headers": bool(trusted), "forwarded_allow_ips": trusted or None}


def _metrics_dir(path: Path) -> None:
    """An empty directory for prometheus_client's multiprocess files, named in the environment the processes inherit."""
    path.mkdir(parents=True, exist_ok=True)
    for stale in path.glob("*.db"):
        stale.unlink()
    os.environ["PROMETHEUS_MULTIPROC_DIR"] = str(path)


@cli.command()
def worker() -> None:
    """Run an arq worker for the default queue; waits for Redis and reconnects; exits promptly on SIGTERM."""
    from app.wiring import redis_settings
    from workers import resilient
    from workers.default import DefaultWorker

    resilient.run(DefaultWorker, redis_settings(get_settings()))


async def _database_is_empty() -> bool:
    from app.models import Branch

    ctx = await init_db(get_settings())
    try:
        return not await Branch.exists()
    finally:
        await ctx.close_connections()


@cli.command()
def dev(host: str = typer.Option("127.0.0.1"), port: int = typer.Option(8000)) -> None:
    """Everything on one machine: migrations, demo data, embedded Redis, web server, a worker and an ML worker."""
    from app.cli.supervise import Supervisor
    from app.embedded import start_redis
    from app.services.seed import OFFICERS

    settings = get_settings()
    asyncio.run(_migrate())
    if asyncio.run(_database_is_empty()):
        typer.echo("首次运行：生成示范数据（约 18 个月的贷款业务，逐日日终，需要一两分钟）")
        created = asyncio.run(_seed(8, True))
        typer.echo("示范数据：" + "，".join(f"{k} +{v}" for k, v in created.items()))
    env = dict(os.environ)
    cunxin = [sys.executable, "-m", "app.cli"]
    supervisor = Supervisor()
    if settings.uses_embedded_redis:
        supervisor.add("redis", lambda: start_redis(settings.var_dir, settings.redis_socket))
    supervisor.add("web", lambda: subprocess.Popen([*cunxin, "serve", "--host", host, "--port", str(port)], env=env))
    supervisor.add("worker", lambda: subprocess.Popen([*cunxin, "worker"], env=env))
    supervisor.add("ml-worker", lambda: subprocess.Popen([*cunxin, "ml-worker"], env=env))  # OCR, face and liveness jobs (arq:ml)
    typer.echo(f"\n村信已启动：http://{host}:{port}/   （GraphQL: http://{host}:{port}/graphql）")
    typer.echo(f"示范账号（密码均为 {settings.demo_password.get_secret_value()}）：" + "、".join(f"{u}（{n}）" for u, n, *_ in OFFICERS))
    typer.echo("某个进程崩溃时会自动重新启动；按 Ctrl-C 停止全部服务\n")
    try:
        supervisor.run()
    finally:
        typer.echo("已停止")
