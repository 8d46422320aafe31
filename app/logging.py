"""Logging: configured once; a request id on every line; personal data redacted.

The redaction filter is a safety net, not a licence: code logs UUIDs, never ID
numbers, phones, card numbers or images.
"""

from __future__ import annotations

import contextvars
import json
import logging
import re

request_id_var: contextvars.ContextVar[str] = contextvars.ContextVar("request_id", default="-")

# 18-char ID numbers, 11-digit mainland mobiles, 16-19 digit card numbers.
_PII = re.compile(r"(?<![0-9A-Za-z])(\d{17}[\dXx]|1[3-9]\d{9}|\d{16,19})(?![0-9A-Za-z])")


def redact(text: str) -> str:
    return _PII.sub(lambda m: m.group(0)[:3] + "*" * (len(m.group(0)) - 5) + m.group(0)[-2:], text)


class ContextFilter(logging.Filter):
    def filter(self, record: logging.LogRecord) -> bool:
        record.request_id = request_id_var.get()
        message = record.getMessage()
        cleaned = redact(message)
        if cleaned != message:
            record.msg, record.args = cleaned, None
        return True


class JsonFormatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        data = {
            "at": self.formatTime(record),
            "level": record.levelname,
            "logger": record.name,
            "request_id": getattr(record, "request_id", "-"),
            "message": record.getMessage(),
        }
        if record.exc_info:
            data["exc"] = redact(self.formatException(record.exc_info))
        return json.dumps(data, ensure_ascii=False)


class OneLineRetries(logging.Filter):
    """asyncpg retries its pool floor with backoff while PostgreSQL is down: one line each, not a traceback."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info and record.exc_info[1] is not None:
            record.msg = f"{record.msg} ({type(record.exc_info[1]).__name__})"
            record.exc_info = None
        return True


LOG_MESSAGE_MAX = 2_000  # characters of one message (a request body quoted in an error) kept in the log


class TruncateLong(logging.Filter):
    """A huge message (a 100 KB GraphQL document in an error) is cut to LOG_MESSAGE_MAX characters."""

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if record.exc_info and record.exc_info[1] is not None and len(str(record.exc_info[1])) > LOG_MESSAGE_MAX:
            message = f"{message} ({type(record.exc_info[1]).__name__}: {str(record.exc_info[1])[:LOG_MESSAGE_MAX]})"
            record.exc_info, record.exc_text = None, None
        if len(message) > LOG_MESSAGE_MAX:
            message = f"{message[:LOG_MESSAGE_MAX]}…（截断，共 {len(message)} 字符）"
        if message != record.getMessage():
            record.msg, record.args = message, None
        return True


def truncate_long_messages(logger_name: str) -> None:
    logger = logging.getLogger(logger_name)
    if not any(isinstance(f, TruncateLong) for f in logger.filters):
        logger.addFilter(TruncateLong())


def configure_logging(*, json_lines: bool = False, level: int = logging.INFO) -> None:
    handler = logging.StreamHandler()
    handler.addFilter(TruncateLong())
    handler.addFilter(ContextFilter())
    if json_lines:
        handler.setFormatter(JsonFormatter())
    else:
        handler.setFormatter(logging.Formatter("%(asctime)s %(levelname)s [%(request_id)s] %(name)s: %(message)s"))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(level)
    pool_logger = logging.getLogger("asyncpg.pool")
    if not any(isinstance(f, OneLineRetries) for f in pool_logger.filters):
        pool_logger.addFilter(OneLineRetries())
