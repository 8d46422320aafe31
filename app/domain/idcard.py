"""Resident ID numbers (GB 11643-1999): check code, decoding, masking.

The check code is ISO 7064 MOD 11-2 over the first 17 digits (docs/domain-facts.md#resident-id-numbers).
Birth years before 1900 are refused: no living customer has one, and the
standard's own 1880 example would otherwise pass.
"""

from __future__ import annotations

import unicodedata
from dataclasses import dataclass
from datetime import date

WEIGHTS = (7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2)
CHECK_CHARS = "10X98765432"
EARLIEST_BIRTH_YEAR = 1900


def check_char(body17: str) -> str:
    """The check character for the first 17 digits."""
    if len(body17) != 17 or not body17.isdigit():
        raise ValueError("需要 17 位数字")
    total = sum(int(d) * w for d, w in zip(body17, WEIGHTS, strict=True))
    return CHECK_CHARS[total % 11]


def normalize(number: str) -> str:
    """Strip spaces and upper-case a trailing x."""
    return "".join(number.split()).upper()


@dataclass(frozen=True, slots=True)
class IdNumberInfo:
    number: str
    area_code: str
    birth_date: date
    sex: str  # "男" / "女"

    def age_on(self, on: date) -> int:
        return age_on(self.birth_date, on)


def parse(number: str) -> IdNumberInfo:
    """Decode a valid 18-character number; raise ValueError (Chinese message) otherwise."""
    n = normalize(number)
    if len(n) != 18:
        raise ValueError("身份证号码应为 18 位")
    if not n[:17].isdigit() or not (n[17].isdigit() or n[17] == "X"):
        raise ValueError("身份证号码只能包含数字，最后一位可以是 X")
    try:
        born = date(int(n[6:10]), int(n[10:12]), int(n[12:14]))
    except ValueError:
        raise ValueError("身份证号码中的出生日期无效") from None
    if born.year < EARLIEST_BIRTH_YEAR:
        raise ValueError("身份证号码中的出生年份早于 1900 年")
    if check_char(n[:17]) != n[17]:
        raise ValueError("身份证号码校验位不正确")
    return IdNumberInfo(number=n, area_code=n[:6], birth_date=born, sex="男" if int(n[16]) % 2 else "女")


def is_valid(number: str) -> bool:
    try:
        parse(number)
    except ValueError:
        return False
    return True


def make_number(area_code: str, birth: date, sequence: int) -> str:
    """Build a valid number from its parts; sequence 0–999 (odd = male)."""
    if len(area_code) != 6 or not area_code.isdigit():
        raise ValueError("地区码应为 6 位数字")
    if not 0 <= sequence <= 999:
        raise ValueError("顺序码应在 000–999 之间")
    body = f"{area_code}{birth:%Y%m%d}{sequence:03d}"
    return body + check_char(body)


def mask(number: str) -> str:
    """Show the first 6 and last 4 characters: 140102********1234."""
    n = normalize(number)
    if len(n) <= 10:
        return "*" * len(n)
    return n[:6] + "*" * (len(n) - 10) + n[-4:]


def age_on(birth: date, on: date) -> int:
    """Whole years of age on a date (a 29 February birthday ages on 1 March)."""
    years = on.year - birth.year
    if (on.month, on.day) < (birth.month, birth.day):
        years -= 1
    return years


def validity_years_for_age(age: int) -> int | None:
    """Card validity by age at issue (居民身份证法 Art. 5); None means 长期."""
    if age < 16:
        return 5
    if age <= 25:
        return 10
    if age <= 45:
        return 20
    return None


NAME_MARKS = "·•．. "  # the middle dot of minority names, and a space


def name_problem(name: str) -> str | None:
    """Why a name cannot be a person's name on an ID card, or None.

    Letters (any script), combining marks, the middle dot and spaces only, starting with a
    letter: no control characters, nothing a spreadsheet would take for a formula.
    """
    if not name:
        return "请填写姓名"
    if not unicodedata.category(name[0]).startswith("L"):
        return "姓名须以文字开头"
    if any(not unicodedata.category(c).startswith(("L", "M")) and c not in NAME_MARKS for c in name):
        return "姓名只能包含文字和间隔号“·”"
    return None
