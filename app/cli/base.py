"""The `cunxin` Typer application; command modules register on it."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TYPE_CHECKING, NoReturn, TypeVar

import typer

if TYPE_CHECKING:
    from app.wiring import Adapters

cli = typer.Typer(help="村信 (Cunxin) operator commands", no_args_is_help=True, add_completion=False)


def adapters() -> Adapters:
    """The outside systems of this command's process, built from the settings (app/wiring.py): call once per command."""
    from app.config import get_settings
    from app.wiring import Adapters

    return Adapters.from_settings(get_settings())


T = TypeVar("T")


def fail(message: str) -> NoReturn:
    """The operator's error: the message on stderr, exit status 1."""
    typer.echo(message, err=True)
    raise typer.Exit(1)


def read_file(path: Path, what: str, *, limit: int | None = None) -> bytes:
    """An operator's input file, or `fail` in Chinese naming `what` (征信报告文件, 规则集文件…); with `limit`, at most one
    byte more than it is read (enough for the caller to refuse a file that is too large)."""
    try:
        with path.open("rb") as handle:
            return handle.read(-1 if limit is None else limit + 1)
    except FileNotFoundError:
        fail(f"找不到{what}：{path}")
    except IsADirectoryError:
        fail(f"{path} 是目录，不是{what}")
    except PermissionError:
        fail(f"没有权限读取{what}：{path}")
    except OSError as exc:
        fail(f"无法读取{what} {path}（{type(exc).__name__}）")


def run_in_db(work: Callable[[], Awaitable[T]], failure: str) -> T:
    """Run `work` with the database open; a domain error ends the command as `failure：message`."""
    from app.config import get_settings
    from app.db import init_db
    from app.domain.errors import DomainError

    async def wrapped() -> T:
        ctx = await init_db(get_settings())
        try:
            return await work()
        finally:
            await ctx.close_connections()

    try:
        return asyncio.run(wrapped())
    except DomainError as exc:
        fail(f"{failure}：{exc.message}")
