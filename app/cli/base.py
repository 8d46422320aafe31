"""The `cunxin` Typer application; command modules register on it."""

import typer

cli = typer.Typer(help="村信 (Cunxin) operator commands", no_args_is_help=True, add_completion=False)
