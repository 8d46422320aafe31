"""Strict scalars. Money and rates travel as strings ("1200.00", "3.45"), never JSON numbers.

`DecimalString` is the Python annotation; `SCALAR_MAP` tells the schema how it
looks on the wire (registered through StrawberryConfig.scalar_map).

Services take money in integer fen and rates in ppm: a resolver turns an input's string into
them here (`fen`, `optional_fen`, `rate_ppm`) inside its `try`, so a bad string is a payload
error (INVALID_AMOUNT / INVALID_RATE, in Chinese, on the input's snake_case field, which
`payload_error` puts on the wire in camelCase), as any service's.
"""

from __future__ import annotations

from decimal import Decimal as PyDecimal
from typing import NewType

import strawberry

from app.domain.money import Money, parse_rate_percent

MAX_LENGTH = 40

DecimalString = NewType("DecimalString", str)


def _serialize(value: object) -> str:
    return format(value, "f") if isinstance(value, PyDecimal) else str(value)


def _parse(value: object) -> str:
    if not isinstance(value, str):
        raise ValueError('Decimal values must be sent as strings, e.g. "1200.00"')
    if len(value) > MAX_LENGTH:
        raise ValueError("Decimal string too long")
    return value


SCALAR_MAP = {
    DecimalString: strawberry.scalar(
        name="Decimal",
        description='十进制数，以字符串传递（金额 "1200.00"，利率百分数 "3.45"）；不接受 JSON 数字',
        serialize=_serialize,
        parse_value=_parse,
    )
}


def fen(value: str, *, field: str) -> int:
    """Yuan sent as a string ("1200.00") in integer fen; anything else a `ValidationError` (INVALID_AMOUNT) on `field`."""
    return Money.from_yuan(value, field=field).fen


def optional_fen(value: str | None, *, field: str, blank_is_none: bool = False) -> int | None:
    """Like `fen`, but an input not sent (None) is none. An empty string is a bad amount unless
    `blank_is_none` (an input that has always read blank as not sent, e.g. a promise's amount)."""
    if value is None or (blank_is_none and not value.strip()):
        return None
    return fen(value, field=field)


def rate_ppm(value: str, *, field: str) -> int:
    """An annual rate in percent ("3.45") in ppm (34500); anything else a `ValidationError` (INVALID_RATE) on `field`."""
    return parse_rate_percent(value, field=field)
