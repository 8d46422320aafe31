"""Batch files of external data (外部数据批量导入, issue 20): the columns of each source and the checks of one row. Pure.

A bank receives some sources as files (CSV or XLSX): one file holds one source. A row is one fact about one
person, identified by 身份证号码 and 姓名: a person's 公积金 account is one row; their 社保 is one row per insurance
kind, their 税务 one row per quarter, their 粮补 one row per year and kind, their 保单 one row per policy and their
国网 account one row per month. `check_row` reads the cells of a row into a part; `combine` puts the parts of one
person together into the source's facts (`app/domain/external_data.py`) and checks that the rows agree.
What needs the database (the customer, the consent) is checked by `app.services.external_data.imports`.
docs/external-data.md lists every column.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal, InvalidOperation
from typing import Any

from app.domain import idcard
from app.domain.census import check_name
from app.domain.errors import ValidationError
from app.domain.external_data import (
    ElectricityMonth, ExternalSource, GrainSubsidyFacts, HousingFundFacts, InsuranceFacts, InsuranceKindRecord, InsurancePolicy,
    SocialInsuranceFacts, StateGridFacts, SubsidyRecord, TaxFacts, TaxPeriod,
)
from app.domain.money import Money
from app.domain.portfolio_import import Column, Kind, RowChecker, RowError
from app.domain.spreadsheet import NumberCell

ID_COLUMN, NAME_COLUMN = "身份证号码", "姓名"
_PERSON = (
    Column(ID_COLUMN, True, "18 位，末位可为 X；须是本行已有客户。请设为文本格式", ("141023198005171016",), text=True),
    Column(NAME_COLUMN, True, "须与本行客户的姓名一致", ("王建国",)),
)
_MONTH = re.compile(r"(\d{4})-(0[1-9]|1[0-2])")
_QUARTER = re.compile(r"\d{4}Q[1-4]")
SOCIAL_KINDS = ("养老", "医疗", "失业", "工伤", "生育")
SOCIAL_STATUSES = ("正常参保", "暂停缴费", "终止")
POLICY_STATUSES = ("有效", "失效", "退保")
GRID_KINDS = ("居民", "经营")
_YES = {"是": True, "否": False, "按时": True, "逾期": False}

KINDS: dict[ExternalSource, Kind] = {
    ExternalSource.HOUSING_FUND: Kind("housing_fund", "公积金", ID_COLUMN, _PERSON + (
        Column("缴存单位", True, "缴存单位全称", ("襄汾县供电公司",)),
        Column("缴存基数", True, "元，最多两位小数", ("6000",)),
        Column("月缴存额", True, "元（单位 + 个人）", ("1440",)),
        Column("连续缴存月数", True, "截至最近缴存月份连续缴存的月数，整数", ("36",)),
        Column("最近缴存月份", True, "YYYY-MM", ("2026-10",)),
        Column("欠缴月数", True, "整数，没有欠缴填 0", ("0",)),
        Column("欠缴金额", True, "元，没有欠缴填 0", ("0",)),
    )),
    ExternalSource.SOCIAL_INSURANCE: Kind("social_insurance", "社保", ID_COLUMN, _PERSON + (
        Column("险种", True, "养老 / 医疗 / 失业 / 工伤 / 生育；每人每险种一行", ("养老",)),
        Column("参保状态", True, "正常参保 / 暂停缴费 / 终止", ("正常参保",)),
        Column("缴费月数", True, "累计缴费月数，整数", ("120",)),
        Column("最近缴费月份", True, "YYYY-MM", ("2026-10",)),
    )),
    ExternalSource.TAX: Kind("tax", "税务", ID_COLUMN, _PERSON + (
        Column("个体工商户名称", True, "同一人各行须一致", ("襄汾县建国农资店",)),
        Column("所属期", True, "季度，如 2026Q3；每人每季度一行", ("2026Q3",)),
        Column("申报收入", True, "元", ("86000",)),
        Column("已缴税额", True, "元", ("1200",)),
        Column("欠税金额", True, "元，截至文件日期的欠税，同一人各行须一致；没有欠税填 0", ("0",)),
    )),
    ExternalSource.GRAIN_SUBSIDY: Kind("grain_subsidy", "粮补", ID_COLUMN, _PERSON + (
        Column("年度", True, "如 2026", ("2026",)),
        Column("补贴类型", True, "如 耕地地力保护补贴、种粮农民一次性补贴、玉米生产者补贴", ("耕地地力保护补贴",)),
        Column("面积（亩）", True, "亩，最多两位小数", ("12.5",)),
        Column("补贴金额", True, "元", ("1187.50",)),
    )),
    ExternalSource.INSURANCE: Kind("insurance", "保单", ID_COLUMN, _PERSON + (
        Column("保险公司", True, "", ("中国人寿",)),
        Column("产品", True, "", ("国寿福终身寿险",)),
        Column("年缴保费", True, "元", ("5000",)),
        Column("现金价值", True, "元", ("21000",)),
        Column("保单状态", True, "有效 / 失效 / 退保；每张保单一行", ("有效",)),
    )),
    ExternalSource.STATE_GRID: Kind("state_grid", "国网", ID_COLUMN, _PERSON + (
        Column("户号", True, "电力户号，同一人各行须一致", ("1400123456",), text=True),
        Column("用电类别", True, "居民 / 经营，同一人各行须一致", ("居民",)),
        Column("月份", True, "YYYY-MM；每人每月一行", ("2026-10",)),
        Column("用电量（千瓦时）", True, "整数", ("320",)),
        Column("电费", True, "元", ("166.40",)),
        Column("是否按时缴费", True, "是 / 否", ("是",)),
        Column("欠费金额", True, "元，截至文件日期的欠费，同一人各行须一致；没有欠费填 0", ("0",)),
    )),
}


def kind_of(source: str) -> tuple[ExternalSource, Kind]:
    """The source named on the command line (`housing_fund` or `公积金`)."""
    text = (source or "").strip()
    for s, kind in KINDS.items():
        if text in (s.value, s.label):
            return s, kind
    raise ValidationError(f"外部数据来源应为：{'、'.join(f'{s.value}（{s.label}）' for s in KINDS)}", field="source")


@dataclass(frozen=True, slots=True)
class Row:
    """One checked row: whose it is and its part of the facts."""

    line: int
    id_number: str
    name: str
    part: dict[str, Any]


def _count(c: RowChecker, column: str, text: str) -> int | None:
    if not re.fullmatch(r"\d{1,4}", text or ""):
        c.add(column, "应为不小于 0 的整数")
        return None
    return int(text)


def _fen(c: RowChecker, column: str, text: str) -> int | None:
    if not text:
        c.add(column, "请填写金额")
        return None
    try:
        fen = Money.from_yuan(text).fen
    except ValidationError as exc:
        c.add(column, exc.message)
        return None
    if fen < 0:
        c.add(column, "金额不能为负数")
        return None
    return fen


def _month(c: RowChecker, column: str, text: str) -> str | None:
    if not _MONTH.fullmatch(text or ""):
        c.add(column, "月份应为 YYYY-MM，如 2026-10")
        return None
    return text


def _choice(c: RowChecker, column: str, text: str, choices: Sequence[str]) -> str | None:
    if text not in choices:
        c.add(column, f"应为：{' / '.join(choices)}")
        return None
    return text


def _text(c: RowChecker, column: str, text: str, most: int = 64) -> str | None:
    if not text:
        c.add(column, "请填写")
        return None
    if len(text) > most:
        c.add(column, f"最多 {most} 个字")
        return None
    return text


def _area(c: RowChecker, column: str, text: str) -> Decimal | None:
    try:
        area = Decimal(text)
    except (InvalidOperation, ValueError):
        c.add(column, "面积应为数字（亩），如 12.5")
        return None
    if not area.is_finite() or area <= 0 or area.as_tuple().exponent < -2:
        c.add(column, "面积应大于 0，最多两位小数")
        return None
    return area


def _part(source: ExternalSource, c: RowChecker, cells: dict[str, str]) -> dict[str, Any]:
    g = cells.get
    if source == ExternalSource.HOUSING_FUND:
        return {"employer": _text(c, "缴存单位", g("缴存单位", ""), 128), "monthly_base_fen": _fen(c, "缴存基数", g("缴存基数", "")),
                "monthly_contribution_fen": _fen(c, "月缴存额", g("月缴存额", "")), "months_paid": _count(c, "连续缴存月数", g("连续缴存月数", "")),
                "last_paid_month": _month(c, "最近缴存月份", g("最近缴存月份", "")), "arrears_months": _count(c, "欠缴月数", g("欠缴月数", "")),
                "arrears_fen": _fen(c, "欠缴金额", g("欠缴金额", ""))}
    if source == ExternalSource.SOCIAL_INSURANCE:
        return {"kind": _choice(c, "险种", g("险种", ""), SOCIAL_KINDS), "status": _choice(c, "参保状态", g("参保状态", ""), SOCIAL_STATUSES),
                "contribution_months": _count(c, "缴费月数", g("缴费月数", "")), "last_paid_month": _month(c, "最近缴费月份", g("最近缴费月份", ""))}
    if source == ExternalSource.TAX:
        period = g("所属期", "").upper()
        if not _QUARTER.fullmatch(period):
            c.add("所属期", "所属期应为季度，如 2026Q3")
        return {"business_name": _text(c, "个体工商户名称", g("个体工商户名称", ""), 128), "period": period,
                "declared_revenue_fen": _fen(c, "申报收入", g("申报收入", "")), "tax_paid_fen": _fen(c, "已缴税额", g("已缴税额", "")),
                "arrears_fen": _fen(c, "欠税金额", g("欠税金额", ""))}
    if source == ExternalSource.GRAIN_SUBSIDY:
        year = g("年度", "")
        if not re.fullmatch(r"(19|20)\d{2}", year):
            c.add("年度", "年度应为四位数字，如 2026")
        return {"year": int(year) if year.isdigit() else None, "kind": _text(c, "补贴类型", g("补贴类型", ""), 32),
                "area_mu": _area(c, "面积（亩）", g("面积（亩）", "")), "amount_fen": _fen(c, "补贴金额", g("补贴金额", ""))}
    if source == ExternalSource.INSURANCE:
        return {"insurer": _text(c, "保险公司", g("保险公司", "")), "product": _text(c, "产品", g("产品", "")),
                "annual_premium_fen": _fen(c, "年缴保费", g("年缴保费", "")), "cash_value_fen": _fen(c, "现金价值", g("现金价值", "")),
                "status": _choice(c, "保单状态", g("保单状态", ""), POLICY_STATUSES)}
    paid = _YES.get(g("是否按时缴费", ""))
    if paid is None:
        c.add("是否按时缴费", "应为：是 / 否")
    account = g("户号", "")
    if not re.fullmatch(r"[0-9A-Za-z\-]{4,32}", account):
        c.add("户号", "户号应为 4–32 位字母或数字")
    return {"account_number": account, "account_kind": _choice(c, "用电类别", g("用电类别", ""), GRID_KINDS),
            "month": _month(c, "月份", g("月份", "")), "consumption_kwh": _big_count(c, "用电量（千瓦时）", g("用电量（千瓦时）", "")),
            "billed_fen": _fen(c, "电费", g("电费", "")), "paid_on_time": paid, "arrears_fen": _fen(c, "欠费金额", g("欠费金额", ""))}


def _big_count(c: RowChecker, column: str, text: str) -> int | None:
    text = text.replace(",", "")
    if not re.fullmatch(r"\d{1,9}", text):
        c.add(column, "应为不小于 0 的整数")
        return None
    return int(text)


def check_row(source: ExternalSource, line: int, cells: dict[str, str], raw_id: object) -> tuple[Row | None, list[RowError]]:
    """The row's person and part of the facts, or its errors (column by column, in Chinese)."""
    c = RowChecker(line)
    number = None
    if isinstance(raw_id, NumberCell):
        c.add(ID_COLUMN, "身份证号码是数字格式的单元格，可能已丢失末几位；请把“身份证号码”列设置为“文本”格式后重新填写")
    elif not cells.get(ID_COLUMN):
        c.add(ID_COLUMN, "请填写身份证号码")
    else:
        try:
            number = idcard.parse(cells[ID_COLUMN]).number
        except ValueError as exc:
            c.add(ID_COLUMN, str(exc))
    name = cells.get(NAME_COLUMN, "")
    c.add(NAME_COLUMN, check_name(name))
    part = _part(ExternalSource(source), c, cells)
    if c.errors or number is None:
        return None, c.errors
    return Row(line=line, id_number=number, name=name, part=part), []


