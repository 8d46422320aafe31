"""Tortoise configuration (the migration command reads TORTOISE_ORM) and init/close."""

from __future__ import annotations

import importlib
from typing import Any

from tortoise import Tortoise
from tortoise.backends.base.config_generator import expand_db_url
from tortoise.context import TortoiseContext

from app.config import Settings, get_settings

MODEL_MODULES = ["app.models"]
REPORTING = "reporting"  # the read replica's connection name, when CUNXIN_REPORTING_DATABASE_URL is set


async def keep_session(connection: Any) -> None:
    """asyncpg's pool hook run when a connection goes back to the pool: nothing to undo.

    By default asyncpg sends `SELECT pg_advisory_unlock_all(); CLOSE ALL; UNLISTEN *; RESET ALL`
    on every release, and tortoise releases after every query outside a transaction: half the
    round trips of a request were that statement. Cunxin takes no advisory locks, declares no
    cursors, never LISTENs and changes no session setting, so
    there is nothing to reset. asyncpg still rolls back a transaction left open before calling
    this hook (`Connection._reset`).
    """


def connection_config(url: str) -> str | dict[str, Any]:
    """The tortoise connection for a URL: PostgreSQL gets the no-op pool reset above."""
    if not url.startswith(("postgres://", "postgresql://", "asyncpg://")):
        return url
    config = expand_db_url(url)
    config["credentials"]["reset"] = keep_session
    return config


def tortoise_config(settings: Settings) -> dict:
    if not settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": connection_config(settings.db_url)},
        "apps": {
            "models": {
                "models": MODEL_MODULES,
                "default_connection": "default",
                "migrations": "migrations",
            }
        },
        "use_tz": True,
        "timezone": "UTC",
    }


_reporting: dict[str, Any] = {}


def reporting_client() -> Any | None:
    """The read replica's client (CUNXIN_REPORTING_DATABASE_URL), built once; None without one.

    Not registered with tortoise (two registered databases make every `in_transaction()` name its
    connection): report SQL reaches it through app/sql.py `fetch_reporting` only.
    The pool opens on the first query and reconnects by itself like the primary's.
    """
    url = get_settings().reporting_database_url
    if not url:
        return None
    if _reporting.get("url") != url:
        config = expand_db_url(url)
        credentials = {**config["credentials"], "connection_name": REPORTING}
        if url.startswith(("postgres://", "postgresql://", "asyncpg://")):
            credentials["reset"] = keep_session
        _reporting.update(url=url, client=importlib.import_module(config["engine"]).client_class(**credentials))
    return _reporting["client"]


async def close_reporting() -> None:
    client = _reporting.pop("client", None)
    _reporting.pop("url", None)
    if client is not None:
        await client.close()


def __getattr__(name: str) -> dict:
    # `tortoise -c app.db.TORTOISE_ORM` reads this; computed lazily so importing app.db has no side effect.
    if name == "TORTOISE_ORM":
        return tortoise_config(get_settings())
    raise AttributeError(name)


async def init_db(settings: Settings) -> TortoiseContext:
    """Open tortoise for a worker or a command; keep what it returns and close that."""
    return await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
