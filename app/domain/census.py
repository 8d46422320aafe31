"""Census import: rows of strings in, validated rows and row-level errors out.

The file format is docs/census-import.md: one row per household member, Chinese headers,
members of one household share 村区划代码 + 户号. This module knows nothing of files,
villages in the database or encryption; the service reads the file into rows of strings and
checks the rows against the database afterwards.

A whole-file problem (wrong header, too many rows, no data) raises `CensusFileError`;
everything row-level is returned as `RowError`s so the preview can show them all at once.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from app.domain import idcard
from app.domain.error_codes import CensusCode
from app.domain.errors import ValidationError
from app.domain.spreadsheet import NumberCell

# Header (Chinese, as written in the file) -> field name. Order = the template's column order.
COLUMNS: dict[str, str] = {
    "村区划代码": "division_code",
    "村民小组": "group",
    "户号": "household_no",
    "住址": "address",
    "姓名": "name",
    "与户主关系": "relation",
    "身份证号码": "id_number",
    "手机号": "phone",
}
REQUIRED_COLUMNS = ("村区划代码", "户号", "姓名", "与户主关系", "身份证号码")
HEADER_ALIASES = {
    "区划代码": "村区划代码",
    "小组": "村民小组",
    "组别": "村民小组",
    "地址": "住址",
    "家庭住址": "住址",
    "关系": "与户主关系",
    "身份证号": "身份证号码",
    "公民身份号码": "身份证号码",
    "手机号码": "手机号",
    "联系电话": "手机号",
}

# 与户主关系: the label written in the file -> Relation value (app.domain.vocabulary.Relation).
RELATION_LABELS = {"head": "户主", "spouse": "配偶", "child": "子女", "parent": "父母", "other": "其他"}
_RELATION_WORDS = {
    "head": ("户主", "本人"),
    "spouse": ("配偶", "妻", "妻子", "夫", "丈夫", "老伴"),
    "child": ("子女", "子", "女", "儿子", "女儿", "长子", "次子", "三子", "长女", "次女", "三女", "养子", "养女", "继子", "继女"),
    "parent": ("父母", "父", "母", "父亲", "母亲", "继父", "继母", "养父", "养母"),
    "other": (
        "其他", "孙子", "孙女", "外孙子", "外孙女", "儿媳", "女婿", "兄", "弟", "姐", "妹", "兄弟", "姐妹",
        "祖父", "祖母", "外祖父", "外祖母", "公公", "婆婆", "岳父", "岳母", "侄子", "侄女", "其他亲属",
    ),
}
RELATIONS = {word: code for code, words in _RELATION_WORDS.items() for word in words} | {code: code for code in RELATION_LABELS}

MAX_CELL_CHARS = 200
# An ID number an XLSX file stored as a number: Excel kept only its first 15 digits (docs/census-import.md)
NUMERIC_ID_NUMBER = "身份证号码是数字格式的单元格，Excel 只保留前 15 位数字，号码可能已被改动：请把“身份证号码”列设置为“文本”格式，重新填写号码后再导入"
MAX_NAME_CHARS = 32
MAX_HOUSEHOLD_NO_CHARS = 32
MAX_ADDRESS_CHARS = 128

_DIVISION_CODE = re.compile(r"^\d{12}$")
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_HOUSEHOLD_NO = re.compile(r"^[0-9A-Za-z\-]+$")
_NAME_BAD = re.compile(r"[0-9<>\"'&;/\\{}()\[\]=+*#@$%^|~`!?,，。]")
_CN_DIGITS = {"零": 0, "〇": 0, "一": 1, "二": 2, "两": 2, "三": 3, "四": 4, "五": 5, "六": 6, "七": 7, "八": 8, "九": 9}


class CensusFileError(ValidationError):
    """The whole file is refused (nothing of it is kept)."""

    code = CensusCode.INVALID_FILE

    def __init__(self, message: str, *, code: str | None = None) -> None:
        super().__init__(message, code=code, field="file")


@dataclass(frozen=True, slots=True)
class RowError:
    line: int  # the spreadsheet row number (the header is row 1 in a normal file)
    column: str  # the Chinese header, or "" for the whole row
    message: str


@dataclass(frozen=True, slots=True)
class Member:
    name: str
    relation: str  # Relation value
    id_number: str  # normalised, valid
    sex: str
    birth_on: date
    phone: str  # "" when not given


@dataclass(frozen=True, slots=True)
class CensusRow:
    line: int
    division_code: str
    group: str  # as written ("" when blank)
    group_number: int | None
    household_no: str
    address: str
    member: Member


@dataclass
class ParsedCensus:
    rows: list[CensusRow] = field(default_factory=list)  # rows without errors
    errors: list[RowError] = field(default_factory=list)
    total_rows: int = 0  # non-blank data rows read

    @property
    def ok(self) -> bool:
        return not self.errors

    @property
    def error_lines(self) -> set[int]:
        return {e.line for e in self.errors}


def clean(value: object) -> str:
    """A cell as text: NFKC (full-width digits/letters to ASCII), trimmed; None is ""."""
    if value is None:
        return ""
    return unicodedata.normalize("NFKC", str(value)).strip()


def parse_relation(text: str) -> str | None:
    return RELATIONS.get(clean(text))


def parse_group_number(text: str) -> int | None:
    """"3", "3组", "第3组", "第三村民小组", "十二组" -> the group number; None when there is none."""
    t = clean(text)
    t = t.removeprefix("第")
    for suffix in ("村民小组", "小组", "组"):
        if t.endswith(suffix):
            t = t[: -len(suffix)]
            break
    if t.isdigit() and t.isascii():
        return int(t) if 0 < int(t) < 1000 else None
    return _chinese_number(t)


def _chinese_number(t: str) -> int | None:
    if not t or len(t) > 3:
        return None
    if "十" not in t:
        return _CN_DIGITS.get(t) if len(t) == 1 and _CN_DIGITS.get(t) else None
    tens, _, ones = t.partition("十")
    if tens and tens not in _CN_DIGITS or ones and ones not in _CN_DIGITS or "十" in ones:
        return None
    value = (_CN_DIGITS[tens] if tens else 1) * 10 + (_CN_DIGITS[ones] if ones else 0)
    return value or None


def check_division_code(text: str) -> str | None:
    """The error message for a 村区划代码, or None when it is well-formed."""
    return None if _DIVISION_CODE.match(text) else "村区划代码应为 12 位数字"


def check_household_no(text: str) -> str | None:
    if not text:
        return "请填写户号"
    if len(text) > MAX_HOUSEHOLD_NO_CHARS or not _HOUSEHOLD_NO.match(text):
        return f"户号只能包含数字、字母和短横线，最多 {MAX_HOUSEHOLD_NO_CHARS} 位"
    return None


def check_address(text: str) -> str | None:
    return f"住址最多 {MAX_ADDRESS_CHARS} 个字" if len(text) > MAX_ADDRESS_CHARS else None


class MemberInvalid(ValidationError):
    """A person's fields are wrong; `errors` maps each form field (name, relation, id_number, phone) to its message."""

    def __init__(self, errors: dict[str, str]) -> None:
        field_name, message = next(iter(errors.items()))
        super().__init__(message, code=CensusCode.INVALID_MEMBER, field=field_name)
        self.errors = errors


