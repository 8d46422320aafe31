"""Reporting queries: for officers (their branch tree) and report keys (their scope); read-only.

Each report is one SQL statement with GROUP BY (app/services/reporting/), paged with
`first` / `after` over its groups or periods; `total` is over all of them.
"""

from __future__ import annotations

from typing import Annotated

import strawberry

from app.api.arguments import AFTER, FIRST
from app.api.context import Info
from app.api.reporting.filters import to_filter
from app.api.reporting.insight import InsightQuery
from app.api.reporting.tables import TablesQuery
from app.api.reporting.permissions import CanReadReports, staff_only
from app.api.reporting.types import (
    AllowanceReport,
    DisbursementPoint,
    DisbursementSeries,
    OfficerPerformanceReport,
    PortfolioSummary,
    RepaymentPoint,
    RepaymentSeries,
    ReportFilter,
    ReportGroupBy,
    ReportInterval,
    RiskSummary,
    VillageCoverageReport,
    report_page,
    series,
)
from app.services import reporting as svc
from app.services.lending.write_off import write_off_report

FilterArg = Annotated[ReportFilter | None, strawberry.argument(name="filter", description="筛选条件；为空时为读者权限范围内的全部")]


@strawberry.type
class ReportingQuery(InsightQuery, TablesQuery):
    @strawberry.field(
        description="贷款组合：按机构、村庄、客户经理或产品分组的笔数、余额、逾期、五级分类与不良率（日期范围为放款日期）", permission_classes=[CanReadReports]
    )
    async def portfolio_summary(
        self, info: Info, group_by: Annotated[ReportGroupBy, strawberry.argument(description="分组维度（默认按机构）")] = ReportGroupBy.BRANCH, where: FilterArg = None, first: Annotated[int, FIRST] = 50, after: Annotated[str | None, AFTER] = None
    ) -> PortfolioSummary:
        report = await svc.portfolio_summary(actor=info.context.actor, group_by=svc.GroupBy(group_by.value), filt=to_filter(where), page=report_page(first, after))
        return PortfolioSummary.build(report)

    @strawberry.field(description="放款序列（按日或按月，按会计日期）", permission_classes=[CanReadReports])
    async def disbursement_series(
        self, info: Info, interval: Annotated[ReportInterval, strawberry.argument(description="粒度（默认按月）")] = ReportInterval.MONTH, where: FilterArg = None, first: Annotated[int, FIRST] = 100, after: Annotated[str | None, AFTER] = None
    ) -> DisbursementSeries:
        result = await svc.disbursement_series(actor=info.context.actor, interval=svc.Interval(interval.value), filt=to_filter(where), page=report_page(first, after))
        return series(result, DisbursementPoint, DisbursementSeries)

    @strawberry.field(description="回收序列：本金、利息、罚息复利（按日或按月，按会计日期）", permission_classes=[CanReadReports])
    async def repayment_series(
        self, info: Info, interval: Annotated[ReportInterval, strawberry.argument(description="粒度（默认按月）")] = ReportInterval.MONTH, where: FilterArg = None, first: Annotated[int, FIRST] = 100, after: Annotated[str | None, AFTER] = None
    ) -> RepaymentSeries:
        result = await svc.repayment_series(actor=info.context.actor, interval=svc.Interval(interval.value), filt=to_filter(where), page=report_page(first, after))
        return series(result, RepaymentPoint, RepaymentSeries)

    @strawberry.field(description="整村授信覆盖：户数、评议、预授信、授信、用信（日期范围为额度起始日与放款日）", permission_classes=[CanReadReports])
    async def village_coverage(self, info: Info, where: FilterArg = None, first: Annotated[int, FIRST] = 50, after: Annotated[str | None, AFTER] = None) -> VillageCoverageReport:
        report = await svc.village_coverage(actor=info.context.actor, filt=to_filter(where), page=report_page(first, after, svc.VILLAGE_ORDER))
        return VillageCoverageReport.build(report)

    @strawberry.field(description="客户经理业绩：村庄、授信、用信、逾期与不良（日期范围为额度起始日与放款日）", permission_classes=[CanReadReports])
    async def officer_performance(self, info: Info, where: FilterArg = None, first: Annotated[int, FIRST] = 50, after: Annotated[str | None, AFTER] = None) -> OfficerPerformanceReport:
        report = await svc.officer_performance(actor=info.context.actor, filt=to_filter(where), page=report_page(first, after, svc.OFFICER_ORDER))
        return OfficerPerformanceReport.build(report)

    @strawberry.field(description="预警与催收数量（日期范围为预警日期与催收任务开立日期）", permission_classes=[CanReadReports])
    async def risk_summary(
        self, info: Info, group_by: Annotated[ReportGroupBy, strawberry.argument(description="分组维度（默认按机构）")] = ReportGroupBy.BRANCH, where: FilterArg = None, first: Annotated[int, FIRST] = 50, after: Annotated[str | None, AFTER] = None
    ) -> RiskSummary:
        report = await svc.risk_summary(actor=info.context.actor, group_by=svc.GroupBy(group_by.value), filt=to_filter(where), page=report_page(first, after))
        return RiskSummary.build(report)

    @strawberry.field(
        description="拨备与核销：本行全行的贷款损失准备、拨备覆盖率、不良贷款率（核销前后）、已核销存量与核销后收回；仅本行总行的人员可见，其他工作人员为 null，报表密钥不能查询",
        permission_classes=[CanReadReports, staff_only("allowanceReport")],
    )
    async def allowance_report(self, info: Info) -> AllowanceReport | None:
        report = await write_off_report(actor=info.context.actor)
        return AllowanceReport.build(report) if report is not None else None
