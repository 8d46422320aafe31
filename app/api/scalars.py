"""Strict scalars. Money and rates travel as strings ("1200.00", "3.45"), never JSON numbers.

`DecimalString` is the Python annotation; `SCALAR_MAP` tells the schema how it
looks on the wire (registered through StrawberryConfig.scalar_map).
"""

from __future__ import annotations

from decimal import Decimal as PyDecimal
from typing import NewType

import strawberry

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
