"""Typed, immutable objects for one personal credit report (docs/credit-report-1.0.md).

Money is integer fen; dates are `date`; months are `YearMonth`. Codes keep the
strings the interchange format uses ("D1", "4", "冻结"), with the Chinese names in
the lookup tables below so rules and messages share one vocabulary.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from enum import Enum

STATUS_STRING_LENGTH = 60

# Repayment-status symbols (docs/domain-facts.md#credit-report). "0" is for post-paid records only and
# is not valid in a credit account's string.
SYMBOL_NAMES: dict[str, str] = {
    "N": "正常还款",
    "1": "逾期1-30天",
    "2": "逾期31-60天",
    "3": "逾期61-90天",
    "4": "逾期91-120天",
    "5": "逾期121-150天",
    "6": "逾期151-180天",
    "7": "逾期180天以上",
    "B": "呆账",
    "C": "结清/销户",
    "D": "担保人代还",
    "Z": "以资抵债",
    "G": "结束",
    "M": "约定还款日后月底前还款",
    "*": "当月无需还款",
    "#": "状态未知",
    "/": "未开立",
}
SYMBOLS = frozenset(SYMBOL_NAMES)
OVERDUE_SYMBOLS = frozenset("1234567")


class AccountKind(str, Enum):
    D1 = "D1"  # 非循环贷账户
    R1 = "R1"  # 循环贷账户
    R4 = "R4"  # 循环额度下分账户
    R2 = "R2"  # 贷记卡
    R3 = "R3"  # 准贷记卡

    @property
    def label(self) -> str:
        return ACCOUNT_KIND_NAMES[self.value]

    @property
    def is_loan(self) -> bool:
        return self.value in LOAN_KINDS

    @property
    def is_card(self) -> bool:
        return self.value in CARD_KINDS


ACCOUNT_KIND_NAMES = {
    "D1": "非循环贷账户",
    "R1": "循环贷账户",
    "R4": "循环额度下分账户",
    "R2": "贷记卡",
    "R3": "准贷记卡",
}
LOAN_KINDS = frozenset({"D1", "R1", "R4"})
CARD_KINDS = frozenset({"R2", "R3"})

ACCOUNT_STATUS_NAMES: dict[str, str] = {
    "1": "正常",
    "2": "逾期",
    "3": "结清",
    "4": "呆账",
    "5": "转出/止付",
    "6": "担保物不足",
    "7": "强制平仓",
    "8": "司法追偿",
    "冻结": "冻结",
    "止付": "止付",
    "销户": "销户",
}
CLOSED_STATUSES = frozenset({"3", "销户"})

FIVE_CLASS_NAMES: dict[int, str] = {1: "正常", 2: "关注", 3: "次级", 4: "可疑", 5: "损失", 9: "未分类"}
UNCLASSIFIED = 9

HARD_QUERY_REASONS = frozenset({"贷款审批", "信用卡审批", "担保资格审查"})


@dataclass(frozen=True, slots=True, order=True)
class YearMonth:
    year: int
    month: int

    def __post_init__(self) -> None:
        if not 1 <= self.month <= 12 or not 1 <= self.year <= 9999:
            raise ValueError(f"无效的月份：{self.year}-{self.month}")

    @classmethod
    def of(cls, d: date) -> YearMonth:
        return cls(d.year, d.month)

    @classmethod
    def from_index(cls, index: int) -> YearMonth:
        return cls(index // 12, index % 12 + 1)

    @property
    def index(self) -> int:
        """Months since year 0: consecutive months differ by one."""
        return self.year * 12 + self.month - 1

    def shift(self, months: int) -> YearMonth:
        return YearMonth.from_index(self.index + months)

    def __str__(self) -> str:
        return f"{self.year:04d}-{self.month:02d}"


@dataclass(frozen=True, slots=True)
class Repayment:
    """60 monthly symbols, oldest first; the last one is month `end`."""

    end: YearMonth
    statuses: str

    @property
    def start(self) -> YearMonth:
        return self.end.shift(1 - len(self.statuses))

    def symbol_at(self, month: YearMonth) -> str | None:
        """The symbol for a month, or None when the string does not cover it."""
        offset = self.end.index - month.index
        if 0 <= offset < len(self.statuses):
            return self.statuses[-1 - offset]
        return None

    def window(self, last: YearMonth, months: int) -> list[tuple[YearMonth, str]]:
        """(month, symbol) for the `months` months ending at `last`, oldest first.

        Months the string does not cover (after `end`, or before its start) are
        left out: they carry no overdue information.
        """
        first_index = last.index - months + 1
        end_index = self.end.index
        n = len(self.statuses)
        out = []
        for idx in range(max(first_index, end_index - n + 1), min(last.index, end_index) + 1):
            out.append((YearMonth.from_index(idx), self.statuses[n - 1 - (end_index - idx)]))
        return out


@dataclass(frozen=True, slots=True)
class Special:
    type: str  # 提前还款, 展期, 担保人代还, 以资抵债, 其他
    on: date
    amount_fen: int | None = None


@dataclass(frozen=True, slots=True)
class Account:
    id: str
    kind: AccountKind
    status: str
    opened_on: date
    amount_fen: int  # loan amount or card credit limit
    balance_fen: int
    current_overdue_periods: int
    current_overdue_amount_fen: int
    reported_on: date
    loan_type: str | None = None
    institution_type: str | None = None
    institution: str = ""
    due_on: date | None = None
    used_fen: int | None = None
    guarantee: str | None = None
    five_class: int | None = None
    repayment: Repayment | None = None
    specials: tuple[Special, ...] = ()

    @property
    def is_loan(self) -> bool:
        return self.kind.is_loan

    @property
    def is_card(self) -> bool:
        return self.kind.is_card

    @property
    def is_open(self) -> bool:
        return self.status not in CLOSED_STATUSES

    @property
    def status_name(self) -> str:
        return ACCOUNT_STATUS_NAMES.get(self.status, self.status)


@dataclass(frozen=True, slots=True)
class Guarantee:
    amount_fen: int
    balance_fen: int
    five_class: int
    relation: str  # 保证人 / 共同借款人
    institution: str = ""
    borrower_name: str = ""
    reported_on: date | None = None


@dataclass(frozen=True, slots=True)
class QueryRecord:
    on: date
    institution: str
    reason: str

    @property
    def is_hard(self) -> bool:
        return self.reason in HARD_QUERY_REASONS


@dataclass(frozen=True, slots=True)
class PublicRecord:
    kind: str  # 欠税, 民事判决, 强制执行, 行政处罚, 住房公积金参缴, 低保救助
    on: date
    amount_fen: int | None = None
    status: str = ""


@dataclass(frozen=True, slots=True)
class Query:
    reason: str
    institution: str
    queried_at: datetime


@dataclass(frozen=True, slots=True)
class Subject:
    name: str
    id_type: str
    id_number: str


@dataclass(frozen=True, slots=True)
class Identity:
    gender: str = ""
    birth_date: date | None = None
    marital_status: str = ""
    phone: str = ""


@dataclass(frozen=True, slots=True)
class Spouse:
    name: str = ""
    id_number: str = ""


@dataclass(frozen=True, slots=True)
class Residence:
    address: str = ""
    since: date | None = None


@dataclass(frozen=True, slots=True)
class Employment:
    employer: str = ""
    occupation: str = ""
    since: date | None = None


@dataclass(frozen=True, slots=True)
class PersonalInfo:
    identity: Identity | None = None
    spouse: Spouse | None = None
    residence: Residence | None = None
    employment: Employment | None = None


@dataclass(frozen=True, slots=True)
class CreditReport:
    version: str
    report_id: str
    report_date: date
    query: Query
    subject: Subject
    personal_info: PersonalInfo | None = None
    accounts: tuple[Account, ...] = ()
    guarantees: tuple[Guarantee, ...] = ()
    query_records: tuple[QueryRecord, ...] = ()
    public_records: tuple[PublicRecord, ...] = ()

    @property
    def report_month(self) -> YearMonth:
        return YearMonth.of(self.report_date)


def yuan(fen: int) -> str:
    """Integer fen as the format's yuan string: 123456 -> "1234.56"."""
    sign = "-" if fen < 0 else ""
    fen = abs(fen)
    return f"{sign}{fen // 100}.{fen % 100:02d}"
