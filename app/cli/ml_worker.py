"""ML worker commands: `ml-worker` (the arq:ml queue) and `face-reset` (forget an officer's enrolled face)."""

from __future__ import annotations

import asyncio

import typer

from app import clock
from app.cli.base import cli
from app.config import get_settings


@cli.command("ml-worker")
def ml_worker() -> None:
    """Run the ML worker (ID-card OCR, face match, liveness, enrolment); waits for Redis and reconnects; exits on SIGTERM."""
    from app.wiring import redis_settings
    from workers import resilient
    from workers.ml import MlWorker

    resilient.run(MlWorker, redis_settings(get_settings()))


async def _reset(username: str) -> bool:
    from app.db import init_db
    from app.models import Officer
    from app.services.actor import SYSTEM
    from app.services.identity_checks import reset_officer_face

    ctx = await init_db(get_settings())
    try:
        officer = await Officer.get_or_none(username=username.strip())
        if officer is None:
            return False
        await reset_officer_face(actor=SYSTEM, officer_id=officer.id, now=clock.now_utc())
        return True
    finally:
        await ctx.close_connections()


@cli.command("face-reset")
def face_reset(username: str = typer.Argument(..., help="工作人员用户名")) -> None:
    """Forget an officer's enrolled face: they enrol again (trust on first use) at the next login."""
    if not asyncio.run(_reset(username)):
        typer.echo(f"工作人员 {username} 不存在", err=True)
        raise typer.Exit(1)
    typer.echo(f"已重置 {username} 的人脸录入，下次登录时需重新录入")
