"""The one page-cursor codec of the API (issue 16): opaque, versioned, checked.

A cursor is URL-safe base64 of the JSON array `[version, kind, *key]`: `kind` names the list's ordering
("offset", "created", a report table's name, ...), `key` is the last row's position in it (an offset, or the
row's sort key). Clients only hand a cursor back; anything else - a cursor of another list, another
version, or garbage - is a ValidationError (BAD_USER_INPUT at the API) with a Chinese message.
"""

from __future__ import annotations

import base64
import binascii
import json
from typing import Any

from app.domain.error_codes import CommonCode
from app.domain.errors import ValidationError

VERSION = 1
INVALID_MESSAGE = "分页游标无效"


def encode(kind: str, *key: Any) -> str:
    return base64.urlsafe_b64encode(json.dumps([VERSION, kind, *key], separators=(",", ":")).encode()).decode()


def decode(cursor: str, kind: str, arity: int, *, field: str = "after") -> list[Any]:
    """The key of a cursor of list `kind` with `arity` parts; raises ValidationError for anything else."""
    try:
        data = json.loads(base64.urlsafe_b64decode(cursor.encode()).decode())
    except (ValueError, TypeError, UnicodeDecodeError, binascii.Error):
        data = None
    if not isinstance(data, list) or data[:2] != [VERSION, kind] or len(data) != 2 + arity:
        raise ValidationError(INVALID_MESSAGE, code=CommonCode.INVALID, field=field)
    return data[2:]


def invalid(field: str = "after") -> ValidationError:
    return ValidationError(INVALID_MESSAGE, code=CommonCode.INVALID, field=field)
