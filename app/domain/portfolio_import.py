"""Portfolio import (存量数据迁移): the kinds, their columns and the checks of one row. Pure.

A file of one kind (customers, bank cards, credit lines) is read row by row; every row is checked here
field by field, and each problem is a `RowError` (row number as the spreadsheet shows it, the column's
Chinese header, a Chinese reason). What needs the database (references, existing records) is checked by
`app.services.portfolio_import`; this module only knows the cells. docs/import.md lists every column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from app.domain import cards, idcard
from app.domain.census import check_name, check_phone, clean, parse_relation
from app.domain.errors import ValidationError
from app.domain.lpr import Tenor
from app.domain.money import Money
from app.domain.spreadsheet import NumberCell
from app.domain.vocabulary import CREDIT_LINE_STATUS_LABELS, CreditLineStatus, Relation


class ImportFileError(ValidationError):
    """The whole file is refused (size, format, encoding, header): nothing is read further."""


@dataclass(frozen=True, slots=True)
class Column:
    header: str
    required: bool
    note: str  # for the template's notes sheet and docs/import.md
    example: tuple[str, ...] = ()
    text: bool = False  # written as text in the template (ID and card numbers)


@dataclass(frozen=True, slots=True)
class Kind:
    code: str
    label: str
    key: str  # the header of the source system's key column
    columns: tuple[Column, ...]

    @property
    def headers(self) -> list[str]:
        return [c.header for c in self.columns]


@dataclass(frozen=True, slots=True)
class RowError:
    row: int
    column: str
    message: str

    def __str__(self) -> str:
        return f"第 {self.row} 行「{self.column}」：{self.message}" if self.column else f"第 {self.row} 行：{self.message}"


_STATUS = {label: status for status, label in CREDIT_LINE_STATUS_LABELS.items()} | {s.value: s for s in CreditLineStatus} | {"正常": CreditLineStatus.ACTIVE}
_TENORS = {"1y": Tenor.ONE_YEAR, "1Y": Tenor.ONE_YEAR, "一年期LPR": Tenor.ONE_YEAR, "1年期LPR": Tenor.ONE_YEAR,
           "5y": Tenor.FIVE_YEAR, "5Y": Tenor.FIVE_YEAR, "五年期以上LPR": Tenor.FIVE_YEAR, "5年期以上LPR": Tenor.FIVE_YEAR}
_KEY = re.compile(r"[0-9A-Za-z_\-]{1,64}")

CUSTOMERS = Kind("customers", "客户", "客户编号", (
    Column("客户编号", True, "原系统的客户号，1–64 位字母、数字、- 或 _；同一法人行内唯一。重新导入时按它识别已导入的客户", ("C0001", "C0002")),
    Column("姓名", True, "1–32 个字，不含数字和符号", ("王建国", "李秀英")),
    Column("身份证号码", True, "18 位，末位可为 X，校验位按 GB 11643 检查；性别和出生日期取自号码。请设为文本格式", ("141002197504120011", "141002197808030023"), text=True),
    Column("手机号", False, "11 位数字，以 1 开头", ("13900001111", "")),
    Column("村区划代码", True, "客户所在村的 12 位统计区划代码；村须已在本行建立", ("141023100201", "141023100201")),
    Column("户号", False, "村内户号；填写时客户登记为该户成员（户不存在则新建）", ("9001", "9001")),
    Column("与户主关系", False, "填写户号时必填：户主 / 配偶 / 子女 / 父母 / 其他", ("户主", "配偶")),
))

CARDS = Kind("cards", "银行卡", "卡记录编号", (
    Column("卡记录编号", True, "原系统的绑卡记录号，同一法人行内唯一", ("K0001", "K0002")),
    Column("客户编号", True, "已导入的客户的客户编号", ("C0001", "C0002")),
    Column("银行卡号", True, "12–19 位数字，按 Luhn 校验位检查；请设为文本格式", ("6217000000000000012", "6217000000000000020"), text=True),
    Column("开户行", False, "开户行名称，默认“山西农信”", ("山西农信", "")),
))

CREDIT_LINES = Kind("credit_lines", "授信额度", "额度编号", (
    Column("额度编号", True, "原系统的授信额度号，同一法人行内唯一", ("L0001", "L0002")),
    Column("客户编号", True, "已导入的客户的客户编号", ("C0001", "C0002")),
    Column("产品代码", True, "本行产品代码，如 BIANLI（便利贷）", ("BIANLI", "BIANLI")),
    Column("授信金额", True, "元，如 50000 或 50,000.00，最多两位小数", ("50000", "30000.00")),
    Column("已用金额", True, "元；不得大于授信金额", ("12000.50", "0")),
    Column("利率基准", True, "一年期LPR（1y）或 五年期以上LPR（5y）", ("一年期LPR", "1y")),
    Column("加点", True, "在 LPR 上加的基点（1 基点 = 0.01%），0–2000 的整数", ("150", "150")),
    Column("期限（月）", True, "额度内单笔贷款的最长期限，须在产品期限范围内", ("12", "24")),
    Column("生效日", True, "YYYY-MM-DD", ("2026-01-15", "2026-03-01")),
    Column("到期日", True, "YYYY-MM-DD，晚于生效日", ("2027-01-15", "2028-03-01")),
    Column("状态", True, "有效 / 冻结 / 到期 / 关闭", ("有效", "冻结")),
))

KINDS = {k.code: k for k in (CUSTOMERS, CARDS, CREDIT_LINES)}


def header_columns(kind: Kind, header: Sequence[object]) -> dict[str, int]:
    """The header row's column positions; a missing required column, a column twice or an unknown one refuses the file."""
    cells = [clean(c) for c in header]
    known = {clean(h): h for h in kind.headers}  # 期限（月） and 期限(月) alike (cells are NFKC-normalised)
    positions: dict[str, int] = {}
    for i, text in enumerate(cells):
        if not text:
            continue
        if text not in known:
            raise ImportFileError(f"表头有未知的列「{text}」；{kind.label}文件的列为：{'、'.join(kind.headers)}")
        if known[text] in positions:
            raise ImportFileError(f"表头中「{text}」列出现了两次")
        positions[known[text]] = i
    missing = [c.header for c in kind.columns if c.required and c.header not in positions]
    if missing:
        raise ImportFileError(f"表头缺少必填列：{'、'.join(missing)}")
    return positions


