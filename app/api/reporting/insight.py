"""Customer insight over GraphQL: contribution list (reports), the insight card and the relationship graph (officers)."""

from __future__ import annotations

from datetime import datetime
from typing import Annotated

import strawberry

from app.api.arguments import AFTER, FIRST
from app.api.enums import domain_enum
from app.api.context import Info
from app.api.ids import decode_id
from app.api.pagination import Connection
from app.api.reporting.filters import to_filter
from app.api.reporting.permissions import CanReadReports, staff_only
from app.api.reporting.types import ReportFilter, connection, gid, money, report_page
from app.api.scalars import DecimalString
from app.domain.errors import NotFound
from app.domain.tags import OCCUPATION_LABELS
from app.domain.tags import Tag as TagModel
from app.domain.vocabulary import RelationshipKind
from app.models import Customer as CustomerModel
from app.models import CustomerProfile as ProfileModel
from app.services import insight

CustomerTagCode = domain_enum(TagModel, name="CustomerTagCode", description="客户标签（每日日终计算）")


@strawberry.type(description="客户标签（规则每日更新）")
class CustomerTag:
    code: CustomerTagCode = strawberry.field(description="标签代码")
    label: str = strawberry.field(description="标签的中文名")


def tags(values: list[TagModel]) -> list[CustomerTag]:
    return [CustomerTag(code=CustomerTagCode(t.value), label=t.label) for t in values]


@strawberry.type(description="客户贡献度：余额与利息收入（来自总账）")
class Contribution:
    loans: int = strawberry.field(description="借据笔数（含已结清）")
    active_loans: int = strawberry.field(description="未结清借据笔数")
    outstanding: DecimalString = strawberry.field(description="贷款余额（本金）（元，两位小数的字符串，如 \"1200.00\"）")
    overdue_principal: DecimalString = strawberry.field(description="逾期本金（元，两位小数的字符串，如 \"1200.00\"）")
    interest_earned: DecimalString = strawberry.field(description="已确认的利息、罚息、复利收入（已到期结计的利息与计收的罚息复利，按总账）")
    interest_collected: DecimalString = strawberry.field(description="已收回的利息、罚息、复利（迁移贷款含原系统迁移前已收的利息，记在迁移日）")
    interest_accrued: DecimalString = strawberry.field(description="当前已计提未到期的利息（不受日期范围影响）")

    @classmethod
    def build(cls, f: insight.ContributionFigures) -> Contribution:
        return cls(loans=f.loans, active_loans=f.active_loans, outstanding=money(f.outstanding_fen), overdue_principal=money(f.overdue_principal_fen),
                   interest_earned=money(f.interest_earned_fen), interest_collected=money(f.interest_collected_fen),
                   interest_accrued=money(f.interest_accrued_fen))


@strawberry.type(description="一位客户的贡献度")
class CustomerContribution:
    customer_id: strawberry.ID = strawberry.field(description="客户的全局 ID")
    name: str = strawberry.field(description="客户姓名（全名）")
    id_number_masked: str = strawberry.field(description="身份证号（已遮蔽：前 6 位与后 4 位）")
    branch_name: str = strawberry.field(description="所属机构名称")
    village_name: str = strawberry.field(description="所在村名；不属于任何村时为空字符串")
    tags: list[CustomerTag] = strawberry.field(description="客户标签")
    contribution: Contribution = strawberry.field(description="贡献度指标")


@strawberry.type(description="客户贡献度排行（按利息收入从高到低）")
class CustomerContributionReport:
    customers: Connection[CustomerContribution] = strawberry.field(
        description="各客户（Relay 连接，由 customerContributions 的 first / after 翻页），按利息收入从高到低；游标记该客户的排序键（键集分页：翻页间数据变动不会重复或漏掉客户）"
    )
    total: Contribution = strawberry.field(description="全部客户合计（不限本页）")


@strawberry.type(description="客户画像：标签、职业与经营土地、贡献度")
class CustomerInsight:
    customer_id: strawberry.ID = strawberry.field(description="客户的全局 ID")
    name: str = strawberry.field(description="客户姓名（全名）")
    id_number_masked: str = strawberry.field(description="身份证号（已遮蔽：前 6 位与后 4 位）")
    occupation: str | None = strawberry.field(description="职业（中文）")
    land_area_mu: int | None = strawberry.field(description="经营土地面积（亩）")
    updated_at: datetime | None = strawberry.field(description="客户档案最近一次业务变动时刻（UTC；建档、资料修改、评议等级变化时更新；与报表明细的 updatedAt 相同）")
    tags: list[CustomerTag] = strawberry.field(description="客户标签")
    contribution: Contribution = strawberry.field(description="贡献度指标（不限日期）")


CustomerLinkKind = domain_enum(RelationshipKind, name="CustomerLinkKind", description="关系类型")


@strawberry.type(description="关系图中的客户")
class CustomerGraphNode:
    customer_id: strawberry.ID = strawberry.field(description="客户的全局 ID")
    name: str = strawberry.field(description="客户姓名（全名）")
    id_number_masked: str = strawberry.field(description="身份证号（已遮蔽：前 6 位与后 4 位）")
    hops: int = strawberry.field(description="与中心客户相隔的层数（中心为 0）")
    updated_at: datetime | None = strawberry.field(description="客户档案最近一次业务变动时刻（UTC；与报表明细的 updatedAt 相同）")
    tags: list[CustomerTag] = strawberry.field(description="客户标签")