# --- one person's rows → the facts ------------------------------------------------------------------


def _same(rows: Sequence[Row], field: str, column: str) -> list[RowError]:
    first = rows[0].part[field]
    return [RowError(r.line, column, f"与第 {rows[0].line} 行不一致（同一人的各行应相同）") for r in rows[1:] if r.part[field] != first]


def _unique(rows: Sequence[Row], key, column: str, what: str) -> list[RowError]:
    seen: dict[Any, int] = {}
    errors = []
    for r in rows:
        k = key(r.part)
        if k in seen:
            errors.append(RowError(r.line, column, f"与第 {seen[k]} 行是同一{what}，每{what}只能有一行"))
        else:
            seen[k] = r.line
    return errors


def combine(source: ExternalSource, rows: Sequence[Row]) -> tuple[Any, list[RowError]]:
    """The facts of one person from their rows (in file order), or the rows' disagreements."""
    source = ExternalSource(source)
    p = [r.part for r in rows]
    if source == ExternalSource.HOUSING_FUND:
        if len(rows) > 1:
            return None, [RowError(r.line, ID_COLUMN, f"与第 {rows[0].line} 行是同一人，公积金每人只能有一行") for r in rows[1:]]
        return HousingFundFacts(**p[0]), []
    if source == ExternalSource.SOCIAL_INSURANCE:
        errors = _unique(rows, lambda x: x["kind"], "险种", "险种")
        return (None, errors) if errors else (SocialInsuranceFacts(kinds=tuple(InsuranceKindRecord(**x) for x in p)), [])
    if source == ExternalSource.TAX:
        errors = _same(rows, "business_name", "个体工商户名称") + _same(rows, "arrears_fen", "欠税金额") + _unique(rows, lambda x: x["period"], "所属期", "所属期")
        if errors:
            return None, errors
        periods = sorted((TaxPeriod(period=x["period"], declared_revenue_fen=x["declared_revenue_fen"], tax_paid_fen=x["tax_paid_fen"]) for x in p),
                         key=lambda t: t.period, reverse=True)
        return TaxFacts(business_name=p[0]["business_name"], periods=tuple(periods), arrears_fen=p[0]["arrears_fen"]), []
    if source == ExternalSource.GRAIN_SUBSIDY:
        errors = _unique(rows, lambda x: (x["year"], x["kind"]), "补贴类型", "年度的同一补贴")
        records = sorted((SubsidyRecord(**x) for x in p), key=lambda s: (-s.year, s.kind))
        return (None, errors) if errors else (GrainSubsidyFacts(records=tuple(records)), [])
    if source == ExternalSource.INSURANCE:
        return InsuranceFacts(policies=tuple(InsurancePolicy(**x) for x in p)), []
    errors = (_same(rows, "account_number", "户号") + _same(rows, "account_kind", "用电类别") + _same(rows, "arrears_fen", "欠费金额")
              + _unique(rows, lambda x: x["month"], "月份", "月份"))
    if errors:
        return None, errors
    months = sorted((ElectricityMonth(month=x["month"], consumption_kwh=x["consumption_kwh"], billed_fen=x["billed_fen"], paid_on_time=x["paid_on_time"])
                     for x in p), key=lambda m: m.month)
    return StateGridFacts(account_number=p[0]["account_number"], account_kind=p[0]["account_kind"], months=tuple(months),
                          arrears_fen=p[0]["arrears_fen"]), []
