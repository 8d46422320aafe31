"""Strict scalars. Money and rates travel as strings ("1200.00", "3.45"), never JSON numbers.

`DecimalString` is the Python annotation; `SCALAR_MAP` tells the schema how it
looks on the wire (registered through StrawberryConfig.scalar_map).

Services take money in integer fen and rates in ppm: a resolver turns an input's string into
them here (`fen`, `optional_fen`, `rate_ppm`) inside its `try`, so a bad string is a payload
error (INVALID_AMOUNT / INVALID_RATE, in Chinese, on the input's snake_case field, which
`payload_error` puts on the wire in camelCase), as any service's.
"""

from __future__ import annotations

from dataclasses import replace
from datetime import date, datetime
from decimal import Decimal as PyDecimal
from typing import NewType
from uuid import UUID

import strawberry
from strawberry.scalars import JSON
from strawberry.schema.types.base_scalars import DateDefinition, DateTimeDefinition, UUIDDefinition

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
    ),
    # strawberry's own scalars, described in Chinese with what the project puts in them (docs/mobile.md#reading-the-schema)
    date: replace(DateDefinition, description="日期（ISO 8601，YYYY-MM-DD）：按 Asia/Shanghai 的日历日，即业务日期（会计日期）、到期日等；不是 UTC 日期，不带时区"),
    datetime: replace(
        DateTimeDefinition,
        description="时刻（ISO 8601，带时区偏移）：输出一律为 UTC（+00:00），显示时请换算为北京时间（Asia/Shanghai，UTC+8）",
    ),
    JSON: strawberry.scalar(
        name="JSON", description="任意 JSON 值（用于规则命中的证据等结构随规则而变的数据；各字段说明其内容）",
        specified_by_url="https://ecma-international.org/wp-content/uploads/ECMA-404_2nd_edition_december_2017.pdf",
        serialize=lambda v: v, parse_value=lambda v: v,
    ),
    UUID: replace(UUIDDefinition, description="UUID 字符串（如 3f2b8c1e-6d4a-4b7e-9c1f-2a5d8e7b6c40），客户端生成幂等键时使用"),
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
