"""Deterministic, realistic credit reports for the sandbox bureau, tests, demos and benchmarks.

`generate_report(seed, ...)` returns the same report for the same arguments. Every
profile starts from a clean borrower (a settled farm loan, maybe an open loan, a
debit-free credit card, a guarantee, a few queries) and adds one kind of trouble:

| profile            | what is added                                                        |
|--------------------|----------------------------------------------------------------------|
| clean              | nothing                                                              |
| thin               | no credit accounts or guarantees at all (白户)                        |
| current_overdue    | an open loan overdue now (status 2 逾期, class 关注, last symbol 1)    |
| lian_san_lei_liu   | a loan with 3 consecutive overdue months inside the last 24, now 正常 |
| bad_debt           | a loan that went 1→7 then B 呆账 (status 4, class 损失)                |
| guarantor_repaid   | a loan repaid by its guarantor (symbol D, Special 担保人代还), settled   |
| special_mention    | an open loan classified 关注 with a clean history                     |
| many_queries       | 6 hard queries in the last month, 8 in the last three                 |
| problem_guarantee  | a guarantee for someone else's loan classified 次级                  |
| frozen_card        | a credit card with status 冻结                                        |
| public_record      | an unfinished enforcement (强制执行, 执行中)                           |
"""

from __future__ import annotations

import random
from calendar import monthrange
from collections.abc import Callable
from dataclasses import replace
from datetime import date, datetime, time, timedelta, timezone

from app.domain import idcard
from app.domain.credit_report.errors import CreditReportError
from app.domain.credit_report.model import (
    STATUS_STRING_LENGTH,
    Account,
    AccountKind,
    CreditReport,
    Employment,
    Guarantee,
    Identity,
    PersonalInfo,
    PublicRecord,
    Query,
    QueryRecord,
    Repayment,
    Residence,
    Special,
    Spouse,
    Subject,
    YearMonth,
)
from app.integrations.sandbox.report_writer import to_xml
from app.domain.error_codes import CreditReportCode

__all__ = ["PROFILES", "generate_report", "to_xml"]

PROFILES = (
    "clean",
    "thin",
    "current_overdue",
    "lian_san_lei_liu",
    "bad_debt",
    "guarantor_repaid",
    "special_mention",
    "many_queries",
    "problem_guarantee",
    "frozen_card",
    "public_record",
)
DEFAULT_REPORT_DATE = date(2026, 11, 29)
Edit = Callable[[list[str]], None]  # rewrites a status string (a list of 60 symbols) in place
BANK = "襄汾农商行"
BEIJING = timezone(timedelta(hours=8))

_AREAS = ("141023", "141002", "141024", "141026", "141029", "141081")  # Linfen counties
_VILLAGES = ("新城镇西街村", "汾城镇南高村", "赵康镇史威村", "古城镇东关村", "景毛乡西中黄村", "襄陵镇北街村")
_SURNAMES = "王李张刘陈杨赵黄周吴郭贾侯段卫薛"
_MALE = ("建国", "志强", "国庆", "海军", "小明", "永红", "富贵", "保平", "建军", "红兵")
_FEMALE = ("秀英", "桂兰", "丽娟", "海燕", "玉梅", "翠花", "晓燕", "红霞", "春梅", "美兰")
_LENDERS = (("11", "襄汾农商行"), ("11", "中国农业银行临汾分行"), ("11", "中国邮政储蓄银行襄汾县支行"), ("12", "襄汾县村镇银行"))
_CARD_ISSUERS = (("11", "中国建设银行临汾分行"), ("11", "中国工商银行临汾分行"), ("11", "山西农信"))


