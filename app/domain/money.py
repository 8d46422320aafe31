"""Money in integer fen and rates in integer parts-per-million.

Amounts are whole fen (1 yuan = 100 fen) everywhere inside the system; `Decimal`
yuan with exactly two places only at the edges (API strings, pages). Rates are
integer ppm of one (3.45 % = 34500 ppm). Nothing here ever touches `float`.

Rounding is half-up to the fen (`ROUNDING`), done with exact integer arithmetic
by `round_div` so that results never depend on a decimal context's precision.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import (
    ROUND_CEILING,
    ROUND_DOWN,
    ROUND_FLOOR,
    ROUND_HALF_DOWN,
    ROUND_HALF_EVEN,
    ROUND_HALF_UP,
    ROUND_UP,
    Decimal,
    InvalidOperation,
    localcontext,
)

from app.domain.error_codes import CommonCode, LendingCode
from app.domain.errors import ValidationError

ROUNDING = ROUND_HALF_UP
FEN_PER_YUAN = 100
PPM_PER_PERCENT = 10_000
PPM = 1_000_000
CENT = Decimal("0.01")
RATE_PERCENT_PLACES = 4  # 0.0001 % == 1 ppm
MAX_AMOUNT_FEN = 10**17  # far above any loan; keeps every amount inside a signed 64-bit column


def round_div(numerator: int, denominator: int, rounding: str = ROUNDING) -> int:
    """numerator / denominator rounded to an integer with a `decimal` rounding mode.

    Exact for any integers (denominator > 0); this is how every interest figure
    is turned into fen, so the same rule can be written in SQL as integer maths.
    """
    if denominator <= 0:
        raise ValueError("denominator must be positive")
    q, r = divmod(numerator, denominator)  # floor division: 0 <= r < denominator
    if r == 0:
        return q
    if rounding == ROUND_HALF_UP:  # away from zero on a tie
        twice = 2 * r
        if twice > denominator or (twice == denominator and numerator > 0):
            return q + 1
        return q
    if rounding == ROUND_HALF_EVEN:
        twice = 2 * r
        if twice > denominator or (twice == denominator and q % 2 == 1):
            return q + 1
        return q
    if rounding == ROUND_HALF_DOWN:  # towards zero on a tie
        twice = 2 * r
        if twice > denominator or (twice == denominator and numerator < 0):
            return q + 1
        return q
    if rounding == ROUND_FLOOR:
        return q
    if rounding == ROUND_CEILING:
        return q + 1
    if rounding == ROUND_DOWN:  # towards zero
        return q + 1 if numerator < 0 else q
    if rounding == ROUND_UP:  # away from zero
        return q if numerator < 0 else q + 1
    raise ValueError(f"unsupported rounding mode {rounding!r}")


# what an officer or a borrower types: "1200", "-5", "1,200.50", "0.01" (thousands commas only in threes);
# exponents ("1e3"), "NaN", "Infinity", "1,2,3" and ".5" are not amounts anyone writes, so they are refused
PLAIN_NUMBER = re.compile(r"-?(?:[0-9]{1,3}(?:,[0-9]{3})+|[0-9]+)(?:\.[0-9]+)?")


def _to_decimal(value: Decimal | str | int, *, code: str, field: str | None, message: str) -> Decimal:
    if isinstance(value, bool) or isinstance(value, float):
        raise ValidationError(message, code=code, field=field)
    if isinstance(value, str):
        value = value.strip()
        if not PLAIN_NUMBER.fullmatch(value):
            raise ValidationError(message, code=code, field=field)
        value = value.replace(",", "")
    try:
        d = Decimal(value)
    except (InvalidOperation, TypeError, ValueError):
        raise ValidationError(message, code=code, field=field) from None
    if not d.is_finite():
        raise ValidationError(message, code=code, field=field)
    return d


@dataclass(frozen=True, slots=True, order=True)
class Money:
    """An amount of renminbi in integer fen. `Money(-5)` is allowed on purpose
    (adjustments, reversals); `from_yuan` refuses negatives unless asked."""

    fen: int

    def __post_init__(self) -> None:
        if isinstance(self.fen, bool) or not isinstance(self.fen, int):
            raise TypeError("Money needs an int number of fen")

    @classmethod
    def from_yuan(
        cls, value: Decimal | str | int, *, field: str | None = "amount", allow_negative: bool = False
    ) -> Money:
        """Parse yuan ("1200", "1,200.50", Decimal("0.01")); at most two decimals."""
        d = _to_decimal(value, code=CommonCode.INVALID_AMOUNT, field=field, message="金额格式不正确")
        if abs(d) >= Decimal(MAX_AMOUNT_FEN).scaleb(-2):
            raise ValidationError("金额过大", code=CommonCode.INVALID_AMOUNT, field=field)
        fen = d.scaleb(2)
        if fen != fen.to_integral_value():
            raise ValidationError("金额最多保留两位小数", code=CommonCode.INVALID_AMOUNT, field=field)
        if d < 0 and not allow_negative:
            raise ValidationError("金额不能为负数", code=CommonCode.INVALID_AMOUNT, field=field)
        return cls(int(fen))

    @classmethod
    def zero(cls) -> Money:
        return cls(0)

    @property
    def yuan(self) -> Decimal:
        with localcontext() as ctx:  # exact for any size, whatever the ambient precision
            ctx.prec = max(28, len(str(abs(self.fen))) + 2)
            return Decimal(self.fen).scaleb(-2)  # exponent is exactly -2

    def format_yuan(self) -> str:
        """"¥1,200.00"; negatives as "-¥1,200.00"."""
        sign = "-" if self.fen < 0 else ""
        return f"{sign}¥{Money(abs(self.fen)).yuan:,}"

    def __str__(self) -> str:  # "1200.00": the API string form
        return str(self.yuan)

    def __add__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.fen + other.fen)

    def __sub__(self, other: Money) -> Money:
        if not isinstance(other, Money):
            return NotImplemented
        return Money(self.fen - other.fen)

    def __neg__(self) -> Money:
        return Money(-self.fen)

    def __bool__(self) -> bool:
        return self.fen != 0

    def allocate(self, weights: list[int] | tuple[int, ...]) -> list[Money]:
        """Split losslessly in proportion to non-negative integer weights.

        Each part gets the floor of its exact share; the leftover fen go one each
        to the parts with the largest remainders (earliest part first on ties).
        The parts always sum to this amount.
        """
        if not weights or any(isinstance(w, bool) or not isinstance(w, int) or w < 0 for w in weights):
            raise ValueError("weights must be non-negative integers")
        total = sum(weights)
        if total == 0:
            raise ValueError("weights must not all be zero")
        sign = -1 if self.fen < 0 else 1
        amount = abs(self.fen)
        shares = [divmod(amount * w, total) for w in weights]
        parts = [q for q, _ in shares]
        left = amount - sum(parts)
        by_remainder = sorted(range(len(weights)), key=lambda i: (-shares[i][1], i))
        for i in by_remainder[:left]:
            parts[i] += 1
        return [Money(sign * p) for p in parts]


def yuan_str(fen: int) -> str:
    """Integer fen to the API string form ("1200.00", "-0.05"): str(Money(fen)), by integer arithmetic (an
    answer formats thousands of amounts: issue 16)."""
    if type(fen) is not int:
        return str(Money(fen))  # refuses what is not an int, as Money does
    whole, cents = divmod(-fen if fen < 0 else fen, 100)
    return f"-{whole}.{cents:02d}" if fen < 0 else f"{whole}.{cents:02d}"


def ratio_percent_str(ratio: Decimal) -> str:
    """A fraction to a percentage string with four places ("0.117647" -> "11.7647"), as reports and the API show ratios."""
    return format(ratio.scaleb(2).quantize(Decimal("0.0001")), "f")


def parse_rate_percent(value: Decimal | str | int, *, field: str | None = "annual_rate_percent") -> int:
    """An annual rate in percent ("3.45") to integer ppm (34500).

    At most four decimals (1 ppm); negative rates are refused.
    """
    d = _to_decimal(value, code=LendingCode.INVALID_RATE, field=field, message="利率格式不正确")
    if d < 0:
        raise ValidationError("利率不能为负数", code=LendingCode.INVALID_RATE, field=field)
    ppm = d * PPM_PER_PERCENT
    if ppm != ppm.to_integral_value():
        raise ValidationError("利率最多保留四位小数", code=LendingCode.INVALID_RATE, field=field)
    return int(ppm)


def ppm_to_percent(ppm: int) -> Decimal:
    """34500 -> Decimal("3.45"); exact, no trailing zeros beyond the value's own."""
    return Decimal(ppm) / PPM_PER_PERCENT


def percent_str(ppm: int) -> str:
    """Rate for display/API: at least two decimals ("24.00", "3.45", "3.4567")."""
    d = ppm_to_percent(ppm)
    if d.as_tuple().exponent > -2:
        d = d.quantize(CENT)
    return f"{d:f}"
