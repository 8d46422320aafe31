"""Reporting types: portfolio, series, coverage, officer performance, warning/collection counts.

Money is the strict `Decimal` string scalar ("1200.00"); the NPL and coverage ratios
are percent strings named …Percent ("8.3333" = 8.3333 %). Group keys are global ids (Bank, Branch, Village,
Officer, Product) that the `filter` argument takes back.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from uuid import UUID

import strawberry
from strawberry.relay import GlobalID

from app.api.enums import Role, domain_enum
from app.api.pagination import Connection, Edge, check_first, encode_cursor, page_bounds, page_info
from app.api.scalars import DecimalString
from app.domain import cursor, vocabulary
from app.domain.appraisal import GRADE_LABELS, Grade
from app.domain.classification import LoanClass
from app.domain.money import ratio_percent_str, yuan_str
from app.services import reporting as svc
from app.services.lending.write_off import WriteOffReport

GROUP_TYPES = {svc.GroupBy.BANK: "Bank", svc.GroupBy.BRANCH: "Branch", svc.GroupBy.VILLAGE: "Village", svc.GroupBy.OFFICER: "Officer", svc.GroupBy.PRODUCT: "Product"}


def gid(type_name: str, value: UUID | None) -> strawberry.ID | None:
    return strawberry.ID(str(GlobalID(type_name, str(value)))) if value is not None else None


def money(fen: int) -> DecimalString:
    return DecimalString(yuan_str(fen))


def report_page(first: int, after: str | None, keyset: svc.Keyset | None = None) -> svc.Page:
    """The service's page for a report list's `first` / `after`: after a row's sort key on lists that can be long
    (`keyset`: villages, officers, customers), after a position on the short ones (groups, periods)."""
    if keyset is None:
        offset, limit = page_bounds(first, after)
        return svc.Page(offset, limit)
    check_first(first)
    if not after:
        return svc.Page(0, first)
    key = keyset.parse(cursor.decode(after, keyset.name, len(keyset.columns)))
    if key is None:
        raise cursor.invalid()
    return svc.Page(0, first, after=key)


def connection(rows: svc.Rows, nodes: list, keyset: svc.Keyset | None = None) -> Connection:
    """A report list's page as a Relay connection: each cursor holds the row's sort key (keyset) or its position."""
    if keyset is not None:
        cursors = [cursor.encode(keyset.name, *key) for key in rows.keys or []]
    else:
        cursors = [encode_cursor(rows.offset + i) for i in range(len(nodes))]
    edges = [Edge(cursor=c, node=n) for c, n in zip(cursors, nodes, strict=True)]
    return Connection(edges=edges, page_info=page_info(edges, has_next=rows.has_next, has_previous=rows.has_previous), total_count=rows.total_count)


ReportGroupBy = domain_enum(svc.GroupBy, name="ReportGroupBy", description="报表分组维度", labels=svc.GROUP_LABELS)

ReportInterval = domain_enum(svc.Interval, name="ReportInterval", description="序列粒度：按日或按月", labels=svc.INTERVAL_LABELS)

# closed sets of the flat tables and the positions (the other ones they use are shared: app/api/enums.py)
GuaranteeMethod = domain_enum(vocabulary.GuaranteeMethod, name="GuaranteeMethod", description="担保方式（监管报送口径，取自产品）")
ProductKind = domain_enum(vocabulary.ProductKind, name="ProductKind", description="产品类别")
BranchLevel = domain_enum(vocabulary.BranchLevel, name="BranchLevel", description="机构层级")
AppraisalGrade = domain_enum(Grade, name="AppraisalGrade", description="整村评议给出的评议等级", labels=GRADE_LABELS)
CollectionSource = domain_enum(vocabulary.CollectionSource, name="CollectionSource", description="催收任务的来源")


@strawberry.input(description="报表筛选（均可省略）；机构含下级机构；日期含首尾，含义见各报表说明。超出权限范围的筛选得到空结果并记入审计")
class ReportFilter:
    bank_id: strawberry.ID | None = strawberry.field(default=None, description="法人行（banks 查询的 id 或按法人行分组的键；平台人员按行查看，本行以外的法人行得到空结果）")
    branch_id: strawberry.ID | None = strawberry.field(default=None, description="机构的全局 ID（Branch.id），含其下级机构")
    village_id: strawberry.ID | None = strawberry.field(default=None, description="村庄的全局 ID")
    officer_id: strawberry.ID | None = strawberry.field(default=None, description="客户经理的全局 ID（Officer.id）")
    product_id: strawberry.ID | None = strawberry.field(default=None, description="产品的全局 ID（Product.id）")
    date_from: date | None = strawberry.field(default=None, description="起始日期（含）（业务日期，Asia/Shanghai），含义见各报表说明")
    date_to: date | None = strawberry.field(default=None, description="截止日期（含）（业务日期，Asia/Shanghai）")


@strawberry.type(description="五级分类贷款余额")
class ClassBalances:
    normal: DecimalString = strawberry.field(description="正常类贷款余额（本金）（元，两位小数的字符串，如 \"1200.00\"）")
    special_mention: DecimalString = strawberry.field(description="关注类贷款余额（元，两位小数的字符串，如 \"1200.00\"）")
    substandard: DecimalString = strawberry.field(description="次级类贷款余额（元，两位小数的字符串，如 \"1200.00\"）")
    doubtful: DecimalString = strawberry.field(description="可疑类贷款余额（元，两位小数的字符串，如 \"1200.00\"）")
    loss: DecimalString = strawberry.field(description="损失类贷款余额（元，两位小数的字符串，如 \"1200.00\"）")


@strawberry.type(description="贷款组合指标（仅正常还款中的借据）")
class PortfolioFigures:
    loan_count: int = strawberry.field(description="借据笔数")
    outstanding: DecimalString = strawberry.field(description="贷款余额（本金）")
    overdue_principal: DecimalString = strawberry.field(description="逾期本金（元，两位小数的字符串，如 \"1200.00\"）")
    overdue_interest: DecimalString = strawberry.field(description="逾期利息（元，两位小数的字符串，如 \"1200.00\"）")
    classes: ClassBalances = strawberry.field(description="按五级分类的贷款余额")
    npl_balance: DecimalString = strawberry.field(description="不良贷款余额（次级 + 可疑 + 损失）")
    npl_percent: DecimalString = strawberry.field(description="不良贷款率，百分数，4 位小数的字符串（\"8.3333\" 即 8.3333%）")
    renewed_loan_count: int = strawberry.field(description="其中无还本续贷（借新还旧）形成的借据笔数")
    renewed_outstanding: DecimalString = strawberry.field(description="其中无还本续贷借据的贷款余额（本金）")
    extended_loan_count: int = strawberry.field(description="其中经审批展期的借据笔数")
    extended_outstanding: DecimalString = strawberry.field(description="其中展期借据的贷款余额（本金）")

    @classmethod
    def build(cls, f: svc.PortfolioFigures) -> PortfolioFigures:
        c = f.by_class
        return cls(
            loan_count=f.loans, outstanding=money(f.outstanding_fen), overdue_principal=money(f.overdue_principal_fen),
            overdue_interest=money(f.overdue_interest_fen),
            classes=ClassBalances(
                normal=money(c[LoanClass.NORMAL]), special_mention=money(c[LoanClass.SPECIAL_MENTION]), substandard=money(c[LoanClass.SUBSTANDARD]),
                doubtful=money(c[LoanClass.DOUBTFUL]), loss=money(c[LoanClass.LOSS]),
            ),
            npl_balance=money(f.npl_fen), npl_percent=DecimalString(format(f.npl_percent, "f")),
            renewed_loan_count=f.renewed, renewed_outstanding=money(f.renewed_outstanding_fen),
            extended_loan_count=f.extended, extended_outstanding=money(f.extended_outstanding_fen),
        )


@strawberry.type(description="报表中的一组（机构、村庄、客户经理或产品）")
class PortfolioGroup:
    key: strawberry.ID | None = strawberry.field(description="该组对象的全局 ID；无归属时为 null")
    code: str = strawberry.field(description="分组对象的编码：法人行机构代码、机构编码、村庄行政区划代码、客户经理用户名或产品代码；无归属的组为空字符串")
    name: str = strawberry.field(description="分组对象的名称；无归属的组为（无机构）等说明")
    figures: PortfolioFigures = strawberry.field(description="该组的指标")


@strawberry.type(description="贷款组合汇总")
class PortfolioSummary:
    group_by: ReportGroupBy = strawberry.field(description="分组维度")
    groups: Connection[PortfolioGroup] = strawberry.field(
        description="分组（Relay 连接，由 portfolioSummary 的 first / after 翻页），按编码排序（无归属的组在最后）；游标记分组的位置（分组数有限）"
    )
    total: PortfolioFigures = strawberry.field(description="全部分组合计（不限本页）")

    @classmethod
    def build(cls, r: svc.PortfolioReport) -> PortfolioSummary:
        kind = GROUP_TYPES[r.group_by]
        groups = [PortfolioGroup(key=gid(kind, g.key), code=g.code, name=g.name, figures=PortfolioFigures.build(g.figures)) for g in r.groups.rows]
        return cls(group_by=ReportGroupBy(r.group_by.value), groups=connection(r.groups, groups), total=PortfolioFigures.build(r.total))


@strawberry.type(description="放款序列中的一期")
class DisbursementPoint:
    period: str = strawberry.field(description="\"2026-11\"（按月）或 \"2026-11-27\"（按日）；合计行为空串")
    count: int = strawberry.field(description="放款笔数")
    amount: DecimalString = strawberry.field(description="放款金额（本金）（元，两位小数的字符串，如 \"1200.00\"）")

    @classmethod
    def build(cls, p: svc.DisbursementPoint) -> DisbursementPoint:
        return cls(period=p.period, count=p.count, amount=money(p.amount_fen))


@strawberry.type(description="放款序列（按会计日期）")
class DisbursementSeries:
    interval: ReportInterval = strawberry.field(description="粒度")
    points: Connection[DisbursementPoint] = strawberry.field(
        description="各期（Relay 连接，由 disbursementSeries 的 first / after 翻页），按时间先后；没有放款的期不列出；游标记期的位置（期数有限）"
    )
    total: DisbursementPoint = strawberry.field(description="全部各期合计（period 为空串）")


@strawberry.type(description="回收序列中的一期")
class RepaymentPoint:
    period: str = strawberry.field(description="\"2026-11\"（按月）或 \"2026-11-27\"（按日）；合计行为空串")
    count: int = strawberry.field(description="还款笔数（每笔借据的一次还款；冲正记负）")
    total: DecimalString = strawberry.field(description="回收合计（本金 + 利息 + 罚息复利）（元，两位小数的字符串，如 \"1200.00\"）")
    principal: DecimalString = strawberry.field(description="回收本金（元，两位小数的字符串，如 \"1200.00\"）")
    interest: DecimalString = strawberry.field(description="回收利息（元，两位小数的字符串，如 \"1200.00\"）")
    penalty: DecimalString = strawberry.field(description="罚息与复利")

    @classmethod
    def build(cls, p: svc.RepaymentPoint) -> RepaymentPoint:
        return cls(period=p.period, count=p.count, total=money(p.total_fen), principal=money(p.principal_fen), interest=money(p.interest_fen),
                   penalty=money(p.penalty_fen))


@strawberry.type(description="回收序列（主动还款、日终扣款、提前还款，按会计日期）")
class RepaymentSeries:
    interval: ReportInterval = strawberry.field(description="粒度")
    points: Connection[RepaymentPoint] = strawberry.field(
        description="各期（Relay 连接，由 repaymentSeries 的 first / after 翻页），按时间先后；没有回收的期不列出；游标记期的位置（期数有限）"
    )
    total: RepaymentPoint = strawberry.field(description="全部各期合计（period 为空串）")


def series(s: svc.Series, point_type, series_type):
    return series_type(interval=ReportInterval(s.interval.value), points=connection(s.points, [point_type.build(p) for p in s.points.rows]),
                       total=point_type.build(s.total))


@strawberry.type(description="整村授信覆盖指标")
class CoverageFigures:
    households: int = strawberry.field(description="户数（普查登记）")
    appraised: int = strawberry.field(description="已评议户数")
    pre_credited: int = strawberry.field(description="审定预授信户数（额度大于 0）")
    granted_households: int = strawberry.field(description="已授信户数（户内成员持有有效额度）")
    granted_percent: DecimalString = strawberry.field(description="授信覆盖率，百分数，4 位小数的字符串（已授信户数 / 户数；\"62.5000\" 即 62.5%）")
    lines: int = strawberry.field(description="有效授信笔数")
    line_limit: DecimalString = strawberry.field(description="有效授信额度合计（元，两位小数的字符串，如 \"1200.00\"）")
    drawn_households: int = strawberry.field(description="已用信户数（户内成员有未结清借据）")
    loans: int = strawberry.field(description="未结清借据笔数")
    outstanding: DecimalString = strawberry.field(description="贷款余额（本金）（元，两位小数的字符串，如 \"1200.00\"）")

    @classmethod
    def build(cls, f: svc.CoverageFigures) -> CoverageFigures:
        return cls(
            households=f.households, appraised=f.appraised, pre_credited=f.pre_credited, granted_households=f.granted_households,
            granted_percent=DecimalString(format(Decimal(f.granted_ratio_ppm).scaleb(-4), "f")),
            lines=f.lines, line_limit=money(f.line_limit_fen), drawn_households=f.drawn_households, loans=f.loans, outstanding=money(f.outstanding_fen),
        )


@strawberry.type(description="一个村的整村授信覆盖情况")
class VillageCoverage:
    village_id: strawberry.ID = strawberry.field(description="村庄的全局 ID")
    division_code: str = strawberry.field(description="12 位行政区划代码")
    name: str = strawberry.field(description="村名")
    branch_name: str = strawberry.field(description="所属机构名称")
    officer_name: str = strawberry.field(description="负责的客户经理姓名；未指定时为空字符串")
    figures: CoverageFigures = strawberry.field(description="该村的指标")


@strawberry.type(description="整村授信覆盖报表")
class VillageCoverageReport:
    villages: Connection[VillageCoverage] = strawberry.field(
        description="各村（Relay 连接，由 villageCoverage 的 first / after 翻页），按行政区划代码排序；游标记该村的排序键（键集分页：翻页间数据变动不会重复或漏掉村）"
    )
    total: CoverageFigures = strawberry.field(description="全部村合计（不限本页）")

    @classmethod
    def build(cls, r: svc.CoverageReport) -> VillageCoverageReport:
        villages = [
            VillageCoverage(village_id=gid("Village", v.village_id), division_code=v.division_code, name=v.name, branch_name=v.branch_name,
                            officer_name=v.officer_name, figures=CoverageFigures.build(v.figures))
            for v in r.villages.rows
        ]
        return cls(villages=connection(r.villages, villages, svc.VILLAGE_ORDER), total=CoverageFigures.build(r.total))


@strawberry.type(description="客户经理业绩指标（额度与借据按额度的客户经理归属）")
class OfficerFigures:
    villages: int = strawberry.field(description="负责的村数")
    lines: int = strawberry.field(description="管理的有效授信笔数")
    line_limit: DecimalString = strawberry.field(description="这些授信的额度合计（元，两位小数的字符串，如 \"1200.00\"）")
    loans: int = strawberry.field(description="这些授信下未结清借据笔数")
    outstanding: DecimalString = strawberry.field(description="这些借据的贷款余额（本金）（元，两位小数的字符串，如 \"1200.00\"）")
    overdue_loans: int = strawberry.field(description="逾期借据笔数")
    overdue_principal: DecimalString = strawberry.field(description="逾期本金（元，两位小数的字符串，如 \"1200.00\"）")
    npl_balance: DecimalString = strawberry.field(description="不良贷款余额（次级 + 可疑 + 损失）（元，两位小数的字符串，如 \"1200.00\"）")

    @classmethod
    def build(cls, f: svc.OfficerFigures) -> OfficerFigures:
        return cls(villages=f.villages, lines=f.lines, line_limit=money(f.line_limit_fen), loans=f.loans, outstanding=money(f.outstanding_fen),
                   overdue_loans=f.overdue_loans, overdue_principal=money(f.overdue_principal_fen), npl_balance=money(f.npl_fen))


@strawberry.type(description="一位工作人员的业绩")
class OfficerPerformance:
    officer_id: strawberry.ID = strawberry.field(description="工作人员的全局 ID（Officer.id）")
    username: str = strawberry.field(description="登录用户名")
    display_name: str = strawberry.field(description="姓名")
    role: Role = strawberry.field(description="角色")
    branch_name: str = strawberry.field(description="所属机构名称")
    figures: OfficerFigures = strawberry.field(description="业绩指标")


@strawberry.type(description="客户经理业绩报表")
class OfficerPerformanceReport:
    officers: Connection[OfficerPerformance] = strawberry.field(
        description="各工作人员（Relay 连接，由 officerPerformance 的 first / after 翻页），按机构编码、用户名排序；游标记该人的排序键（键集分页：翻页间数据变动不会重复或漏掉人）"
    )
    total: OfficerFigures = strawberry.field(description="全部工作人员合计（不限本页）")

    @classmethod
    def build(cls, r: svc.OfficerReport) -> OfficerPerformanceReport:
        officers = [
            OfficerPerformance(officer_id=gid("Officer", o.officer_id), username=o.username, display_name=o.display_name, role=Role(o.role.value),
                               branch_name=o.branch_name, figures=OfficerFigures.build(o.figures))
            for o in r.officers.rows
        ]
        return cls(officers=connection(r.officers, officers, svc.OFFICER_ORDER), total=OfficerFigures.build(r.total))


@strawberry.type(description="预警与催收数量")
class RiskCounts:
    warnings_open: int = strawberry.field(description="待处理预警数")
    warnings_handled: int = strawberry.field(description="已处理预警数")
    warnings_dismissed: int = strawberry.field(description="已排除预警数")
    warnings_high_open: int = strawberry.field(description="待处理的高级别预警")
    tasks_open: int = strawberry.field(description="催收中的任务数")
    tasks_closed: int = strawberry.field(description="已结束的催收任务数")
    collection_actions: int = strawberry.field(description="催收记录条数")

    @classmethod
    def build(cls, f: svc.RiskFigures) -> RiskCounts:
        return cls(warnings_open=f.warnings_open, warnings_handled=f.warnings_handled, warnings_dismissed=f.warnings_dismissed,
                   warnings_high_open=f.warnings_high_open, tasks_open=f.tasks_open, tasks_closed=f.tasks_closed, collection_actions=f.actions)


@strawberry.type(description="预警与催收的一组")
class RiskGroup:
    key: strawberry.ID | None = strawberry.field(description="该组对象的全局 ID；无归属时为 null")
    code: str = strawberry.field(description="分组对象的编码：法人行机构代码、机构编码、村庄行政区划代码、客户经理用户名或产品代码；无归属的组为空字符串")
    name: str = strawberry.field(description="分组对象的名称；无归属的组为（无机构）等说明")
    counts: RiskCounts = strawberry.field(description="该组的数量")


@strawberry.type(description="预警与催收汇总")
class RiskSummary:
    group_by: ReportGroupBy = strawberry.field(description="分组维度")
    groups: Connection[RiskGroup] = strawberry.field(
        description="分组（Relay 连接，由 riskSummary 的 first / after 翻页），按编码排序（无归属的组在最后）；游标记分组的位置（分组数有限）"
    )
    total: RiskCounts = strawberry.field(description="全部分组合计（不限本页）")

    @classmethod
    def build(cls, r: svc.RiskReport) -> RiskSummary:
        kind = GROUP_TYPES[r.group_by]
        groups = [RiskGroup(key=gid(kind, g.key), code=g.code, name=g.name, counts=RiskCounts.build(g.figures)) for g in r.groups.rows]
        return cls(group_by=ReportGroupBy(r.group_by.value), groups=connection(r.groups, groups), total=RiskCounts.build(r.total))


def _percent(ratio: Decimal | None) -> DecimalString | None:
    """A fraction as a percent string with 4 places ("0.930000" -> "93.0000")."""
    return None if ratio is None else DecimalString(ratio_percent_str(ratio))


@strawberry.type(description="拨备与核销（本行全行数据，不随筛选变化）：贷款损失准备、拨备覆盖率、不良贷款率核销前后、已核销存量与核销后收回")
class AllowanceReport:
    bank_name: str = strawberry.field(description="法人行名称")
    loan_balance: DecimalString = strawberry.field(description="贷款余额（表内本金，全行）")
    npl_balance: DecimalString = strawberry.field(description="不良贷款余额（次级 + 可疑 + 损失）")
    allowance: DecimalString = strawberry.field(description="贷款损失准备余额（账面）")
    coverage_percent: DecimalString | None = strawberry.field(
        description="拨备覆盖率 = 贷款损失准备 ÷ 不良贷款余额，百分数，4 位小数的字符串（\"186.0000\" 即 186%）；无不良贷款时为 null"
    )
    npl_percent: DecimalString = strawberry.field(description="不良贷款率（当前，核销后），百分数，4 位小数的字符串")
    npl_percent_before_write_offs: DecimalString = strawberry.field(
        description="不良贷款率（若未核销：已核销尚未收回的本金仍按损失类计入），百分数，4 位小数的字符串"
    )
    written_off_count: int = strawberry.field(description="累计核销借据笔数")
    written_off_principal: DecimalString = strawberry.field(description="累计核销本金")
    written_off_interest: DecimalString = strawberry.field(description="累计核销利息（含罚息、复利、应计利息）")
    recovered_principal: DecimalString = strawberry.field(description="核销后累计收回本金（恢复贷款损失准备）")
    recovered_interest: DecimalString = strawberry.field(description="核销后累计收回利息（计入利息收入）")
    stock_principal: DecimalString = strawberry.field(description="已核销贷款存量本金（表外，账销案存）= 累计核销本金 − 收回本金")
    stock_interest: DecimalString = strawberry.field(description="已核销贷款存量利息（表外，账销案存）= 累计核销利息 − 收回利息")

    @classmethod
    def build(cls, r: WriteOffReport) -> AllowanceReport:
        return cls(
            bank_name=r.bank_name, loan_balance=money(r.total_fen), npl_balance=money(r.npl_fen), allowance=money(r.allowance_fen),
            coverage_percent=_percent(r.coverage_ratio), npl_percent=_percent(r.npl_ratio),
            npl_percent_before_write_offs=_percent(r.npl_ratio_before), written_off_count=r.written_off_count,
            written_off_principal=money(r.written_off_principal_fen), written_off_interest=money(r.written_off_interest_fen),
            recovered_principal=money(r.recovered_principal_fen), recovered_interest=money(r.recovered_interest_fen),
            stock_principal=money(r.stock_principal_fen), stock_interest=money(r.stock_interest_fen),
        )