def generate_report(
    seed: int | random.Random,
    subject_id_number: str | None = None,
    name: str | None = None,
    report_date: date | None = None,
    profile: str = "clean",
) -> CreditReport:
    """A realistic report for one subject; same inputs, same report."""
    if profile not in PROFILES:
        raise CreditReportError(f"未知的报告样例类型：{profile}", code=CreditReportCode.UNKNOWN_PROFILE, field="profile")
    rng = seed if isinstance(seed, random.Random) else random.Random(seed)
    on = report_date or DEFAULT_REPORT_DATE
    if subject_id_number is None:
        born = on - timedelta(days=rng.randint(23 * 365, 58 * 365))
        subject_id_number = idcard.make_number(rng.choice(_AREAS), born, rng.randint(0, 999))
    info = idcard.parse(subject_id_number)
    if name is None:
        name = rng.choice(_SURNAMES) + rng.choice(_MALE if info.sex == "男" else _FEMALE)

    g = _Gen(rng, on)
    if profile != "thin":
        g.base_history()
    getattr(g, f"add_{profile}", lambda: None)()
    g.queries(extra_hard=profile != "many_queries")

    return CreditReport(
        version="1.0",
        report_id=f"R{on:%Y%m%d}{rng.randint(0, 999999):06d}",
        report_date=on,
        query=Query(reason="贷款审批", institution=BANK, queried_at=datetime.combine(on, time(10, 2), BEIJING)),
        subject=Subject(name=name, id_type="身份证", id_number=info.number),
        personal_info=_personal_info(rng, info, on),
        accounts=tuple(g.accounts),
        guarantees=tuple(g.guarantees),
        query_records=tuple(sorted(g.query_records, key=lambda r: r.on, reverse=True)),
        public_records=tuple(g.public_records),
    )


def _personal_info(rng: random.Random, info: idcard.IdNumberInfo, on: date) -> PersonalInfo:
    married = info.age_on(on) >= 24 and rng.random() < 0.85
    spouse = None
    if married:
        spouse_born = info.birth_date + timedelta(days=rng.randint(-5 * 365, 5 * 365))
        # the spouse is of the other sex: odd sequence = male
        seq = rng.randrange(0, 999, 2) if info.sex == "男" else rng.randrange(1, 1000, 2)
        spouse_female = info.sex == "男"
        spouse = Spouse(
            name=rng.choice(_SURNAMES) + rng.choice(_FEMALE if spouse_female else _MALE),
            id_number=idcard.make_number(info.area_code, spouse_born, seq),
        )
    return PersonalInfo(
        identity=Identity(
            gender=info.sex,
            birth_date=info.birth_date,
            marital_status="已婚" if married else "未婚",
            phone=f"1{rng.choice('3578')}{rng.randint(0, 999_999_999):09d}",
        ),
        spouse=spouse,
        residence=Residence(
            address=f"山西省临汾市襄汾县{rng.choice(_VILLAGES)}{rng.randint(1, 120)}号",
            since=date(max(info.birth_date.year, 1980) + rng.randint(0, 10), 1, 1),
        ),
        employment=Employment(employer="", occupation="农、林、牧、渔业生产人员", since=None),
    )


def _month_end(m: YearMonth) -> date:
    return date(m.year, m.month, monthrange(m.year, m.month)[1])


def _add_months(d: date, months: int) -> date:
    m = YearMonth.of(d).shift(months)
    return date(m.year, m.month, min(d.day, monthrange(m.year, m.month)[1]))