@strawberry.type(description="关系图中的一条关系（同户关系无方向）")
class CustomerGraphEdge:
    source: strawberry.ID = strawberry.field(description="一端客户的全局 ID（有方向的关系：记录该关系的客户）")
    target: strawberry.ID = strawberry.field(description="另一端客户的全局 ID")
    kind: CustomerLinkKind = strawberry.field(description="关系类型")
    label: str = strawberry.field(description="关系的中文名")


@strawberry.type(description="客户关系图谱（家庭、配偶、共同借款人、担保人）")
class CustomerGraph:
    root: strawberry.ID = strawberry.field(description="中心客户的全局 ID")
    nodes: list[CustomerGraphNode] = strawberry.field(description="图中的客户（含中心客户），按层数排序")
    edges: list[CustomerGraphEdge] = strawberry.field(description="客户之间的关系")
    truncated: bool = strawberry.field(description="节点数达到上限，部分关系未展开")


def _customer_id(value: strawberry.ID):
    return decode_id(value, "Customer", field="customer_id")


@strawberry.type
class InsightQuery:
    @strawberry.field(
        description="客户贡献度排行：余额、利息收入与回收（日期范围为总账会计日期；机构、产品、客户经理按借据筛选）", permission_classes=[CanReadReports]
    )
    async def customer_contributions(
        self, info: Info,
        where: Annotated[ReportFilter | None, strawberry.argument(name="filter", description="筛选条件；为空时为读者权限范围内的全部")] = None,
        first: Annotated[int, FIRST] = 50, after: Annotated[str | None, AFTER] = None,
    ) -> CustomerContributionReport:
        page = report_page(first, after, insight.CUSTOMER_ORDER)
        report = await insight.customer_contributions(actor=info.context.actor, filt=to_filter(where), page=page)
        rows = [
            CustomerContribution(customer_id=gid("Customer", c.customer_id), name=c.name, id_number_masked=c.id_number_masked, branch_name=c.branch_name,
                                 village_name=c.village_name, tags=tags(c.tags), contribution=Contribution.build(c.figures))
            for c in report.customers.rows
        ]
        return CustomerContributionReport(customers=connection(report.customers, rows, insight.CUSTOMER_ORDER), total=Contribution.build(report.total))

    @strawberry.field(description="客户画像（仅限工作人员，报表密钥不可用；客户不存在或不在辖内时为 null）", permission_classes=[staff_only("customerInsight")])
    async def customer_insight(self, info: Info, customer_id: Annotated[strawberry.ID, strawberry.argument(description="客户的全局 ID")]) -> CustomerInsight | None:
        actor = info.context.actor
        try:
            cid = _customer_id(customer_id)
        except NotFound:
            return None
        customer = await CustomerModel.filter(id=cid, branch_id__in=list(actor.branch_ids)).first()
        if customer is None:
            return None
        report = await insight.customer_contributions(actor=actor, customer_id=cid)
        profile = await ProfileModel.get_or_none(customer_id=cid)
        row = report.customers.rows[0] if report.customers.rows else None
        return CustomerInsight(
            customer_id=gid("Customer", cid), name=customer.name, id_number_masked=customer.id_number_masked,
            occupation=OCCUPATION_LABELS[profile.occupation] if profile and profile.occupation else None,
            land_area_mu=profile.land_area_mu if profile else None, updated_at=customer.updated_at,
            tags=tags(row.tags if row else (await insight.tags_of([cid])).get(cid, [])),
            contribution=Contribution.build(row.figures if row else insight.ContributionFigures()),
        )

    @strawberry.field(description=f"客户关系图谱（工作人员；最多 {insight.MAX_HOPS} 层，只含辖内客户；仅限工作人员，报表密钥不可用；不在辖内时为 null）", permission_classes=[staff_only("customerGraph")])
    async def customer_graph(
        self, info: Info, customer_id: Annotated[strawberry.ID, strawberry.argument(description="客户的全局 ID")],
        hops: Annotated[int, strawberry.argument(description=f"展开的层数，1–{insight.MAX_HOPS}")] = 2,
    ) -> CustomerGraph | None:
        try:
            cid = _customer_id(customer_id)
        except NotFound:
            return None
        graph = await insight.relationship_graph(actor=info.context.actor, customer_id=cid, hops=hops)
        if graph is None:
            return None
        nodes = [
            CustomerGraphNode(customer_id=gid("Customer", n.customer_id), name=n.name, id_number_masked=n.id_number_masked, hops=n.hops,
                              updated_at=n.updated_at, tags=tags(n.tags))
            for n in graph.nodes
        ]
        edges = [
            CustomerGraphEdge(source=gid("Customer", e.source), target=gid("Customer", e.target), kind=e.kind, label=e.label)
            for e in graph.edges
        ]
        return CustomerGraph(root=gid("Customer", graph.root), nodes=nodes, edges=edges, truncated=graph.truncated)