def check_name(name: str) -> str | None:
    if not name:
        return "请填写姓名"
    if len(name) > MAX_NAME_CHARS or _NAME_BAD.search(name):
        return f"姓名不能包含数字或符号，最多 {MAX_NAME_CHARS} 个字"
    return None


def check_relation(text: str) -> tuple[str | None, str | None]:
    """(Relation value, None) or (None, message)."""
    code = RELATIONS.get(text)
    if code is not None:
        return code, None
    return None, ("与户主关系应为：" + "、".join(RELATION_LABELS.values()) if text else "请填写与户主关系")


def check_phone(phone: str) -> tuple[str, str | None]:
    """(normalised phone, message or None); an empty phone is allowed."""
    phone = phone.replace("-", "").replace(" ", "")
    if phone and not _PHONE.match(phone):
        return phone, "手机号应为 11 位数字，以 1 开头"
    return phone, None


def check_id_number(text: str) -> tuple[idcard.IdNumberInfo | None, str | None]:
    if not text:
        return None, "请填写身份证号码"
    try:
        return idcard.parse(text), None
    except ValueError as exc:
        return None, str(exc)


def validate_member(*, name: str, relation: str, id_number: str, phone: str) -> tuple[Member | None, dict[str, str]]:
    """One person's fields (import row or PAD form): the member, or errors keyed by field name."""
    name = clean(name)
    code, relation_error = check_relation(clean(relation))
    info, id_error = check_id_number(clean(id_number))
    phone, phone_error = check_phone(clean(phone))
    errors = {f: m for f, m in (("name", check_name(name)), ("relation", relation_error), ("id_number", id_error), ("phone", phone_error)) if m}
    if errors or info is None or code is None:
        return None, errors
    return Member(name=name, relation=code, id_number=info.number, sex=info.sex, birth_on=info.birth_date, phone=phone), {}


