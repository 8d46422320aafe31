"""Risk queries: the warning and collection worklists, a customer's decisions, list entries."""

from __future__ import annotations

from datetime import date, datetime
from typing import Annotated

import strawberry
from tortoise.functions import Coalesce

from app.api.arguments import AFTER, FIRST
from app.api.context import Info
from app.api.ids import decode_id
from app.api.pagination import ID_KEY, Connection, SortKey, paginate_keyset, paginate_newest_first
from app.api.reporting.permissions import CanReadWorklists, staff_only
from app.api.risk.permissions import CanManageLists
from app.api.risk.types import (
    TASK_PREFETCH,
    WARNING_PREFETCH,
    CollectionTask,
    CollectionTaskStatus,
    EarlyWarning,
    ListEntry,
    ListKind,
    RiskDecision,
    StrategyDecision,
    WarningStatus,
)
from app.domain.errors import NotFound
from app.services import business_date
from app.services.risk.collections import tasks_query
from app.services.risk.reads import decisions_for, list_entries_query, strategy_decisions_for
from app.services.risk.warnings import warnings_query

# the worklists' keyset orders (app/api/pagination.py): each ends in the id, so no two rows tie
WARNING_ORDER = (SortKey("business_on", date.fromisoformat, descending=True), SortKey("created_at", datetime.fromisoformat, descending=True), ID_KEY)
# a task without a follow-up date sorts after every dated one, on every database (NULLs sort first on SQLite, last on PostgreSQL)
TASK_ORDER = (SortKey("follow_up_on", date.fromisoformat), SortKey("opened_on", date.fromisoformat, descending=True), ID_KEY)
UNSCHEDULED = date.max


@strawberry.type
class RiskQuery:
    @strawberry.field(description="贷后预警（客户经理：分配给本人的；行长、审批人：本机构及下级机构的；报表密钥：其机构及下级机构的，只读），会计日期最新在前，同日较晚产生的在前（键集分页）", permission_classes=[CanReadWorklists])
    async def warnings(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
        status: Annotated[WarningStatus | None, strawberry.argument(description="只看该状态；为空时全部")] = None,
    ) -> Connection[EarlyWarning]:
        query = warnings_query(info.context.actor, status=status.value if status else None).prefetch_related(*WARNING_PREFETCH)
        return await paginate_keyset(query, first, after, EarlyWarning.from_model, kind="warning", keys=WARNING_ORDER)

    @strawberry.field(description="催收任务（范围同预警），下次跟进日期早的在前、未安排跟进的在最后，同日较晚开立的在前（键集分页）", permission_classes=[CanReadWorklists])
    async def collection_tasks(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
        status: Annotated[CollectionTaskStatus | None, strawberry.argument(description="只看该状态；为空时全部")] = None,
    ) -> Connection[CollectionTask]:
        query = tasks_query(info.context.actor, status=status.value if status else None)
        query = query.annotate(follow_up_on=Coalesce("next_action_on", UNSCHEDULED)).prefetch_related(*TASK_PREFETCH)
        return await paginate_keyset(query, first, after, CollectionTask.from_model, kind="collection_task", keys=TASK_ORDER)

    @strawberry.field(description="客户的征信风险检查结论，最新在前（仅限工作人员，报表密钥不可用）；客户不存在或不在辖内时为空", permission_classes=[staff_only("riskDecisions")])
    async def risk_decisions(
        self, info: Info, customer_id: Annotated[strawberry.ID, strawberry.argument(description="客户的全局 ID")],
        first: Annotated[int, strawberry.argument(description="最多返回条数（最新的若干条）")] = 20,
    ) -> list[RiskDecision]:
        try:
            customer = decode_id(customer_id, "Customer", field="customer_id")
        except NotFound:
            return []
        return [RiskDecision.from_model(d) for d in await decisions_for(info.context.actor, customer, limit=first)]

    @strawberry.field(description="客户的准入、反欺诈、额度与定价策略结论，最新在前（仅限工作人员，报表密钥不可用）；客户不存在或不在辖内时为空", permission_classes=[staff_only("strategyDecisions")])
    async def strategy_decisions(
        self, info: Info, customer_id: Annotated[strawberry.ID, strawberry.argument(description="客户的全局 ID")],
        first: Annotated[int, strawberry.argument(description="最多返回条数（最新的若干条）")] = 20,
    ) -> list[StrategyDecision]:
        try:
            customer = decode_id(customer_id, "Customer", field="customer_id")
        except NotFound:
            return []
        return [StrategyDecision.from_model(d) for d in await strategy_decisions_for(info.context.actor, customer, limit=first)]

    @strawberry.field(description="黑名单 / 灰名单（默认只列生效中的记录）", permission_classes=[CanManageLists])
    async def list_entries(
        self, info: Info, first: Annotated[int, FIRST] = 20, after: Annotated[str | None, AFTER] = None,
        list_kind: Annotated[ListKind | None, strawberry.argument(description="只看该名单；为空时黑、灰名单都列")] = None,
        include_inactive: Annotated[bool, strawberry.argument(description="true 时也列出已到期和已移出的记录")] = False,
    ) -> Connection[ListEntry]:
        query = list_entries_query(
            info.context.actor, today=await business_date.current(), list_kind=list_kind.value if list_kind else None, include_inactive=include_inactive
        )
        return await paginate_newest_first(query, first, after, ListEntry.from_model)
