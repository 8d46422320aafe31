"""Bank card numbers: normalising, the Luhn check digit (ISO/IEC 7812-1) and masking. Pure."""

from __future__ import annotations

from app.domain.error_codes import CustomerCode
from app.domain.errors import ValidationError

MIN_LENGTH = 12
MAX_LENGTH = 19
_SEPARATORS = str.maketrans("", "", " -\u3000")


def normalize(number: str) -> str:
    """Digits only: spaces and hyphens (as people type them) are dropped."""
    return (number or "").translate(_SEPARATORS)


def luhn_ok(digits: str) -> bool:
    """True when the last digit is the Luhn check digit of the others."""
    if not digits.isascii() or not digits.isdigit() or len(digits) < 2:
        return False
    total = 0
    for position, char in enumerate(reversed(digits)):
        value = int(char)
        if position % 2 == 1:
            value *= 2
            if value > 9:
                value -= 9
        total += value
    return total % 10 == 0


def check_digit(partial: str) -> str:
    """The digit that makes `partial + digit` pass the Luhn check (for test data and demos)."""
    for digit in "0123456789":
        if luhn_ok(partial + digit):
            return digit
    raise ValueError("not a digit string")  # pragma: no cover - every digit string has one


def parse(number: str) -> str:
    """A valid card number (digits only) or a ValidationError saying what is wrong, in Chinese."""
    digits = normalize(number)
    if not digits:
        raise ValidationError("请输入银行卡号", code=CustomerCode.INVALID_CARD_NUMBER, field="card_number")
    if not digits.isascii() or not digits.isdigit():
        raise ValidationError("银行卡号只能包含数字", code=CustomerCode.INVALID_CARD_NUMBER, field="card_number")
    if not MIN_LENGTH <= len(digits) <= MAX_LENGTH:
        raise ValidationError(f"银行卡号应为 {MIN_LENGTH} 到 {MAX_LENGTH} 位数字", code=CustomerCode.INVALID_CARD_NUMBER, field="card_number")
    if not luhn_ok(digits):
        raise ValidationError("银行卡号校验未通过，请核对后重新输入", code=CustomerCode.CARD_CHECKSUM, field="card_number")
    return digits


def mask(digits: str) -> str:
    """`6217 **** **** 1234`: first four and last four digits only."""
    if len(digits) < 8:
        return "*" * len(digits)
    return f"{digits[:4]} **** **** {digits[-4:]}"


def last_four(digits: str) -> str:
    return digits[-4:] if len(digits) >= 4 else ""
