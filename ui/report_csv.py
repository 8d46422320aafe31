"""CSV downloads of the reports: the same service functions as GraphQL and the dashboard.

UTF-8 with a byte-order mark (Excel opens it as UTF-8), Chinese headers, money as yuan with
exactly two decimals ("1200.00"), percentages with four, dates and periods ISO ("2026-11-27",
"2026-11"). The data file holds data rows only: the 合计 (totals) row is its own file (`?part=totals`,
same header) and the row counts and a cut at the export limit travel in response headers
(`X-Total-Rows`, `X-Exported-Rows`, `X-Truncated`, `X-Export-Limit`), never inside the data.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from decimal import Decimal

from app.domain.classification import LoanClass
from app.domain.errors import Forbidden
from app.domain.money import ratio_percent_str, yuan_str
from app.domain.spreadsheet import safe_row
from app.domain.tags import TAG_LABELS
from app.domain.vocabulary import ROLE_LABELS
from app.services import insight
from app.services import reporting as svc
from app.services.actor import Actor
from app.services.lending.write_off import WriteOffReport, write_off_report

BOM = "\ufeff"
TOTAL = "合计"


def _m(fen: int) -> str:
    return yuan_str(fen)


def _percent(ratio: Decimal | None) -> str:
    return "" if ratio is None else ratio_percent_str(ratio)  # no ratio (no non-performing loans): an empty cell


def _portfolio(f: svc.PortfolioFigures) -> list[str]:
    classes = [_m(f.by_class[c]) for c in LoanClass]
    return [str(f.loans), _m(f.outstanding_fen), _m(f.overdue_principal_fen), _m(f.overdue_interest_fen), *classes, _m(f.npl_fen), format(f.npl_percent, "f"),
            str(f.renewed), _m(f.renewed_outstanding_fen), str(f.extended), _m(f.extended_outstanding_fen)]


def _allowance(r: WriteOffReport) -> list[str]:
    classes = [_m(r.balances[c]) for c in LoanClass]
    return [_m(r.total_fen), *classes, _m(r.npl_fen), _m(r.allowance_fen), _percent(r.coverage_ratio), _percent(r.npl_ratio), _percent(r.npl_ratio_before),
            str(r.written_off_count), _m(r.written_off_principal_fen), _m(r.written_off_interest_fen), _m(r.recovered_principal_fen),
            _m(r.recovered_interest_fen), _m(r.stock_principal_fen), _m(r.stock_interest_fen)]


def _coverage(f: svc.CoverageFigures) -> list[str]:
    ratio = f"{f.granted_ratio_ppm // 10_000}.{f.granted_ratio_ppm % 10_000:04d}"
    return [str(f.households), str(f.appraised), str(f.pre_credited), str(f.granted_households), ratio, str(f.lines), _m(f.line_limit_fen),
            str(f.drawn_households), str(f.loans), _m(f.outstanding_fen)]


def _officer(f: svc.OfficerFigures) -> list[str]:
    return [str(f.villages), str(f.lines), _m(f.line_limit_fen), str(f.loans), _m(f.outstanding_fen), str(f.overdue_loans), _m(f.overdue_principal_fen),
            _m(f.npl_fen)]


def _risk(f: svc.RiskFigures) -> list[str]:
    return [str(v) for v in (f.warnings_open, f.warnings_handled, f.warnings_dismissed, f.warnings_high_open, f.tasks_open, f.tasks_closed, f.actions)]


def _contribution(f: insight.ContributionFigures) -> list[str]:
    return [str(f.loans), str(f.active_loans), _m(f.outstanding_fen), _m(f.overdue_principal_fen), _m(f.interest_earned_fen), _m(f.interest_collected_fen),
            _m(f.interest_accrued_fen)]


@dataclass(frozen=True, slots=True)
class Params:
    group_by: svc.GroupBy
    interval: svc.Interval
    filt: svc.ReportFilter


@dataclass(frozen=True, slots=True)
class Table:
    header: list[str]
    rows: list[list[str]]  # data only
    totals: list[str]  # the 合计 row (over every row, not only the exported ones)
    total_rows: int  # rows of the whole report
    truncated: bool  # the export limit cut it short


@dataclass(frozen=True, slots=True)
class CsvFile:
    text: str  # with the BOM
    headers: dict[str, str]  # X-Total-Rows, X-Exported-Rows, X-Truncated, X-Export-Limit


async def _portfolio_table(actor: Actor, p: Params) -> Table:
    r = await svc.portfolio_summary(actor=actor, group_by=p.group_by, filt=p.filt, page=svc.EXPORT)
    header = [f"{svc.GROUP_LABELS[p.group_by]}代码", f"{svc.GROUP_LABELS[p.group_by]}名称", "借据笔数", "贷款余额", "逾期本金", "逾期利息",
              "正常", "关注", "次级", "可疑", "损失", "不良贷款余额", "不良贷款率(%)", "无还本续贷笔数", "无还本续贷余额", "展期笔数", "展期余额"]
    rows = [[g.code, g.name, *_portfolio(g.figures)] for g in r.groups.rows]
    return Table(header, rows, ["", TOTAL, *_portfolio(r.total)], r.groups.total_count, r.groups.has_next)


async def _disbursement_table(actor: Actor, p: Params) -> Table:
    s = await svc.disbursement_series(actor=actor, interval=p.interval, filt=p.filt, page=svc.EXPORT)
    rows = [[x.period, str(x.count), _m(x.amount_fen)] for x in s.points.rows]
    return Table(["期间", "放款笔数", "放款金额"], rows, [TOTAL, str(s.total.count), _m(s.total.amount_fen)], s.points.total_count, s.points.has_next)


async def _repayment_table(actor: Actor, p: Params) -> Table:
    s = await svc.repayment_series(actor=actor, interval=p.interval, filt=p.filt, page=svc.EXPORT)

    def cells(x: svc.RepaymentPoint) -> list[str]:
        return [str(x.count), _m(x.total_fen), _m(x.principal_fen), _m(x.interest_fen), _m(x.penalty_fen)]

    rows = [[x.period, *cells(x)] for x in s.points.rows]
    return Table(["期间", "还款笔数", "回收合计", "本金", "利息", "罚息复利"], rows, [TOTAL, *cells(s.total)], s.points.total_count, s.points.has_next)


async def _coverage_table(actor: Actor, p: Params) -> Table:
    r = await svc.village_coverage(actor=actor, filt=p.filt, page=svc.EXPORT)
    header = ["区划代码", "村庄", "机构", "客户经理", "户数", "已评议户数", "预授信户数", "已授信户数", "授信覆盖率(%)", "有效额度数", "授信额度",
              "已用信户数", "借据笔数", "贷款余额"]
    rows = [[v.division_code, v.name, v.branch_name, v.officer_name, *_coverage(v.figures)] for v in r.villages.rows]
    return Table(header, rows, ["", TOTAL, "", "", *_coverage(r.total)], r.villages.total_count, r.villages.has_next)


async def _officer_table(actor: Actor, p: Params) -> Table:
    r = await svc.officer_performance(actor=actor, filt=p.filt, page=svc.EXPORT)
    header = ["用户名", "姓名", "角色", "机构", "村庄数", "授信笔数", "授信额度", "借据笔数", "贷款余额", "逾期借据", "逾期本金", "不良贷款余额"]
    rows = [[o.username, o.display_name, ROLE_LABELS[o.role], o.branch_name, *_officer(o.figures)] for o in r.officers.rows]
    return Table(header, rows, ["", TOTAL, "", "", *_officer(r.total)], r.officers.total_count, r.officers.has_next)


async def _risk_table(actor: Actor, p: Params) -> Table:
    r = await svc.risk_summary(actor=actor, group_by=p.group_by, filt=p.filt, page=svc.EXPORT)
    header = [f"{svc.GROUP_LABELS[p.group_by]}代码", f"{svc.GROUP_LABELS[p.group_by]}名称", "待处理预警", "已处理预警", "已排除预警", "待处理高级别预警",
              "催收中任务", "已结束任务", "催收记录数"]
    rows = [[g.code, g.name, *_risk(g.figures)] for g in r.groups.rows]
    return Table(header, rows, ["", TOTAL, *_risk(r.total)], r.groups.total_count, r.groups.has_next)


async def _contribution_table(actor: Actor, p: Params) -> Table:
    r = await insight.customer_contributions(actor=actor, filt=p.filt, page=svc.EXPORT)
    header = ["客户", "证件号码", "机构", "村庄", "标签", "借据笔数", "未结清借据", "贷款余额", "逾期本金", "利息收入", "利息回收", "应计未到期利息"]
    rows = [[c.name, c.id_number_masked, c.branch_name, c.village_name, "、".join(TAG_LABELS[t] for t in c.tags), *_contribution(c.figures)]
            for c in r.customers.rows]
    return Table(header, rows, [TOTAL, "", "", "", "", *_contribution(r.total)], r.customers.total_count, r.customers.has_next)


async def _allowance_table(actor: Actor, p: Params) -> Table:
    """拨备与核销: whole-bank figures of the viewer's bank, for its head office (no row for anyone else); filters do not apply."""
    if not actor.is_officer:
        raise Forbidden("拨备与核销是法人行全行口径的账务数据，只供本行总行人员查看，报表密钥不能下载；报表工具请用贷款组合与明细表")
    r = await write_off_report(actor=actor)
    header = ["法人行", "贷款余额", "正常", "关注", "次级", "可疑", "损失", "不良贷款余额", "贷款损失准备", "拨备覆盖率(%)", "不良贷款率(%)",
              "不良贷款率(若未核销)(%)", "已核销笔数", "核销本金", "核销利息", "已收回本金", "已收回利息", "账销案存本金", "账销案存利息"]
    if r is None:
        return Table(header, [], [TOTAL, *[""] * (len(header) - 1)], 0, False)
    return Table(header, [[r.bank_name, *_allowance(r)]], [TOTAL, *_allowance(r)], 1, False)


