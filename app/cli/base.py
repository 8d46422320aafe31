"""The `cunxin` Typer application; command modules register on it."""

from __future__ import annotations

from typing import TYPE_CHECKING

import typer

if TYPE_CHECKING:
    from app.wiring import Adapters

cli = typer.Typer(help="村信 (Cunxin) operator commands", no_args_is_help=True, add_completion=False)


def adapters() -> Adapters:
    """The outside systems of this command's process, built from the settings (app/wiring.py): call once per command."""
    from app.config import get_settings
    from app.wiring import Adapters

    return Adapters.from_settings(get_settings())
