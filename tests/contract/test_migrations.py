"""Migrations apply to an empty database, and the models do not drift from them."""

import os
import subprocess
import sys

from app.config import ROOT
from tests.conftest import ON_POSTGRES

# Runs in a child process: the autodetector initialises tortoise globally.
DRIFT_CHECK = """
import asyncio
from tortoise.cli.cli import tortoise_cli_context
from tortoise.migrations.autodetector import MigrationAutodetector
from app.config import get_settings
from app.db import tortoise_config

async def main():
    config = tortoise_config(get_settings())
    async with tortoise_cli_context(config) as ctx:
        writers = await MigrationAutodetector(ctx.apps, dict(config["apps"])).changes()
    print(len(writers))

asyncio.run(main())
"""


def _fresh_database_url(settings, tmp_path) -> str:
    if not ON_POSTGRES:
        return f"sqlite://{tmp_path / 'migrated.sqlite3'}"
    base, _, _ = settings.db_url.rpartition("/")
    name = f"cunxin_migrate_{os.getpid()}"
    subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    subprocess.run(["createdb", "-h", "127.0.0.1", "-U", "postgres", name], check=True)
    return f"{base}/{name}"


def test_migrations_apply_to_an_empty_database_and_match_the_models(settings, tmp_path):
    # given an empty database
    url = _fresh_database_url(settings, tmp_path)
    env = {**os.environ, "CUNXIN_DATABASE_URL": url}
    # when the operator migrates
    migrated = subprocess.run([sys.executable, "-m", "app.cli", "migrate"], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert migrated.returncode == 0, migrated.stderr
    # then the models need no new migration
    drift = subprocess.run([sys.executable, "-c", DRIFT_CHECK], cwd=ROOT, env=env, capture_output=True, text=True, timeout=600, stdin=subprocess.DEVNULL)
    assert drift.returncode == 0, drift.stderr
    assert drift.stdout.strip().splitlines()[-1] == "0", "models changed without a migration: run `tortoise -c app.db.TORTOISE_ORM makemigrations`"
    if ON_POSTGRES:
        subprocess.run(["dropdb", "--if-exists", "-h", "127.0.0.1", "-U", "postgres", url.rpartition("/")[2]], check=True)


def test_no_model_docstring_has_a_semicolon():
    """Docstrings become table comments in migrations, and tortoise's SQLite runner splits SQL on ';'."""
    from tortoise.models import Model

    import app.models

    models = [v for v in vars(app.models).values() if isinstance(v, type) and issubclass(v, Model) and v is not Model]
    assert len(models) > 20
    assert [m.__name__ for m in models if m.__doc__ and ";" in m.__doc__] == []


def test_every_added_column_can_join_a_filled_table():
    """A NOT NULL column added to an existing table needs a database default (`db_default`): a Python `default`
    is not in the DDL, so SQLite and PostgreSQL refuse the ALTER on any table that holds rows — a bank's
    database, not the empty one the test above migrates."""
    import importlib
    import pkgutil

    import migrations
    from tortoise.migrations import operations as ops

    refused = []
    for module in pkgutil.iter_modules(migrations.__path__):
        migration = importlib.import_module(f"migrations.{module.name}").Migration
        for op in migration.operations:
            if isinstance(op, ops.AddField) and not (op.field.null or op.field.has_db_default() or op.field.pk):
                refused.append(f"{module.name}: {op.model_name}.{op.name}")
    assert len(list(pkgutil.iter_modules(migrations.__path__))) > 30
    assert refused == []


def test_the_migrations_have_one_head():
    """Every migration but the newest is the parent of a later one: two branches landing a migration on the same parent
    leave two heads (0041 twice, once), and a bank's upgrade would stop on them. (Old pairs such as 0023 and 0028 are
    joined by a migration that depends on both.)"""
    import re

    files = sorted(p.stem for p in (ROOT / "migrations").glob("[0-9][0-9][0-9][0-9]_*.py"))
    parents = set()
    for name in files:
        text = (ROOT / "migrations" / f"{name}.py").read_text(encoding="utf-8")
        deps = re.search(r"dependencies = \[(.*?)\]", text, re.S)
        parents |= set(re.findall(r"['\"]models['\"], ['\"]([^'\"]+)['\"]", deps.group(1))) if deps else set()
    assert parents <= set(files), f"a migration depends on one that does not exist: {sorted(parents - set(files))}"
    heads = [name for name in files if name not in parents]
    assert heads == [files[-1]], f"more than one head: {heads}; make the newer one depend on the other"