REPORTS: dict[str, tuple[str, Callable[[Actor, Params], Awaitable[Table]]]] = {
    "portfolio": ("贷款组合", _portfolio_table),
    "disbursements": ("放款序列", _disbursement_table),
    "repayments": ("回收序列", _repayment_table),
    "village-coverage": ("整村授信覆盖", _coverage_table),
    "officer-performance": ("客户经理业绩", _officer_table),
    "risk": ("预警与催收", _risk_table),
    "customer-contributions": ("客户贡献度", _contribution_table),
    "allowance": ("拨备与核销", _allowance_table),
}


PARTS = ("data", "totals")


async def render_csv(name: str, actor: Actor, params: Params, part: str = "data") -> CsvFile:
    """The report's data rows (or, `part="totals"`, its 合计 row) as CSV text with the BOM; counts in the headers."""
    table = await REPORTS[name][1](actor, params)
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(safe_row(table.header))
    rows = [table.totals] if part == "totals" else table.rows
    writer.writerows(safe_row(row) for row in rows)  # no cell runs as a formula (app/domain/spreadsheet.py)
    headers = {"X-Total-Rows": str(table.total_rows), "X-Exported-Rows": str(len(table.rows)), "X-Truncated": "true" if table.truncated else "false",
               "X-Export-Limit": str(svc.EXPORT_MAX)}
    return CsvFile(out.getvalue(), headers)
