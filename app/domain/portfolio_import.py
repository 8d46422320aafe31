"""Portfolio import (存量数据迁移): the kinds, their columns and the checks of one row. Pure.

A file of one kind (customers, bank cards, credit lines, loans) is read row by row; every row is checked here
field by field, and each problem is a `RowError` (row number as the spreadsheet shows it, the column's
Chinese header, a Chinese reason). What needs the database (references, existing records) is checked by
`app.services.portfolio_import`; this module only knows the cells. docs/import.md lists every column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date, datetime, timedelta
from decimal import Decimal

from app.domain import cards, idcard
from app.domain.census import check_name, check_phone, clean, parse_relation
from app.domain.errors import ValidationError
from app.domain import lpr
from app.domain.extension import LIMIT_TEXTS as _EXTENSION_LIMIT, extension_dates, max_extension_months, rebuild, term_kind
from app.domain.lpr import Tenor
from app.domain.schedule.dates import add_months
from app.domain.schedule.revolving import revolving_rows
from app.domain.schedule.rows import days_interest_fen
from app.domain.money import Money
from app.domain.classification import CLASS_LABELS, DEFAULT_POLICY as CLASS_POLICY, LoanClass, is_non_performing, observation_ends
from app.domain.schedule import Conventions, Method, amortize, build_schedule
from app.domain.schedule import METHOD_LABELS
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


MAX_LISTED_ERRORS = 1000  # a file with more errors lists the first ones and the count


@dataclass(kw_only=True)
class ErrorTally:
    """A file's row errors: every one counted, the first MAX_LISTED_ERRORS kept (bounded memory for any file).

    The base of the portfolio import's and the external-data import's results (keyword fields, after theirs)."""

    errors: list[RowError] = field(default_factory=list)
    error_count: int = 0

    def add(self, errors: Sequence[RowError]) -> None:
        self.error_count += len(errors)
        room = MAX_LISTED_ERRORS - len(self.errors)
        if room > 0:
            self.errors.extend(errors[:room])


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

CONTROL_KEY = "合计"  # the loans file's control row: its 贷款编号 (docs/import.md "Control totals")

LOANS = Kind("loans", "贷款", "贷款编号", (
    Column("贷款编号", True, "原系统的借据号，同一法人行内唯一。文件最后一行为控制合计行：贷款编号写“合计”，额度编号写笔数，"
                         "剩余本金、逾期本金、逾期利息、应计利息、罚息写原系统的合计数", ("D0001", "合计")),
    Column("额度编号", True, "已导入的授信额度的额度编号（借款人即额度的客户）", ("L0001", "1")),
    Column("产品代码", True, "本行产品代码，须与额度的产品相同", ("BIANLI", "")),
    Column("还款方式", True, "等额本息 / 等额本金 / 先息后本 / 随借随还。随借随还：首期还款日写首个付息日（结息日 20 日的次日），"
                         "剩余本金到期一次归还，应计利息写本结息期已计的积数利息", ("先息后本", "")),
    Column("利率基准", True, "一年期LPR（1y）或 五年期以上LPR（5y）：重定价时取的 LPR", ("1y", "")),
    Column("加点", True, "在 LPR 上加的基点，0–2000 的整数", ("150", "")),
    Column("执行年利率", True, "迁移日执行的年利率（%），如 4.45，最多 4 位小数；剩余还款计划按它重建", ("4.45", "")),
    Column("原始本金", True, "元，放款金额", ("12000", "")),
    Column("起息日", True, "YYYY-MM-DD，早于迁移日", ("2026-06-15", "")),
    Column("首期还款日", True, "YYYY-MM-DD，晚于起息日、不晚于起息日后两个月", ("2026-07-15", "")),
    Column("到期日", True, "YYYY-MM-DD，须等于按期限推算的最后一期还款日", ("2027-06-15", "")),
    Column("期限（月）", True, "期数（月）", ("12", "")),
    Column("已还本金", True, "元，迁移日前已还的本金；原始本金 − 已还本金 = 剩余本金", ("0", "")),
    Column("剩余本金", True, "元，未还本金（含逾期本金）；其中未到期部分须等于重建的还款计划", ("12000", "12000")),
    Column("逾期本金", False, "元，迁移日及之前到期未还的本金，默认 0", ("0", "0")),
    Column("逾期利息", False, "元，迁移日及之前到期未还的利息，默认 0", ("0", "0")),
    Column("最早逾期日", False, "有逾期金额时必填：最早一期未还清的还款日（须为还款计划中的还款日）", ("", "")),
    Column("应计利息", False, "元，本期已计提未到期的利息（截至迁移日前一日日终），默认 0", ("17.80", "17.80")),
    Column("罚息", False, "元，应收未收的罚息，默认 0", ("0", "0")),
    Column("五级分类", True, "正常 / 关注 / 次级 / 可疑 / 损失", ("正常", "")),
    Column("非应计日", False, "非应计（表外）贷款填写：原系统停止计息入账的日期，早于迁移日；五级分类须为次级、可疑或损失。"
                         "其逾期利息、罚息、应计利息记入表外，借款人仍欠；未到 90 天的贷款留空", ("", "")),
    Column("核销日", False, "已核销（账销案存）贷款填写：核销日期，早于迁移日；五级分类须为次级、可疑或损失。剩余本金写核销后尚未收回的本金，"
                       "逾期利息写尚未收回的利息（罚息、复利一并计入），应计利息、罚息为 0，最早逾期日可留空", ("", "")),
    Column("展期日", False, "已展期贷款填写：展期生效日，早于迁移日、早于原到期日；期限（月）写原期限，到期日写展期后的到期日，"
                       "执行年利率写展期后的利率。迁移后该贷款不能再展期（每笔贷款最多展期一次）", ("", "")),
    Column("展期月数", False, "填写展期日时必填：展期的月数，累计不超过贷款通则的限度（短期贷款不超过原期限，中期不超过原期限的一半，长期不超过 3 年）", ("", "")),
    Column("展期前年利率", False, "展期改变了利率时填写展期前执行的年利率（%），默认同执行年利率", ("", "")),
    Column("观察期起始日", False, "不良贷款（次级、可疑、损失）已还清全部逾期、处于升级观察期的填写：观察期开始的日期，早于迁移日；"
                         "不能有逾期金额。观察期满后系统提出升级建议，由审批人决定", ("", "")),
    Column("重组", False, "是 / 否（默认否）：已展期贷款因借款人财务困难按重组管理的填“是”（须填展期日）；五级分类不优于关注，"
                     "迁移后按本系统的重组贷款管理：分类下限关注，观察期自展期日起算", ("否", "")),
    Column("复利", False, "元，逾期利息上应收未收的复利，默认 0；只在迁移日前已逾期且有逾期利息的贷款上。合计行写复利合计。"
                     "已核销贷款的复利并入逾期利息", ("0", "0")),
    Column("发放时年利率", False, "等额本息贷款在存续期间利率曾重定价的填写发放时的年利率（%）：迁移日后的还款计划按剩余本金、执行年利率"
                         "和剩余还款日重新计算，不再按原利率推算的本金核对；默认同执行年利率", ("", "")),
    Column("核销后已收回本金", False, "元，已核销贷款在原系统核销后已收回的本金，默认 0；剩余本金为尚未收回的部分（已收回的计入已还本金）", ("", "")),
    Column("已收利息", False, "元，迁移日前借款人在原系统已付的利息（含罚息、复利），默认 0；计入报表的已收利息（客户贡献度），不记账、不进合计行", ("0", "")),
    Column("核销后已收回利息", False, "元，已核销贷款在原系统核销后已收回的利息（含罚息、复利），默认 0；逾期利息为尚未收回的部分", ("", "")),
))

LPR = Kind("lpr", "LPR 历史", "发布日期", (
    Column("发布日期", True, "YYYY-MM-DD，不晚于当前会计日期；本系统已有的日期须利率相同（补录缺失的日期）", ("2019-08-20", "2019-09-20")),
    Column("一年期LPR", True, "%，最多两位小数，如 4.25", ("4.25", "4.20")),
    Column("五年期以上LPR", True, "%，最多两位小数，如 4.85", ("4.85", "4.85")),
))

GUARANTEES = Kind("guarantees", "联保担保", "担保编号", (
    Column("担保编号", True, "原系统的联保成员（保证人）记录号，同一法人行内唯一；一行一位成员，同一联保小组的成员写同一个联保小组编号", ("G0001", "G0002")),
    Column("联保小组编号", True, "原系统的联保小组号；同一小组的各行小组名称、村区划代码、组建日期、状态须相同。已导入的小组不能再追加成员",
           ("LB001", "LB001")),
    Column("小组名称", True, "1–64 个字", ("西街村第一联保小组", "西街村第一联保小组")),
    Column("村区划代码", True, "小组所在村的 12 位统计区划代码；村须已在本行建立", ("141023100201", "141023100201")),
    Column("户号", True, "成员所在户的户号（户须已随客户导入）；一户只能由一人代表加入同一小组，且不超过每户可加入的有效联保小组数",
           ("9101", "9102")),
    Column("客户编号", True, "已导入的客户的客户编号，须登记为该户成员", ("C0001", "C0002")),
    Column("担保最高额", True, "元，大于 0，最多两位小数：该成员为小组其他成员借款承担连带责任的最高额", ("50000", "50000")),
    Column("保证合同编号", True, "原系统纸质联保保证合同的编号，1–40 个字符，全系统唯一；合同原件为纸质，本系统不生成电子合同（记为迁移合同）",
           ("BZ2025-001", "BZ2025-002")),
    Column("签订日期", True, "YYYY-MM-DD，保证合同签订日，不早于组建日期、不晚于迁移日", ("2025-03-01", "2025-03-01")),
    Column("组建日期", True, "YYYY-MM-DD，不晚于迁移日", ("2025-03-01", "2025-03-01")),
    Column("状态", True, "有效 / 已解散（已解散小组的成员记为已退出，不计入担保敞口）", ("有效", "有效")),
    Column("被担保贷款编号", False, "该成员担保的小组其他成员的贷款编号（已导入的贷款），多笔用 ; 或 、 分隔；用于核对，担保关系按小组成员确定",
           ("D0002", "D0001")),
))

KINDS = {k.code: k for k in (CUSTOMERS, CARDS, CREDIT_LINES, LOANS, LPR, GUARANTEES)}

_GROUP_STATUS = {"有效": "active", "正常": "active", "active": "active", "已解散": "dissolved", "解散": "dissolved", "dissolved": "dissolved"}


def check_guarantee(line: int, cells: dict[str, str], *, today: date) -> tuple[dict | None, list[RowError]]:
    """One member of a 联保 group and its guarantee: the cells only (references and the group's size: the service)."""
    c = RowChecker(line)
    key, group = cells.get("担保编号", ""), cells.get("联保小组编号", "")
    c.add("担保编号", _key(key))
    c.add("联保小组编号", _key(group))
    name = cells.get("小组名称", "")
    if not 1 <= len(name) <= 64:
        c.add("小组名称", "请填写小组名称（1–64 个字）")
    village = cells.get("村区划代码", "")
    if not re.fullmatch(r"\d{12}", village):
        c.add("村区划代码", "村区划代码应为 12 位数字")
    household = cells.get("户号", "")
    if not re.fullmatch(r"[0-9A-Za-z\-]{1,32}", household):
        c.add("户号", "户号只能包含字母、数字和 -，最多 32 个字符")
    customer = cells.get("客户编号", "")
    c.add("客户编号", _key(customer))
    amount_fen, error = _money(cells.get("担保最高额", ""))
    c.add("担保最高额", error)
    if amount_fen == 0:
        c.add("担保最高额", "担保最高额应大于 0")
    contract_no = cells.get("保证合同编号", "")
    if not 1 <= len(contract_no) <= 40:
        c.add("保证合同编号", "请填写保证合同编号（1–40 个字符）")
    dates = {}
    for column in ("签订日期", "组建日期"):
        dates[column] = _date(cells.get(column, ""))
        if dates[column] is None:
            c.add(column, "日期格式应为 YYYY-MM-DD")
        elif dates[column] > today:
            c.add(column, f"{column}晚于迁移日 {today.isoformat()}")
    if dates["签订日期"] and dates["组建日期"] and dates["签订日期"] < dates["组建日期"]:
        c.add("签订日期", "签订日期不能早于组建日期")
    status = _GROUP_STATUS.get(cells.get("状态", ""))
    if status is None:
        c.add("状态", "状态应为：有效、已解散")
    loans = [k for k in re.split(r"[;；、,，\s]+", cells.get("被担保贷款编号", "")) if k]
    for loan in loans:
        if _key(loan):
            c.add("被担保贷款编号", f"贷款编号 {loan} 格式不对：{_key(loan)}")
    if len(set(loans)) != len(loans):
        c.add("被担保贷款编号", "同一笔贷款写了两次")
    if c.errors:
        return None, c.errors
    return {"key": key, "group": group, "name": name, "village": village, "household": household, "customer": customer, "amount_fen": amount_fen,
            "contract_no": contract_no, "signed_on": dates["签订日期"], "formed_on": dates["组建日期"], "status": status, "loans": loans}, []


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


_ISO_DATE = re.compile(r"\d{4}-\d{2}-\d{2}")


def _date(text: str) -> date | None:
    text = text.strip()
    if _ISO_DATE.fullmatch(text):  # the usual form, without strptime's cost (a big file has several dates a row)
        try:
            return date.fromisoformat(text)
        except ValueError:
            return None
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


# --- loans ---------------------------------------------------------------------------------------------

_METHODS = {label: method for method, label in METHOD_LABELS.items()} | {m.value: m for m in Method} | {"按月付息到期还本": Method.INTEREST_FIRST}
_CLASSES = {label: cls for cls, label in CLASS_LABELS.items()} | {c.value: c for c in LoanClass}
_SCHEDULE_FIELDS = {"principal": "原始本金", "term_months": "期限（月）", "annual_rate_percent": "执行年利率", "start_date": "起息日",
                    "first_due_date": "首期还款日"}
_PERCENT = re.compile(r"\d{1,3}(\.\d{1,4})?")
_YES_NO = {"": False, "否": False, "n": False, "no": False, "0": False, "false": False, "是": True, "y": True, "yes": True, "1": True, "true": True}


@dataclass(slots=True)
class LoanTotals:
    """Count and sums (fen) of a loans file: its rows', or its control row's."""

    count: int = 0
    principal_fen: int = 0  # 剩余本金
    overdue_principal_fen: int = 0
    overdue_interest_fen: int = 0
    accrued_fen: int = 0
    penalty_fen: int = 0
    compound_fen: int = 0  # 复利
    off_fen: int = 0  # of these, what opens off the balance sheet (non-accrual interest; written-off principal and interest): no contra

    FIELDS = ("剩余本金", "逾期本金", "逾期利息", "应计利息", "罚息", "复利")

    def add(self, row: dict) -> None:
        self.count += 1
        if row.get("written_off_on"):
            self.off_fen += row["remaining_fen"] + row["overdue_interest_fen"] + row["accrued_fen"] + row["penalty_fen"]
        elif row.get("non_accrual_on"):
            self.off_fen += row["overdue_interest_fen"] + row["accrued_fen"] + row["penalty_fen"] + row["compound_fen"]
        self.principal_fen += row["remaining_fen"]
        self.overdue_principal_fen += row["overdue_principal_fen"]
        self.overdue_interest_fen += row["overdue_interest_fen"]
        self.accrued_fen += row["accrued_fen"]
        self.penalty_fen += row["penalty_fen"]
        self.compound_fen += row["compound_fen"]

    def minus(self, other: LoanTotals) -> LoanTotals:
        """The figures less `other`'s (`off_fen` is not a control figure: 0)."""
        return LoanTotals(*(a - b for a, b in zip(self.values(), other.values(), strict=True)))

    def values(self) -> tuple[int, ...]:
        return (self.count, self.principal_fen, self.overdue_principal_fen, self.overdue_interest_fen, self.accrued_fen, self.penalty_fen,
                self.compound_fen)

    @property
    def book_fen(self) -> int:
        """What the ledger opens for these loans: principal, interest receivable, accrued interest, penalty and compound."""
        return self.principal_fen + self.overdue_interest_fen + self.accrued_fen + self.penalty_fen + self.compound_fen

    def as_dict(self) -> dict[str, int]:
        return dict(zip(("count", "principal_fen", "overdue_principal_fen", "overdue_interest_fen", "accrued_fen", "penalty_fen", "compound_fen"),
                        self.values(), strict=True))


def _optional_money(c: RowChecker, cells: dict[str, str], column: str) -> int:
    text = cells.get(column, "")
    if not text:
        return 0
    fen, error = _money(text)
    c.add(column, error)
    return fen or 0


def check_control(line: int, cells: dict[str, str]) -> tuple[LoanTotals | None, list[RowError]]:
    """The control row (贷款编号 合计): the count in 额度编号, the old system's sums in the money columns."""
    c = RowChecker(line)
    count = cells.get("额度编号", "")
    if not re.fullmatch(r"\d{1,9}", count):
        c.add("额度编号", "合计行的额度编号列应填贷款笔数（整数）")
    sums = []
    for column in LoanTotals.FIELDS:
        if column in cells and not cells[column]:  # a column the file has must be summed; one it leaves out is 0
            c.add(column, f"合计行须填写{column}合计")
            sums.append(0)
        else:
            sums.append(_optional_money(c, cells, column))
    if c.errors:
        return None, c.errors
    return LoanTotals(int(count), *sums), []


def control_mismatches(line: int, control: LoanTotals, detail: LoanTotals) -> list[RowError]:
    """Each figure where the control row and the sum of the file's loans differ (an error on the control row)."""
    errors = []
    if control.count != detail.count:
        errors.append(RowError(line, "额度编号", f"合计行笔数为 {control.count}，文件中有 {detail.count} 笔贷款"))
    for column, said, found in zip(LoanTotals.FIELDS, control.values()[1:], detail.values()[1:], strict=True):
        if said != found:
            errors.append(RowError(line, column, f"合计行与明细不符：合计行为 {yuan(said)} 元，明细合计 {yuan(found)} 元"))
    return errors


def yuan(fen: int) -> str:
    return str(Money(fen).yuan)


def check_loan(line: int, cells: dict[str, str]) -> tuple[dict | None, list[RowError]]:
    """A loan row's cells (no schedule, no database)."""
    c = RowChecker(line)
    key = cells.get("贷款编号", "")
    c.add("贷款编号", _key(key))
    credit_line = cells.get("额度编号", "")
    c.add("额度编号", _key(credit_line))
    product = cells.get("产品代码", "")
    if not product:
        c.add("产品代码", "请填写产品代码")
    method = _METHODS.get(cells.get("还款方式", ""))
    if method is None:
        c.add("还款方式", "还款方式应为：等额本息、等额本金、先息后本、随借随还")
    elif method is Method.REVOLVING and cells.get("展期日", ""):
        c.add("展期日", "随借随还贷款没有还款计划，不能展期")
    tenor = _TENORS.get(cells.get("利率基准", "").replace(" ", ""))
    if tenor is None:
        c.add("利率基准", "利率基准应为：一年期LPR（1y）或 五年期以上LPR（5y）")
    spread = cells.get("加点", "")
    spread_bp = int(spread) if re.fullmatch(r"-?\d{1,5}", spread) else None
    if spread_bp is None or not 0 <= spread_bp <= 2000:
        c.add("加点", "加点应为 0–2000 的整数（基点）")
    rate = cells.get("执行年利率", "").rstrip("%")
    rate_ppm = int(Decimal(rate) * 10_000) if _PERCENT.fullmatch(rate) else None
    if rate_ppm is None or not 0 < rate_ppm <= 360_000:
        c.add("执行年利率", "执行年利率应为 0–36 之间的百分数，如 4.45，最多 4 位小数")
    principal_fen, error = _money(cells.get("原始本金", ""))
    c.add("原始本金", error)
    if principal_fen == 0:
        c.add("原始本金", "原始本金应大于 0")
    dates = {}
    for column in ("起息日", "首期还款日", "到期日"):
        dates[column] = _date(cells.get(column, ""))
        if dates[column] is None:
            c.add(column, "日期格式应为 YYYY-MM-DD")
    term = cells.get("期限（月）", "")
    term_months = int(term) if re.fullmatch(r"\d{1,3}", term) else None
    if not term_months:
        c.add("期限（月）", "期限应为正整数（月）")
    paid_fen, error = _money(cells.get("已还本金", ""))
    c.add("已还本金", error)
    remaining_fen, error = _money(cells.get("剩余本金", ""))
    c.add("剩余本金", error)
    amounts = {name: _optional_money(c, cells, column) for name, column in (
        ("overdue_principal_fen", "逾期本金"), ("overdue_interest_fen", "逾期利息"), ("accrued_fen", "应计利息"), ("penalty_fen", "罚息"),
        ("compound_fen", "复利"), ("recovered_principal_fen", "核销后已收回本金"), ("recovered_interest_fen", "核销后已收回利息"),
        ("interest_paid_fen", "已收利息"))}
    earliest = None
    if cells.get("最早逾期日", ""):
        earliest = _date(cells["最早逾期日"])
        if earliest is None:
            c.add("最早逾期日", "日期格式应为 YYYY-MM-DD")
    loan_class = _CLASSES.get(cells.get("五级分类", ""))
    if loan_class is None:
        c.add("五级分类", "五级分类应为：正常、关注、次级、可疑、损失")
    states = {}
    for name, column in (("non_accrual_on", "非应计日"), ("written_off_on", "核销日")):
        states[name] = _date(cells[column]) if cells.get(column, "") else None
        if cells.get(column, "") and states[name] is None:
            c.add(column, "日期格式应为 YYYY-MM-DD")
    states["extended_on"] = _date(cells["展期日"]) if cells.get("展期日", "") else None
    if cells.get("展期日", "") and states["extended_on"] is None:
        c.add("展期日", "日期格式应为 YYYY-MM-DD")
    months_text = cells.get("展期月数", "")
    states["extension_months"] = int(months_text) if re.fullmatch(r"\d{1,3}", months_text) and int(months_text) > 0 else None
    if months_text and states["extension_months"] is None:
        c.add("展期月数", "展期月数应为正整数")
    elif cells.get("展期日", "") and not months_text:
        c.add("展期月数", "填写展期日时须填写展期月数")
    elif months_text and not cells.get("展期日", ""):
        c.add("展期日", "填写展期月数时须填写展期日")
    old_rate = cells.get("展期前年利率", "").rstrip("%")
    states["rate_before_ppm"] = int(Decimal(old_rate) * 10_000) if old_rate and _PERCENT.fullmatch(old_rate) else None
    if old_rate and (states["rate_before_ppm"] is None or not 0 < states["rate_before_ppm"] <= 360_000):
        c.add("展期前年利率", "展期前年利率应为 0–36 之间的百分数，如 4.45，最多 4 位小数")
    elif old_rate and not cells.get("展期日", ""):
        c.add("展期前年利率", "只有已展期的贷款填写展期前年利率")
    if cells.get("核销日", "") and cells.get("展期日", ""):
        c.add("展期日", "已核销贷款的展期信息不迁移，请留空")
    npl = loan_class is not None and is_non_performing(loan_class)
    states["observing_since"] = _date(cells["观察期起始日"]) if cells.get("观察期起始日", "") else None
    if cells.get("观察期起始日", ""):
        if states["observing_since"] is None:
            c.add("观察期起始日", "日期格式应为 YYYY-MM-DD")
        if loan_class is not None and not npl:
            c.add("五级分类", "处于观察期的贷款五级分类应为次级、可疑或损失")
        if cells.get("核销日", ""):
            c.add("观察期起始日", "已核销的贷款不填观察期起始日")
    states["restructured"] = _YES_NO.get(cells.get("重组", "").strip().lower())
    if states["restructured"] is None:
        c.add("重组", "重组应填“是”或“否”（不填即否）")
    elif states["restructured"]:
        if not cells.get("展期日", ""):
            c.add("重组", "重组贷款按展期重组迁移：请填写展期日和展期月数")
        if loan_class is LoanClass.NORMAL:
            c.add("五级分类", "重组贷款的五级分类不应优于关注")
    original_rate = cells.get("发放时年利率", "").rstrip("%")
    states["original_rate_ppm"] = int(Decimal(original_rate) * 10_000) if original_rate and _PERCENT.fullmatch(original_rate) else None
    if original_rate and (states["original_rate_ppm"] is None or not 0 < states["original_rate_ppm"] <= 360_000):
        c.add("发放时年利率", "发放时年利率应为 0–36 之间的百分数，如 4.45，最多 4 位小数")
    elif original_rate and method is not None and method is not Method.EQUAL_INSTALLMENT:
        c.add("发放时年利率", "只有等额本息贷款填写发放时年利率（其他还款方式的本金不随利率变化）")
    elif original_rate and cells.get("展期日", ""):
        c.add("发放时年利率", "已展期贷款请填写展期前年利率，不填发放时年利率")
    if not cells.get("核销日", ""):
        for column, name in (("核销后已收回本金", "recovered_principal_fen"), ("核销后已收回利息", "recovered_interest_fen")):
            if amounts[name]:
                c.add(column, f"只有已核销的贷款填写{column}")
    if cells.get("核销日", ""):
        if loan_class is not None and not npl:
            c.add("五级分类", "已核销贷款的五级分类应为次级、可疑或损失")
        if amounts["compound_fen"]:
            c.add("复利", "已核销贷款的罚息、复利请并入逾期利息，复利列为 0")
        if cells.get("非应计日", ""):
            c.add("非应计日", "已核销的贷款不填非应计日")
        if amounts["accrued_fen"]:
            c.add("应计利息", "已核销的贷款没有计提利息，应为 0")
        if amounts["penalty_fen"]:
            c.add("罚息", "已核销贷款的罚息、复利请并入逾期利息，罚息列为 0")
    elif cells.get("非应计日", "") and loan_class is not None and not npl:
        c.add("五级分类", "非应计贷款的五级分类应为次级、可疑或损失")
    if c.errors:
        return None, c.errors
    return {"key": key, "credit_line": credit_line, "product": product, "method": method, "tenor": tenor, "spread_bp": spread_bp,
            "rate_ppm": rate_ppm, "principal_fen": principal_fen, "start_on": dates["起息日"], "first_due_on": dates["首期还款日"],
            "maturity_on": dates["到期日"], "term_months": term_months, "paid_fen": paid_fen, "remaining_fen": remaining_fen,
            "earliest_overdue_on": earliest, "class": loan_class, **states, **amounts}, []


@dataclass(frozen=True, slots=True)
class PlannedInstallment:
    number: int
    due_on: date
    principal_fen: int
    interest_fen: int
    penalty_fen: int = 0
    overdue: bool = False
    compound_fen: int = 0


@dataclass(slots=True)
class LoanPlan:
    """What an imported loan becomes: its unpaid installments (the arrears as one row at the earliest unpaid due date,
    then the rebuilt schedule's rows due after the migration date) and its balances."""

    installments: list[PlannedInstallment] = field(default_factory=list)
    overdue_principal_fen: int = 0  # of rows already overdue (due before the migration date)
    overdue_interest_fen: int = 0
    days_past_due: int = 0  # a written-off loan's: at its write-off
    extension: Extension | None = None  # an extended loan's extension (展期), as `loan_extension` keeps it


@dataclass(frozen=True, slots=True)
class Extension:
    extended_on: date
    months: int
    original_term_months: int
    old_maturity_on: date
    new_maturity_on: date
    old_rate_ppm: int
    new_rate_ppm: int
    old_tenor: Tenor
    new_tenor: Tenor
    balance_fen: int  # principal outstanding when extended
    restructured: bool = False  # 重组: the borrower was in financial difficulty (floor 关注, observed until `observation_until`)
    observation_until: date | None = None


def plan_loan(line: int, row: dict, *, migration_on: date, conventions: Conventions) -> tuple[LoanPlan | None, list[RowError]]:
    """Rebuild the loan's schedule from its original terms and check the file's balances against it.

    `migration_on` is the business date the import happens on; the file's figures are as at the close of the day before.
    Rows due on or before it are past (paid, or unpaid in 逾期本金/逾期利息); rows due after it are the remaining schedule,
    whose principal must be exactly the file's 剩余本金 − 逾期本金.
    """
    c = RowChecker(line)
    extended_on = row.get("extended_on")
    revolving = row["method"] is Method.REVOLVING
    repriced = row.get("original_rate_ppm") is not None  # a 等额本息 loan repriced during its life: the past at its original rate
    rate = row.get("rate_before_ppm") or row["rate_ppm"] if extended_on else row["original_rate_ppm"] if repriced else row["rate_ppm"]
    try:  # a revolving drawdown's first due date is its first 付息日 (the 21st after a 结息日), not a month after the start
        schedule = build_schedule(row["principal_fen"], rate,
                                  row["term_months"], row["method"], row["start_on"], None if revolving else row["first_due_on"], conventions)
    except ValidationError as exc:
        c.add(_SCHEDULE_FIELDS.get(exc.field or "", "起息日"), exc.message)
        return None, c.errors
    rows = schedule.installments
    plan = LoanPlan()
    if revolving and rows[0].due_on != row["first_due_on"]:
        c.add("首期还款日", f"随借随还的首期还款日应为首个付息日 {rows[0].due_on.isoformat()}")
    if extended_on is not None:
        rows = _extended(c, row, rows, migration_on, conventions, plan)
        if rows is None:
            return None, c.errors
    if rows[-1].due_on != row["maturity_on"]:
        what = "按期限和展期月数推算" if extended_on else "按期限推算"
        c.add("到期日", f"到期日与{what}的最后一期还款日 {rows[-1].due_on.isoformat()} 不符")
    if row["start_on"] >= migration_on:
        c.add("起息日", f"起息日应早于迁移日 {migration_on.isoformat()}（迁移日当天及以后发放的贷款在本系统放款）")
    remaining = row["remaining_fen"]
    if row["principal_fen"] - row["paid_fen"] != remaining:
        c.add("剩余本金", f"贷款余额与已还本金不符：原始本金 {yuan(row['principal_fen'])} 元 − 已还本金 {yuan(row['paid_fen'])} 元 ≠ 剩余本金 {yuan(remaining)} 元")
    if remaining == 0:
        c.add("剩余本金", "剩余本金为 0：已结清的贷款无需迁移")
    for name, column in (("non_accrual_on", "非应计日"), ("written_off_on", "核销日"), ("observing_since", "观察期起始日")):
        if row.get(name) is not None and not row["start_on"] < row[name] < migration_on:
            c.add(column, f"{column}应早于迁移日 {migration_on.isoformat()}" if row[name] >= migration_on else f"{column}应晚于起息日")
    if row.get("written_off_on") is not None:
        return _written_off_plan(c, row, rows)
    past = [r for r in rows if r.due_on <= migration_on]
    future = [r for r in rows if r.due_on > migration_on]
    not_due = remaining - row["overdue_principal_fen"]
    if revolving and future and 0 < not_due <= row["principal_fen"]:
        future = _revolving_future(row, future, not_due, migration_on, conventions)
    elif repriced and future and 0 < not_due <= row["principal_fen"]:  # the principal left, amortised at the rate in force (as repricing does)
        future = amortize(not_due, row["rate_ppm"], row["method"], [r.due_on for r in future], conventions=conventions, first_number=future[0].number)
    scheduled = sum(r.principal_fen for r in future)
    if not_due != scheduled:
        c.add("剩余本金", f"贷款余额与还款计划不符：按还款计划，{migration_on.isoformat()} 之后到期的本金应为 {yuan(scheduled)} 元，"
                      f"文件中剩余本金减逾期本金为 {yuan(not_due)} 元")
    arrears = row["overdue_principal_fen"] or row["overdue_interest_fen"] or row["penalty_fen"]  # 复利 only with 逾期利息 (below)
    earliest = row["earliest_overdue_on"]
    if row["compound_fen"] and not row["overdue_interest_fen"]:
        c.add("复利", "复利只计在逾期利息上：没有逾期利息的贷款不应有复利")
    if arrears:
        first = next((r for r in past if r.due_on == earliest), None)
        if first is None:
            c.add("最早逾期日", "有逾期金额时，最早逾期日应为迁移日及之前还款计划中的某一还款日")
        elif row["penalty_fen"] and earliest >= migration_on:
            c.add("罚息", "最早逾期日为迁移日当天的贷款尚未逾期，不应有罚息")
        elif row["compound_fen"] and earliest >= migration_on:
            c.add("复利", "最早逾期日为迁移日当天的贷款尚未逾期，不应有复利")
        else:
            overdue = earliest < migration_on
            plan.installments.append(PlannedInstallment(first.number, earliest, row["overdue_principal_fen"], row["overdue_interest_fen"],
                                                        row["penalty_fen"], overdue, row["compound_fen"]))
            if overdue:
                plan.overdue_principal_fen, plan.overdue_interest_fen = row["overdue_principal_fen"], row["overdue_interest_fen"]
                plan.days_past_due = (migration_on - timedelta(days=1) - earliest).days
    elif earliest is not None:
        c.add("最早逾期日", "没有逾期金额时不填最早逾期日")
    if arrears and row.get("observing_since") is not None:
        c.add("观察期起始日", "有逾期金额的贷款不在观察期：请留空观察期起始日")
    period_start = past[-1].due_on if past else row["start_on"]
    if revolving and future:  # the 积数 of a period whose balance may have changed: at most the original principal's
        most = days_interest_fen(row["principal_fen"], row["rate_ppm"], (migration_on - period_start).days, conventions.days_in_year_daily)
        if row["accrued_fen"] > most:
            c.add("应计利息", f"应计利息超过本期（自 {period_start.isoformat()}）按原始本金计算的利息 {yuan(most)} 元")
    elif future and row["accrued_fen"] > future[0].interest_fen:
        c.add("应计利息", f"应计利息超过本期（{future[0].due_on.isoformat()} 到期）的利息 {yuan(future[0].interest_fen)} 元")
    if not future and row["accrued_fen"]:
        c.add("应计利息", "已过到期日的贷款没有未到期的计提利息")
    if c.errors:
        return None, c.errors
    plan.installments += [PlannedInstallment(r.number, r.due_on, r.principal_fen, r.interest_fen) for r in future]
    return plan, []


def _revolving_future(row: dict, future: list, not_due: int, migration_on: date, conventions: Conventions) -> list:
    """A revolving drawdown's rows due after the migration date as Cunxin keeps them after a repayment on that day
    (`repayment._revolving_plan`): the balance not yet due at the maturity row, each row's interest estimated on it from
    the migration date, the current period's row carrying what the period has already accrued (应计利息); end-of-day
    writes each period's exact 积数 figure on its row the evening before it falls due."""
    rows = revolving_rows(not_due, row["rate_ppm"], migration_on, future[-1].due_on, conventions)
    first = rows[0]
    rows[0] = first._replace(interest_fen=first.interest_fen + row["accrued_fen"], payment_fen=first.payment_fen + row["accrued_fen"])
    return [r._replace(number=f.number) for f, r in zip(future, rows, strict=True)]


def _extended(c: RowChecker, row: dict, rows: list, migration_on: date, conventions: Conventions, plan: LoanPlan) -> list | None:
    """The schedule of a loan extended (展期) on 展期日 by 展期月数, as `lending.extension` rebuilt it: the rows due by then
    as originally built; from the current period on, the principal left amortised at the rate in force over the current
    period and the loan's monthly dates continued to the new maturity (the current period keeps its interest).
    None (with the errors) when the extension is not one Cunxin's rules allow."""
    on, months, term = row["extended_on"], row["extension_months"], row["term_months"]
    allowed = max_extension_months(term)
    if months > allowed:
        c.add("展期月数", f"{_EXTENSION_LIMIT[term_kind(term)]}：原期限 {term} 个月，最多可展期 {allowed} 个月")
    if not row["start_on"] < on < migration_on:
        c.add("展期日", f"展期日应早于迁移日 {migration_on.isoformat()}" if on >= migration_on else "展期日应晚于起息日")
    elif on >= rows[-1].due_on:
        c.add("展期日", f"展期日应早于原到期日 {rows[-1].due_on.isoformat()}（到期后不能展期）")
    elif row["earliest_overdue_on"] is not None and row["earliest_overdue_on"] <= on:
        c.add("最早逾期日", "展期时不能有逾期：最早逾期日应晚于展期日")
    if c.errors:
        return None
    future = [r for r in rows if r.due_on > on]
    day = row["start_on"].day if row["first_due_on"] == add_months(row["start_on"], 1) else row["first_due_on"].day
    dates = [r.due_on for r in future] + list(extension_dates(row["first_due_on"], term, months, day))
    balance = sum(r.principal_fen for r in future)
    new_rows = rebuild(balance, row["rate_ppm"], row["method"], dates, current_interest_fen=future[0].interest_fen, first_number=future[0].number,
                       conventions=conventions)
    # the loan's tenor is the one in force; before, it was the original term's when the extension changed the term's tenor
    old_tenor = row["tenor"] if lpr.tenor_for_term(term + months) == lpr.tenor_for_term(term) else lpr.tenor_for_term(term)
    restructured = bool(row.get("restructured"))  # observed as `lending.extension` observes it: from the extension over the new rows
    until = observation_ends(on, [r.due_on for r in new_rows], CLASS_POLICY) if restructured else None
    plan.extension = Extension(on, months, term, rows[-1].due_on, new_rows[-1].due_on, row.get("rate_before_ppm") or row["rate_ppm"], row["rate_ppm"],
                               old_tenor, row["tenor"], balance, restructured, until)
    return [r for r in rows if r.due_on <= on] + new_rows


def _written_off_plan(c: RowChecker, row: dict, rows) -> tuple[LoanPlan | None, list[RowError]]:
    """A written-off loan (账销案存) carries no schedule: what is still owed is its register, and its days past due at the
    write-off come from its earliest unpaid due date (when given: one of the schedule's, on or before the write-off)."""
    earliest, written_off_on = row["earliest_overdue_on"], row["written_off_on"]
    if row["overdue_principal_fen"] > row["remaining_fen"]:
        c.add("逾期本金", "逾期本金不能大于剩余本金")
    if row.get("recovered_principal_fen", 0) > row["paid_fen"]:
        c.add("核销后已收回本金", "核销后已收回本金计入已还本金，不能大于已还本金")
    plan = LoanPlan()
    if earliest is not None:
        if not any(r.due_on == earliest for r in rows) or earliest > written_off_on:
            c.add("最早逾期日", "最早逾期日应为核销日及之前还款计划中的某一还款日")
        else:
            plan.days_past_due = (written_off_on - earliest).days
    return (None, c.errors) if c.errors else (plan, [])


# --- LPR history ---------------------------------------------------------------------------------------

_LPR_PERCENT = re.compile(r"\d{1,2}(\.\d{1,2})?")
MAX_LPR_PPM = 200_000  # 20 %: above is a typing error (as when an admin enters a fixing)
LPR_COLUMNS = {Tenor.ONE_YEAR: "一年期LPR", Tenor.FIVE_YEAR: "五年期以上LPR"}  # the LPR file's column of each tenor


def check_lpr(line: int, cells: dict[str, str], *, today: date) -> tuple[dict | None, list[RowError]]:
    """A fixing: its date (not after the business date `today`) and both tenors' rates in whole basis points."""
    c = RowChecker(line)
    published_on = _date(cells.get("发布日期", ""))
    if published_on is None:
        c.add("发布日期", "日期格式应为 YYYY-MM-DD")
    elif published_on > today:
        c.add("发布日期", f"发布日期晚于当前会计日期 {today.isoformat()}（预定生效的利率请在管理端录入）")
    rates = {}
    for tenor, column in LPR_COLUMNS.items():
        text = cells.get(column, "").rstrip("%")
        ppm = int(Decimal(text) * 10_000) if _LPR_PERCENT.fullmatch(text) else None
        if ppm is None or not 0 < ppm <= MAX_LPR_PPM:
            c.add(column, "LPR 应为 0–20 之间的百分数，最多两位小数，如 3.45")
        rates[tenor] = ppm
    if c.errors:
        return None, c.errors
    return {"published_on": published_on, "rates": rates}, []