def _columns(header: Sequence[object]) -> dict[str, int]:
    names = [clean(h) for h in header]
    while names and not names[-1]:
        names.pop()
    index: dict[str, int] = {}
    unknown, duplicated = [], []
    for i, raw in enumerate(names):
        name = HEADER_ALIASES.get(raw, raw)
        if not name:
            unknown.append(f"第 {i + 1} 列（空白）")
        elif name not in COLUMNS:
            unknown.append(raw)
        elif name in index:
            duplicated.append(name)
        else:
            index[name] = i
    missing = [c for c in REQUIRED_COLUMNS if c not in index]
    problems = []
    if missing:
        problems.append("缺少列：" + "、".join(missing))
    if duplicated:
        problems.append("重复的列：" + "、".join(duplicated))
    if unknown:
        problems.append("无法识别的列：" + "、".join(unknown))
    if problems:
        raise CensusFileError("表头不正确（" + "；".join(problems) + "）。请使用导入模板，第一行为列名。", code=CensusCode.BAD_HEADER)
    return index


_FIELD_COLUMN = {v: k for k, v in COLUMNS.items()}


def read_table(table: Iterable[Sequence[object]], *, max_rows: int) -> tuple[dict[str, int], list[tuple[int, list[str]]]]:
    """Header columns and the non-blank data rows (line, cells); refuses past `max_rows` at once.

    Rows are only collected here, not validated, so an oversized file is refused after reading
    `max_rows + 1` rows and nothing more.
    """
    it = iter(table)
    line, header = 0, None
    for raw in it:
        line += 1
        if any(clean(c) for c in raw):
            header = raw
            break
    if header is None:
        raise CensusFileError("文件是空的", code=CensusCode.EMPTY_FILE)
    columns = _columns(header)
    rows: list[tuple[int, list[str]]] = []
    for raw in it:
        line += 1
        cells = [NumberCell(clean(c)) if isinstance(c, NumberCell) else clean(c) for c in raw]
        if not any(cells):
            continue
        if len(rows) >= max_rows:
            raise CensusFileError(f"文件行数超过上限：每次最多导入 {max_rows:,} 行，请拆分后分批导入", code=CensusCode.TOO_MANY_ROWS)
        rows.append((line, cells))
    if not rows:
        raise CensusFileError("文件中没有数据行", code=CensusCode.EMPTY_FILE)
    return columns, rows


