"""Is this exception a dependency that is briefly away (PostgreSQL or Redis down or restarting)?

The doors answer such failures with 503 and one log line instead of a 500 and a traceback per
request; the workers wait and reconnect. Nothing is retried here: the pools reconnect by
themselves once the server is back (asyncpg opens a new connection on the next acquire).
"""

from __future__ import annotations

import socket

import asyncpg
from redis import exceptions as redis_errors
from tortoise.exceptions import DBConnectionError

DATABASE = "database"
REDIS = "redis"
RETRY_AFTER_SECONDS = 10
MESSAGE = "服务暂时不可用（数据库或队列正在恢复），请稍后重试"

_DATABASE_ERRORS: tuple[type[BaseException], ...] = (
    DBConnectionError,
    asyncpg.exceptions.PostgresConnectionError,  # class 08: refused, lost, closed mid-operation
    asyncpg.exceptions.OperatorInterventionError,  # 57P0x: admin shutdown, crash, cannot connect now
    asyncpg.exceptions.TooManyConnectionsError,
    ConnectionError,  # the socket: refused or reset before PostgreSQL answered
    socket.gaierror,
)
_REDIS_ERRORS: tuple[type[BaseException], ...] = (redis_errors.ConnectionError, redis_errors.TimeoutError, redis_errors.BusyLoadingError)


def dependency_down(exc: BaseException) -> str | None:
    """'database', 'redis' or None, looking through the exception's causes too."""
    seen = 0
    current: BaseException | None = exc
    while current is not None and seen < 8:
        if isinstance(current, _REDIS_ERRORS):
            return REDIS
        if isinstance(current, _DATABASE_ERRORS):
            return DATABASE
        current = current.__cause__ or current.__context__
        seen += 1
    return None