def cells_of(columns: dict[str, int], row: Sequence[object]) -> dict[str, str]:
    return {h: (clean(row[i]) if i < len(row) else "") for h, i in columns.items()}


def _date(text: str) -> date | None:
    text = text.strip()
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y%m%d", "%Y-%m-%d %H:%M:%S"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    return None


def _money(text: str) -> tuple[int | None, str | None]:
    if not text:
        return None, "请填写金额"
    try:
        return Money.from_yuan(text).fen, None
    except ValidationError as exc:
        return None, exc.message


def _key(text: str) -> str | None:
    if not text:
        return "请填写编号"
    return None if _KEY.fullmatch(text) else "编号应为 1–64 位字母、数字、- 或 _"


class RowChecker:
    """Collects a row's errors by column."""

    def __init__(self, line: int) -> None:
        self.line = line
        self.errors: list[RowError] = []

    def add(self, column: str, message: str | None) -> None:
        if message:
            self.errors.append(RowError(self.line, column, message))


def check_customer(line: int, cells: dict[str, str], raw_id: object) -> tuple[dict | None, list[RowError]]:
    c = RowChecker(line)
    key = cells.get("客户编号", "")
    c.add("客户编号", _key(key))
    name = cells.get("姓名", "")
    c.add("姓名", check_name(name))
    info = None
    if isinstance(raw_id, NumberCell):
        c.add("身份证号码", "身份证号码是数字格式的单元格，可能已丢失末几位；请把“身份证号码”列设置为“文本”格式后重新填写")
    elif not cells.get("身份证号码"):
        c.add("身份证号码", "请填写身份证号码")
    else:
        try:
            info = idcard.parse(cells["身份证号码"])
        except ValueError as exc:
            c.add("身份证号码", str(exc))
    phone, phone_error = check_phone(cells.get("手机号", ""))
    c.add("手机号", phone_error)
    village = cells.get("村区划代码", "")
    if not re.fullmatch(r"\d{12}", village):
        c.add("村区划代码", "村区划代码应为 12 位数字")
    household = cells.get("户号", "")
    relation = None
    if household:
        if not re.fullmatch(r"[0-9A-Za-z\-]{1,32}", household):
            c.add("户号", "户号只能包含字母、数字和 -，最多 32 个字符")
        relation = parse_relation(cells.get("与户主关系", ""))
        if relation is None:
            c.add("与户主关系", "填写户号时，与户主关系应为：户主、配偶、子女、父母、其他")
    if c.errors or info is None:
        return None, c.errors
    return {"key": key, "name": name, "id_number": info.number, "sex": info.sex, "birth_on": info.birth_date, "phone": phone,
            "village": village, "household": household, "relation": relation}, []


