"""Fault injection against private PostgreSQL and Redis servers (never the shared ones).

Slow (tens of seconds) and independent of the suite's own database: marked `postgres`, so CI
runs them once, in its PostgreSQL pass.
"""

from __future__ import annotations

import pytest

from tests.support.private_services import CunxinStack, PrivatePostgres, PrivateRedis, pg_bin


@pytest.fixture(scope="module")
def stack(tmp_path_factory):
    if pg_bin() is None:
        pytest.skip("PostgreSQL server binaries (initdb) not installed")
    pg = PrivatePostgres().init()
    redis = PrivateRedis(tmp_path_factory.mktemp("redis")).start()
    s = CunxinStack(pg, redis, tmp_path_factory.mktemp("var"))
    try:
        s.run("migrate")
        s.run("seed-demo", "--empty", "--households", "1")
        yield s
    finally:
        s.stop_all()
        redis.stop()
        pg.destroy()
