"""Tortoise configuration (the migration command reads TORTOISE_ORM) and init/close."""

from __future__ import annotations

from tortoise import Tortoise
from tortoise.context import TortoiseContext

from app.config import Settings, get_settings

MODEL_MODULES = ["app.models"]


def tortoise_config(settings: Settings) -> dict:
    if not settings.database_url:
        settings.var_dir.mkdir(parents=True, exist_ok=True)
    return {
        "connections": {"default": settings.db_url},
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


def __getattr__(name: str) -> dict:
    # `tortoise -c app.db.TORTOISE_ORM` reads this; computed lazily so importing app.db has no side effect.
    if name == "TORTOISE_ORM":
        return tortoise_config(get_settings())
    raise AttributeError(name)


async def init_db(settings: Settings) -> TortoiseContext:
    """Open tortoise for a worker or a command; keep what it returns and close that."""
    return await Tortoise.init(config=tortoise_config(settings), _enable_global_fallback=True)