def check_card(line: int, cells: dict[str, str], raw_card: object) -> tuple[dict | None, list[RowError]]:
    c = RowChecker(line)
    key = cells.get("卡记录编号", "")
    c.add("卡记录编号", _key(key))
    customer = cells.get("客户编号", "")
    c.add("客户编号", _key(customer))
    number = None
    if isinstance(raw_card, NumberCell):
        c.add("银行卡号", "银行卡号是数字格式的单元格，可能已丢失末几位；请把“银行卡号”列设置为“文本”格式后重新填写")
    else:
        try:
            number = cards.parse(cells.get("银行卡号", ""))
        except ValidationError as exc:
            c.add("银行卡号", exc.message)
    bank_name = cells.get("开户行", "") or "山西农信"
    if len(bank_name) > 64:
        c.add("开户行", "开户行名称最多 64 个字")
    if c.errors or number is None:
        return None, c.errors
    return {"key": key, "customer": customer, "card_number": number, "bank_name": bank_name}, []


def check_credit_line(line: int, cells: dict[str, str]) -> tuple[dict | None, list[RowError]]:
    c = RowChecker(line)
    key = cells.get("额度编号", "")
    c.add("额度编号", _key(key))
    customer = cells.get("客户编号", "")
    c.add("客户编号", _key(customer))
    product = cells.get("产品代码", "")
    if not product:
        c.add("产品代码", "请填写产品代码")
    limit_fen, limit_error = _money(cells.get("授信金额", ""))
    c.add("授信金额", limit_error)
    if limit_fen == 0:
        c.add("授信金额", "授信金额应大于 0")
    used_fen, used_error = _money(cells.get("已用金额", ""))
    c.add("已用金额", used_error)
    if limit_fen is not None and used_fen is not None and used_fen > limit_fen:
        c.add("已用金额", f"已用金额 {cells['已用金额']} 元大于授信金额 {cells['授信金额']} 元")
    tenor = _TENORS.get(cells.get("利率基准", "").replace(" ", ""))
    if tenor is None:
        c.add("利率基准", "利率基准应为：一年期LPR（1y）或 五年期以上LPR（5y）")
    spread = cells.get("加点", "")
    spread_bp = int(spread) if re.fullmatch(r"-?\d{1,5}", spread) else None
    if spread_bp is None or not 0 <= spread_bp <= 2000:
        c.add("加点", "加点应为 0–2000 的整数（基点）")
    term = cells.get("期限（月）", "")
    term_months = int(term) if re.fullmatch(r"\d{1,3}", term) else None
    if not term_months:
        c.add("期限（月）", "期限应为正整数（月）")
    start, end = _date(cells.get("生效日", "")), _date(cells.get("到期日", ""))
    if start is None:
        c.add("生效日", "日期格式应为 YYYY-MM-DD")
    if end is None:
        c.add("到期日", "日期格式应为 YYYY-MM-DD")
    elif start is not None and end <= start:
        c.add("到期日", "到期日必须晚于生效日")
    status = _STATUS.get(cells.get("状态", ""))
    if status is None:
        c.add("状态", "状态应为：有效、冻结、到期、关闭")
    if c.errors:
        return None, c.errors
    return {"key": key, "customer": customer, "product": product, "limit_fen": limit_fen, "used_fen": used_fen, "tenor": tenor,
            "spread_bp": spread_bp, "term_months": term_months, "valid_from": start, "valid_until": end, "status": status}, []


def relation_is_head(relation: str | None) -> bool:
    return relation == Relation.HEAD
