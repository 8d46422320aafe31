"""Test harness: real databases and a real Redis.

SQLite (a fresh file) and the embedded redis-server by default; PostgreSQL and a
Redis server when CUNXIN_TEST_DATABASE_URL / CUNXIN_TEST_REDIS_URL are set (CI
runs the suite both ways). Settings are fixed in the environment before any
code reads them.
"""

from __future__ import annotations

import os
import tempfile
from pathlib import Path

_TMP = Path(tempfile.mkdtemp(prefix="cunxin-test-"))
os.environ["CUNXIN_ENV"] = "test"
os.environ["CUNXIN_VAR_DIR"] = str(_TMP)
os.environ["CUNXIN_SECRET_KEY"] = "test-secret-key-not-for-production"
os.environ["CUNXIN_DATABASE_URL"] = os.environ.get("CUNXIN_TEST_DATABASE_URL", "")
os.environ["CUNXIN_REDIS_URL"] = os.environ.get("CUNXIN_TEST_REDIS_URL", "")
os.environ["CUNXIN_FACE_LOGIN_REQUIRED"] = "false"  # face tests build an app with it on (tests/ui/test_identity_pages.py)

import pytest  # noqa: E402
from tortoise import Tortoise, connections  # noqa: E402
from tortoise.contrib.test import truncate_all_models  # noqa: E402

from app.config import get_settings  # noqa: E402
from app.db import tortoise_config  # noqa: E402

get_settings.cache_clear()
ON_POSTGRES = get_settings().db_url.startswith(("postgres", "asyncpg"))


def pytest_collection_modifyitems(config, items):
    """`postgres` tests need PostgreSQL; `slow` simulations, browser (`e2e`) and model (`ml`) tests run once, in the
    PostgreSQL pass of CI (they do not depend on the database engine, and running them twice cost CI ~10 minutes)."""
    skip_pg = pytest.mark.skip(reason="needs PostgreSQL (set CUNXIN_TEST_DATABASE_URL)")
    skip_once = pytest.mark.skip(reason="slow, browser or model test: runs in the PostgreSQL pass (or with CUNXIN_TEST_SLOW=1)")
    run_once = ON_POSTGRES or os.environ.get("CUNXIN_TEST_SLOW") == "1"
    for item in items:
        if "postgres" in item.keywords and not ON_POSTGRES:
            item.add_marker(skip_pg)
        elif {"slow", "e2e", "ml"} & set(item.keywords) and not run_once:
            item.add_marker(skip_once)


@pytest.fixture(scope="session")
def settings():
    return get_settings()


@pytest.fixture(scope="session")
def redis_server(settings):
    """The Redis the tests use: the embedded one (started here) or CUNXIN_TEST_REDIS_URL."""
    if not settings.uses_embedded_redis:
        yield settings.redis_url
        return
    from app.embedded import start_redis

    proc = start_redis(settings.var_dir, settings.redis_socket)
    yield str(settings.redis_socket)
    proc.terminate()
    proc.wait(timeout=10)


@pytest.fixture(scope="session")
async def _orm(settings):
    config = tortoise_config(settings)
    if ON_POSTGRES:
        # A dedicated test database: start from an empty schema every session.
        await Tortoise.init(config=config, _enable_global_fallback=True)
        await connections.get("default").execute_script("DROP SCHEMA public CASCADE; CREATE SCHEMA public;")
        await Tortoise.close_connections()
    ctx = await Tortoise.init(config=config, _enable_global_fallback=True)
    await Tortoise.generate_schemas()
    yield ctx
    await ctx.close_connections()


# PostgreSQL: empty only the tables a test wrote to. TRUNCATE of all ~80 tables took about 300 ms a test (a new file per
# table), a fifth of the PostgreSQL pass; DELETE of the few non-empty ones, foreign-key triggers off for the transaction
# (the whole set is emptied, so no reference survives), takes a few milliseconds.
_EMPTY_PG = """
DO $$
DECLARE t text; found boolean;
BEGIN
  SET LOCAL session_replication_role = replica;
  FOREACH t IN ARRAY ARRAY[{tables}]::text[] LOOP
    EXECUTE format('SELECT EXISTS (SELECT 1 FROM %I)', t) INTO found;
    IF found THEN EXECUTE format('DELETE FROM %I', t); END IF;
  END LOOP;
END $$;
"""


@pytest.fixture
async def db(_orm):
    """A clean database for one test."""
    if ON_POSTGRES:
        tables = ", ".join(f"'{m._meta.db_table}'" for m in Tortoise.apps.get_models_iterable())
        await connections.get("default").execute_script(_EMPTY_PG.format(tables=tables))
    else:
        await truncate_all_models()
    yield _orm


@pytest.fixture(scope="session")
def vault(settings):
    from app.crypto import Vault

    return Vault(settings.secret())


@pytest.fixture
async def demo(db, vault, settings):
    """The demo bank (small: 3 households per village)."""
    from datetime import date

    from app.services.seed import seed_demo

    return await seed_demo(vault=vault, demo_password=settings.demo_password.get_secret_value(), today=date(2026, 11, 27), households_per_village=3)


@pytest.fixture
async def app(db, settings, redis_server):
    from app.main import create_app

    application = create_app(settings, manage_db=False)
    async with application.router.lifespan_context(application):
        yield application


@pytest.fixture
async def client(app):
    import httpx

    transport = httpx.ASGITransport(app=app)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", follow_redirects=False) as c:
        yield c
