"""PostgreSQL pool: a connection goes back to the pool without asyncpg's reset statement (app/db.keep_session)."""

import asyncpg
import pytest

from app.db import connection_config, keep_session
from app.models import Customer

pytestmark = pytest.mark.postgres


def test_only_postgresql_urls_get_the_hook():
    assert connection_config("sqlite:///tmp/x.sqlite3") == "sqlite:///tmp/x.sqlite3"
    config = connection_config("postgres://postgres@127.0.0.1:5432/cunxin")
    assert config["engine"] == "tortoise.backends.asyncpg" and config["credentials"]["reset"] is keep_session


async def test_queries_outside_a_transaction_send_no_reset(db, monkeypatch):
    sent: list[str] = []
    for name in ("execute", "fetch", "_execute"):
        original = getattr(asyncpg.Connection, name)

        def spy(self, query, *args, _original=original, **kwargs):
            sent.append(query)
            return _original(self, query, *args, **kwargs)

        monkeypatch.setattr(asyncpg.Connection, name, spy)
    await Customer.all().count()
    await Customer.filter(name="无此人").first()
    assert sent and not any("RESET ALL" in q for q in sent)