class _Gen:
    """Accumulates the sections of one report."""

    def __init__(self, rng: random.Random, on: date) -> None:
        self.rng = rng
        self.on = on
        self.month = YearMonth.of(on)
        self.accounts: list[Account] = []
        self.guarantees: list[Guarantee] = []
        self.query_records: list[QueryRecord] = []
        self.public_records: list[PublicRecord] = []
        self._loans = 0
        self._cards = 0

    # --- building blocks ------------------------------------------------------------------

    def _reported(self) -> tuple[date, YearMonth]:
        """Loans report at month end: the previous month's end unless today is the last day."""
        if self.on == _month_end(self.month):
            return self.on, self.month
        prev = self.month.shift(-1)
        return _month_end(prev), prev

    def _history(self, opened: YearMonth, end: YearMonth, closed: YearMonth | None = None) -> list[str]:
        out = []
        for idx in range(end.index - STATUS_STRING_LENGTH + 1, end.index + 1):
            if idx < opened.index:
                out.append("/")
            elif closed is not None and idx >= closed.index:
                out.append("C")
            elif idx == opened.index:
                out.append("*")
            else:
                out.append("M" if self.rng.random() < 0.01 else "N")
        return out

    def loan(
        self,
        *,
        months_ago: int,
        term: int,
        settle: bool = False,
        status: str = "1",
        five_class: int = 1,
        edit: Edit | None = None,
        overdue_periods: int = 0,
        overdue_fen: int = 0,
        specials: tuple[Special, ...] = (),
        kind: AccountKind = AccountKind.D1,
    ) -> Account:
        self._loans += 1
        rng = self.rng
        reported_on, end = self._reported()
        opened_on = _add_months(self.on, -months_ago).replace(day=rng.randint(1, 28))
        due_on = _add_months(opened_on, term)
        amount = rng.randrange(10_000, 300_001, 1_000) * 100
        settle_month = None
        if settle:
            settle_month = min(YearMonth.of(due_on), end)
            balance = 0
            status, five_class = "3", 1
        else:
            elapsed = max(0, min(term, end.index - YearMonth.of(opened_on).index))
            balance = amount * (term - elapsed) // term if kind is AccountKind.D1 else amount * rng.randint(2, 10) // 10
        symbols = self._history(YearMonth.of(opened_on), end, settle_month)
        if edit is not None:
            edit(symbols)
        lender = rng.choice(_LENDERS)
        account = Account(
            id=f"A{self._loans}",
            kind=kind,
            status=status,
            opened_on=opened_on,
            amount_fen=amount,
            balance_fen=max(balance, overdue_fen),
            current_overdue_periods=overdue_periods,
            current_overdue_amount_fen=overdue_fen,
            reported_on=reported_on,
            loan_type=rng.choice(("51", "51", "52", "41", "91")),
            institution_type=lender[0],
            institution=lender[1],
            due_on=due_on,
            guarantee=rng.choice(("4", "4", "3", "7", "2")),
            five_class=five_class,
            repayment=Repayment(end=end, statuses="".join(symbols)),
            specials=specials,
        )
        self.accounts.append(account)
        return account

    def card(self, *, status: str = "1", edit: Edit | None = None) -> Account:
        self._cards += 1
        rng = self.rng
        reported_on = self.on.replace(day=5) if self.on.day > 5 else self._reported()[0]
        end = YearMonth.of(reported_on)
        opened_on = _add_months(self.on, -rng.randint(12, 96)).replace(day=rng.randint(1, 28))
        limit = rng.randrange(5_000, 50_001, 1_000) * 100
        used = limit * rng.randint(0, 60) // 100
        symbols = self._history(YearMonth.of(opened_on), end)
        if edit is not None:
            edit(symbols)
        issuer = rng.choice(_CARD_ISSUERS)
        account = Account(
            id=f"C{self._cards}",
            kind=AccountKind.R2,
            status=status,
            opened_on=opened_on,
            amount_fen=limit,
            balance_fen=used,
            current_overdue_periods=0,
            current_overdue_amount_fen=0,
            reported_on=reported_on,
            institution_type=issuer[0],
            institution=issuer[1],
            used_fen=used,
            guarantee="4",
            repayment=Repayment(end=end, statuses="".join(symbols)),
        )
        self.accounts.append(account)
        return account

    def guarantee(self, five_class: int = 1) -> None:
        rng = self.rng
        amount = rng.randrange(10_000, 100_001, 1_000) * 100
        self.guarantees.append(
            Guarantee(
                amount_fen=amount,
                balance_fen=amount * rng.randint(1, 9) // 10,
                five_class=five_class,
                relation=rng.choice(("保证人", "保证人", "共同借款人")),
                institution=rng.choice(_LENDERS)[1],
                borrower_name=rng.choice(_SURNAMES) + rng.choice(_MALE + _FEMALE),
                reported_on=self._reported()[0],
            )
        )

    def query(self, days_ago: int, reason: str, institution: str | None = None) -> None:
        institution = institution or self.rng.choice(_LENDERS + _CARD_ISSUERS)[1]
        on = self.on - timedelta(days=days_ago)
        self.query_records.append(QueryRecord(on=on, institution=institution, reason=reason))

    # --- the clean borrower ---------------------------------------------------------------

    def base_history(self) -> None:
        rng = self.rng
        self.loan(months_ago=rng.randint(40, 58), term=rng.choice((12, 24, 36)), settle=True)
        if rng.random() < 0.6:
            kind = rng.choice((AccountKind.D1, AccountKind.R1))
            self.loan(months_ago=rng.randint(3, 20), term=rng.choice((24, 36, 60)), kind=kind)
        if rng.random() < 0.7:
            self.card()
        if rng.random() < 0.3:
            self.guarantee()
        if rng.random() < 0.2:
            self.public_records.append(
                PublicRecord(kind="住房公积金参缴", on=self.on - timedelta(days=rng.randint(30, 900)), status="正常缴存")
            )

    def queries(self, *, extra_hard: bool) -> None:
        rng = self.rng
        self.query(0, "贷款审批", BANK)
        if extra_hard:
            for _ in range(rng.randint(0, 2)):
                self.query(rng.randint(40, 700), rng.choice(("贷款审批", "信用卡审批", "担保资格审查")))
        for _ in range(rng.randint(0, 3)):
            self.query(rng.randint(1, 700), rng.choice(("贷后管理", "本人查询")))

    # --- the trouble ----------------------------------------------------------------------

    def add_current_overdue(self) -> None:
        def edit(s: list[str]) -> None:
            s[-1] = "1"

        overdue = self.rng.randrange(500, 5_001, 10) * 100
        months_ago = self.rng.randint(6, 30)
        self.loan(
            months_ago=months_ago, term=36, status="2", five_class=2, edit=edit, overdue_periods=1, overdue_fen=overdue
        )

    def add_lian_san_lei_liu(self) -> None:
        at = self.rng.randint(3, 18)  # months before the end month where the run ends

        def edit(s: list[str]) -> None:
            s[-at - 3:-at] = ["1", "2", "3"]
            s[-at] = "N"

        self.loan(months_ago=30, term=60, edit=edit)

    def add_bad_debt(self) -> None:
        def edit(s: list[str]) -> None:
            s[-14:] = list("1234567") + ["B"] * 7

        amount_due = self.rng.randrange(5_000, 50_001, 100) * 100
        self.loan(
            months_ago=36, term=24, status="4", five_class=5, edit=edit, overdue_periods=14, overdue_fen=amount_due
        )

    def add_guarantor_repaid(self) -> None:
        end = self._reported()[1]
        paid = end.shift(-self.rng.randint(4, 16))

        def edit(s: list[str]) -> None:
            k = end.index - paid.index  # offset from the end of the string
            s[-k - 3:-k - 1] = ["1", "2"]
            s[-k - 1] = "D"
            s[-k:] = ["C"] * k

        amount = self.rng.randrange(5_000, 30_001, 100) * 100
        special = Special(type="担保人代还", on=_month_end(paid), amount_fen=amount)
        self.loan(months_ago=30, term=60, status="3", five_class=1, edit=edit, specials=(special,))
        self.accounts[-1] = replace(self.accounts[-1], balance_fen=0)

    def add_special_mention(self) -> None:
        self.loan(months_ago=self.rng.randint(6, 30), term=60, five_class=2)

    def add_many_queries(self) -> None:
        for days in (2, 5, 9, 14, 20):
            self.query(days, self.rng.choice(("贷款审批", "信用卡审批")))
        for days in (45, 70):
            self.query(days, "贷款审批")

    def add_problem_guarantee(self) -> None:
        self.guarantee(five_class=3)

    def add_frozen_card(self) -> None:
        def edit(s: list[str]) -> None:
            s[-3:] = ["1", "2", "N"]  # frozen after two missed payments

        self.card(status="冻结", edit=edit)

    def add_public_record(self) -> None:
        amount = self.rng.randrange(2_000, 80_001, 100) * 100
        self.public_records.append(
            PublicRecord(
                kind="强制执行",
                on=self.on - timedelta(days=self.rng.randint(60, 700)),
                amount_fen=amount,
                status="执行中",
            )
        )