def parse_census(table: Iterable[Sequence[object]], *, max_rows: int) -> ParsedCensus:
    """Validate every row and the rows against each other (duplicates, household consistency)."""
    columns, raw_rows = read_table(table, max_rows=max_rows)
    width = max(columns.values()) + 1
    result = ParsedCensus(total_rows=len(raw_rows))
    seen_ids: dict[str, int] = {}
    households: dict[tuple[str, str], dict] = {}
    for line, cells in raw_rows:
        row_errors = _parse_row(line, cells, columns, width, seen_ids, households, result)
        result.errors.extend(row_errors)
    return result


def _parse_row(line, cells, columns, width, seen_ids, households, result) -> list[RowError]:
    def get(column: str) -> str:
        i = columns.get(column)
        return cells[i] if i is not None and i < len(cells) else ""

    errors: list[RowError] = []
    if any(cells[width:]):
        errors.append(RowError(line, "", "该行在表头之外还有内容"))
    for column in columns:
        if len(get(column)) > MAX_CELL_CHARS:
            return [*errors, RowError(line, column, f"内容过长（最多 {MAX_CELL_CHARS} 个字）")]
    code, household_no, group, address = get("村区划代码"), get("户号"), get("村民小组"), get("住址")
    for column, message in (("村区划代码", check_division_code(code)), ("户号", check_household_no(household_no)), ("住址", check_address(address))):
        if message:
            errors.append(RowError(line, column, message))
    member, member_errors = validate_member(name=get("姓名"), relation=get("与户主关系"), id_number=get("身份证号码"), phone=get("手机号"))
    if isinstance(get("身份证号码"), NumberCell) and get("身份证号码"):
        member, member_errors = None, {**member_errors, "id_number": NUMERIC_ID_NUMBER}
    errors.extend(RowError(line, _FIELD_COLUMN[f], m) for f, m in member_errors.items())
    if member is not None:
        first = seen_ids.get(member.id_number)
        if first is not None:
            errors.append(RowError(line, "身份证号码", f"与第 {first} 行的身份证号码重复"))
        else:
            seen_ids[member.id_number] = line
    if errors or member is None:
        return errors
    key = (code, household_no)
    house = households.setdefault(key, {"group": "", "address": "", "head": None})
    if group and house["group"] and group != house["group"]:
        errors.append(RowError(line, "村民小组", f"同一户的村民小组不一致（之前为“{house['group']}”）"))
    if address and house["address"] and address != house["address"]:
        errors.append(RowError(line, "住址", "同一户的住址不一致"))
    if member.relation == "head" and house["head"] is not None:
        errors.append(RowError(line, "与户主关系", f"同一户只能有一位户主（第 {house['head']} 行已是户主）"))
    if errors:
        return errors
    house["group"] = house["group"] or group
    house["address"] = house["address"] or address
    if member.relation == "head":
        house["head"] = line
    result.rows.append(CensusRow(line=line, division_code=code, group=house["group"], group_number=parse_group_number(house["group"]) if house["group"] else None,
                                 household_no=household_no, address=house["address"], member=member))
    return errors


@dataclass(frozen=True, slots=True)
class HouseholdDraft:
    division_code: str
    household_no: str
    group: str
    group_number: int | None
    address: str
    lines: tuple[int, ...]
    has_head: bool


def households_of(rows: Iterable[CensusRow]) -> list[HouseholdDraft]:
    """The households the valid rows describe, in file order (group/address: first non-blank value)."""
    drafts: dict[tuple[str, str], dict] = {}
    for row in rows:
        d = drafts.setdefault((row.division_code, row.household_no), {"group": "", "address": "", "lines": [], "head": False})
        d["group"] = d["group"] or row.group
        d["address"] = d["address"] or row.address
        d["lines"].append(row.line)
        d["head"] = d["head"] or row.member.relation == "head"
    return [
        HouseholdDraft(division_code=code, household_no=no, group=d["group"], group_number=parse_group_number(d["group"]) if d["group"] else None,
                       address=d["address"], lines=tuple(d["lines"]), has_head=d["head"])
        for (code, no), d in drafts.items()
    ]
