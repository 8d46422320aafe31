"""Risk types: early warnings, collection tasks, risk decisions, rule sets, list entries."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime
from typing import Any
from uuid import UUID

import strawberry
from strawberry import relay
from strawberry.scalars import JSON

from app.api.enums import domain_enum
from app.api.context import Info
from app.api.enums import (
    CollectionCloseReason,
    CollectionTaskStatus,
    RiskOutcomeEnum,
    RiskPurposeEnum,
    WarningKind,
    WarningSeverity,
    WarningStatus,
)
from app.api.errors import error_enum, payload_error
from app.api.lending.types import Loan
from app.api.scalars import DecimalString
from app.domain import error_codes as codes
from app.domain.errors import DomainError
from app.domain.money import yuan_str
from app.domain import vocabulary
from app.domain.rules.strategies import LimitTerm
from app.domain.warnings import KIND_LABELS
from app.domain.warnings import WarningActionKind as WarningActionModel
from app.domain.warnings import WarningKind as WarningKindModel
from app.models import CollectionTask as TaskModel
from app.models import EarlyWarning as WarningModel
from app.models import ListEntry as ListEntryModel
from app.models import RiskDecision as DecisionModel
from app.models import RiskStrategyDecision as StrategyModel
from app.models import RuleSetVersion
from app.services import business_date
from app.services.risk.collections import tasks_query
from app.services.risk.reads import list_entries_query
from app.services.risk.warnings import warnings_query

WARNING_PREFETCH = ("customer", "officer", "actions__officer")
TASK_PREFETCH = ("customer", "officer", "loan", "actions__officer")

WarningActionKind = domain_enum(WarningActionModel, name="WarningActionKind", description="预警处理方式：NOTE 记录跟进（预警仍待处理），HANDLE 处理完毕，DISMISS 排除")

CollectionActionKind = domain_enum(vocabulary.CollectionActionKind, description="催收方式")

ListKind = domain_enum(vocabulary.ListKind, description="名单类型")

RuleSetKind = domain_enum(vocabulary.RuleSetKind, description="规则集类型")

StrategyLimitTerm = domain_enum(LimitTerm, name="StrategyLimitTerm", description="策略额度的测算项：额度取适用各项中最小者，相等时取靠前的项")


RiskErrorCode = error_enum("RiskErrorCode", "风控相关错误代码", codes.CommonCode, codes.RiskCode)


@strawberry.type(description="风控相关错误")
class RiskError:
    field: str | None = strawberry.field(description="出错的输入字段（camelCase 路径，如 amount）；与某个输入无关时为 null")
    code: RiskErrorCode = strawberry.field(description="错误代码：客户端据此分支处理")
    message: str = strawberry.field(description="给用户看的中文说明")


def risk_error(exc: DomainError, *, document_path: bool = False) -> RiskError:
    return payload_error(RiskError, RiskErrorCode, exc, document_path=document_path)


def _name(officer) -> str | None:
    return officer.display_name if officer is not None else None


@strawberry.type(description="预警处理记录")
class WarningActionRecord:
    action: WarningActionKind = strawberry.field(description="处理方式")
    note: str = strawberry.field(description="处理说明")
    officer_name: str | None = strawberry.field(description="处理人姓名；系统自动处理时为 null")
    at: datetime = strawberry.field(description="处理时刻（UTC 时刻，ISO 8601 带时区偏移）")


@strawberry.type(description="贷后预警（日终按规则产生）。谁能读：客户经理读分配给本人的，行长、审批人读本机构及下级机构的，报表密钥读其机构范围内的（只读）")
class EarlyWarning(relay.Node):
    key: relay.NodeID[str]
    kind: WarningKind = strawberry.field(description="预警类型")
    kind_label: str = strawberry.field(description="预警类型的中文名")
    severity: WarningSeverity = strawberry.field(description="预警级别")
    status: WarningStatus = strawberry.field(description="预警状态")
    level: int = strawberry.field(description="逾期天数上升：跨过的天数阈值；其他类型：触发的次数或比例")
    business_date: date = strawberry.field(description="触发预警的会计日期（日终）（业务日期，Asia/Shanghai）")
    message: str = strawberry.field(description="预警说明（中文）")
    evidence: JSON = strawberry.field(description="触发证据（JSON 对象，camelCase 键随预警类型而定；金额为元的字符串，日期为 YYYY-MM-DD 业务日期）")
    customer_name: str = strawberry.field(description="客户姓名（全名：仅工作人员与报表密钥可读）")
    officer_name: str | None = strawberry.field(description="负责的客户经理；未分配时为 null")
    loan_id: strawberry.ID | None = strawberry.field(description="相关借据的全局 ID；客户级预警为 null")
    handled_at: datetime | None = strawberry.field(description="处理完毕或排除的时刻（UTC 时刻，ISO 8601 带时区偏移）；待处理时为 null")
    actions: list[WarningActionRecord] = strawberry.field(description="处理记录，按时间先后")

    @classmethod
    def from_model(cls, m: WarningModel) -> EarlyWarning:
        """Needs WARNING_PREFETCH."""
        actions = sorted(m.actions, key=lambda a: a.at)
        return cls(
            key=str(m.id), kind=WarningKind(m.kind.value), kind_label=KIND_LABELS[WarningKindModel(m.kind)],
            severity=WarningSeverity(m.severity.value), status=WarningStatus(m.status.value), level=m.level,
            business_date=m.business_on, message=m.message, evidence=m.evidence, customer_name=m.customer.name,
            officer_name=_name(m.officer), loan_id=strawberry.ID(relay.to_base64("Loan", m.loan_id)) if m.loan_id else None,
            handled_at=m.handled_at,
            actions=[WarningActionRecord(action=WarningActionKind(a.action.value), note=a.note, officer_name=_name(a.officer), at=a.at) for a in actions],
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        ids = [UUID(i) for i in node_ids]
        found = {m.id: m for m in await warnings_query(info.context.actor).filter(id__in=ids).prefetch_related(*WARNING_PREFETCH)}
        return [cls.from_model(found[i]) if i in found else None for i in ids]


@strawberry.type(description="催收记录")
class CollectionActionRecord:
    kind: CollectionActionKind = strawberry.field(description="催收方式")
    outcome: str = strawberry.field(description="催收结果（中文）")
    promised_amount: DecimalString | None = strawberry.field(description="承诺还款金额（元，两位小数的字符串，如 \"1200.00\"）；非承诺还款时为 null")
    promised_on: date | None = strawberry.field(description="承诺还款日期（业务日期，Asia/Shanghai）；非承诺还款时为 null")
    officer_name: str | None = strawberry.field(description="记录人姓名；未知时为 null")
    at: datetime = strawberry.field(description="记录时刻（UTC 时刻，ISO 8601 带时区偏移）")


@strawberry.type(description="催收任务（每笔逾期借据一个）。谁能读：范围同贷后预警")
class CollectionTask(relay.Node):
    key: relay.NodeID[str]
    status: CollectionTaskStatus = strawberry.field(description="任务状态")
    opened_on: date = strawberry.field(description="任务开立的会计日期（业务日期，Asia/Shanghai）")
    opened_days_past_due: int = strawberry.field(description="开立时的逾期天数")
    closed_on: date | None = strawberry.field(description="结束的会计日期（业务日期，Asia/Shanghai）；进行中为 null")
    close_reason: CollectionCloseReason | None = strawberry.field(description="结束原因；催收中为 null")
    next_action_on: date | None = strawberry.field(description="下次跟进日期（业务日期，Asia/Shanghai）；未安排时为 null")
    customer_name: str = strawberry.field(description="客户姓名（全名）")
    officer_name: str | None = strawberry.field(description="负责的客户经理；未分配时为 null")
    loan: Loan = strawberry.field(description="逾期的借据")
    actions: list[CollectionActionRecord] = strawberry.field(description="催收记录，按时间先后")

    @classmethod
    def from_model(cls, m: TaskModel) -> CollectionTask:
        """Needs TASK_PREFETCH."""
        actions = sorted(m.actions, key=lambda a: a.at)
        return cls(
            key=str(m.id), status=CollectionTaskStatus(m.status.value), opened_on=m.opened_on, opened_days_past_due=m.opened_dpd,
            closed_on=m.closed_on, close_reason=CollectionCloseReason(m.close_reason) if m.close_reason else None, next_action_on=m.next_action_on,
            customer_name=m.customer.name, officer_name=_name(m.officer), loan=Loan.from_model(m.loan),
            actions=[
                CollectionActionRecord(
                    kind=CollectionActionKind(a.kind.value), outcome=a.outcome,
                    promised_amount=yuan_str(a.promised_amount_fen) if a.promised_amount_fen is not None else None,
                    promised_on=a.promised_on, officer_name=_name(a.officer), at=a.at,
                )
                for a in actions
            ],
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        ids = [UUID(i) for i in node_ids]
        found = {m.id: m for m in await tasks_query(info.context.actor).filter(id__in=ids).prefetch_related(*TASK_PREFETCH)}
        return [cls.from_model(found[i]) if i in found else None for i in ids]


@strawberry.type(description="命中的风控规则")
class RiskHit:
    code: str = strawberry.field(description="规则代码（规则集中的 code）")
    kind: RiskOutcomeEnum = strawberry.field(description="该规则导致的结论：REJECT 拒绝，REVIEW 人工复核")
    message: str = strawberry.field(description="命中说明（中文）")
    evidence: JSON = strawberry.field(description="命中证据（JSON 对象，键随规则而定）")


def _hits(hits: list[dict[str, Any]]) -> list[RiskHit]:
    return [RiskHit(code=h["code"], kind=RiskOutcomeEnum(h["kind"]), message=h["message"], evidence=h.get("evidence") or {}) for h in hits]


@strawberry.type(description="征信风险检查结论。仅限工作人员（含征信报告内容，按征信授权只用于授信审批，报表密钥不可读）")
class RiskDecision:
    id: strawberry.ID = strawberry.field(description="结论 ID（UUID）")
    purpose: RiskPurposeEnum = strawberry.field(description="检查环节：面签或用信")
    decision: RiskOutcomeEnum = strawberry.field(description="结论")
    rule_set_version: str = strawberry.field(description="所用拒绝规则集的版本号")
    explanation: str = strawberry.field(description="结论说明（中文）")
    decided_at: datetime = strawberry.field(description="作出结论的时刻（UTC 时刻，ISO 8601 带时区偏移）")
    hits: list[RiskHit] = strawberry.field(description="命中的规则；未命中时为空列表")

    @classmethod
    def from_model(cls, m: DecisionModel) -> RiskDecision:
        hits: list[dict[str, Any]] = m.hits or []
        return cls(
            id=strawberry.ID(str(m.id)), purpose=RiskPurposeEnum(m.purpose), decision=RiskOutcomeEnum(m.decision), rule_set_version=m.ruleset_version,
            explanation=m.explanation, decided_at=m.decided_at,
            hits=_hits(hits),
        )


@strawberry.type(description="准入、反欺诈、额度与定价策略结论。仅限工作人员（含征信与收入等个人信息，报表密钥不可读）")
class StrategyDecision:
    id: strawberry.ID = strawberry.field(description="结论 ID（UUID）")
    product_code: str = strawberry.field(description="产品代码（Product.code）")
    decision: RiskOutcomeEnum = strawberry.field(description="结论")
    rule_set_version: str = strawberry.field(description="所用策略版本号")
    hits: list[RiskHit] = strawberry.field(description="命中的准入与反欺诈规则及证据")
    limit: DecimalString = strawberry.field(description="策略测算额度（元）")
    limit_binding: StrategyLimitTerm = strawberry.field(description="约束额度的项（测算额度取自该项）")
    limit_terms: JSON = strawberry.field(description="参与测算的各项与缺少数据未参与的项：{\"terms\": {项: 分}, \"skipped\": [项]}，项为 StrategyLimitTerm 的小写值（如 product_max）；策略使用外部数据时另有 \"unused\"（{项: 未使用的原因}，如无有效授权、数据源超时）、\"evidence\"（{项: 所用数据的来源、数据日期 dataOn、查询 queryId 等}）与 \"externalData\"（策略所需的每个数据来源：status 为 used、no_record、no_consent、unanswered 或 not_connected，及原因）")
    spread_bp: int = strawberry.field(description="LPR 加点（基点）")
    grade: str | None = strawberry.field(description="定价所用的评级（评议或客户评级）；无评级时为 null")
    annual_income: DecimalString | None = strawberry.field(description="客户经理录入的家庭年收入（元）")
    explanation: str = strawberry.field(description="结论说明（中文）")
    decided_at: datetime = strawberry.field(description="作出结论的时刻（UTC 时刻，ISO 8601 带时区偏移）")

    @classmethod
    def from_model(cls, m: StrategyModel) -> StrategyDecision:
        return cls(
            id=strawberry.ID(str(m.id)), product_code=m.product_code, decision=RiskOutcomeEnum(m.decision), rule_set_version=m.ruleset_version,
            hits=_hits(m.hits or []), limit=yuan_str(m.limit_fen), limit_binding=StrategyLimitTerm(m.limit_binding), limit_terms=m.limit_detail, spread_bp=m.spread_bp,
            grade=m.grade, annual_income=yuan_str(m.annual_income_fen) if m.annual_income_fen is not None else None, explanation=m.explanation,
            decided_at=m.decided_at,
        )


@strawberry.type(description="规则集版本")
class RuleSet:
    kind: RuleSetKind = strawberry.field(description="规则集类型")
    version: str = strawberry.field(description="版本号")
    description: str = strawberry.field(description="版本说明")
    is_active: bool = strawberry.field(description="是否为当前生效版本")
    is_platform_default: bool = strawberry.field(description="平台默认版本（否则为本行版本，只用于本行客户）")
    product_code: str | None = strawberry.field(description="线上产品策略（kind 为 ONLINE）所属的产品代码，每个产品各有一个生效版本；其他类型为 null")
    created_at: datetime = strawberry.field(description="上传时刻（UTC 时刻，ISO 8601 带时区偏移）")

    @classmethod
    def from_model(cls, m: RuleSetVersion) -> RuleSet:
        return cls(kind=RuleSetKind(m.kind.value), version=m.version, description=m.description, is_active=m.is_active,
                   is_platform_default=m.bank_id is None, product_code=m.product_code or None, created_at=m.created_at)


@strawberry.type(description="黑名单 / 灰名单记录（身份证号只显示掩码）。谁能读：支行行长、系统管理员（管理名单的角色）")
class ListEntry(relay.Node):
    key: relay.NodeID[str]
    list_kind: ListKind = strawberry.field(description="名单类型")
    id_number_masked: str = strawberry.field(description="身份证号（已遮蔽：前 6 位与后 4 位）")
    name: str = strawberry.field(description="姓名")
    reason: str = strawberry.field(description="列入原因")
    expires_on: date | None = strawberry.field(description="到期日（当天起不再生效）（业务日期，Asia/Shanghai）；长期有效时为 null")
    created_at: datetime = strawberry.field(description="列入时刻（UTC 时刻，ISO 8601 带时区偏移）")
    removed_at: datetime | None = strawberry.field(description="移出时刻（UTC 时刻，ISO 8601 带时区偏移）；未移出时为 null")
    removed_reason: str = strawberry.field(description="移出原因；未移出时为空字符串")

    @classmethod
    def from_model(cls, m: ListEntryModel) -> ListEntry:
        return cls(
            key=str(m.id), list_kind=ListKind(m.list_kind.value), id_number_masked=m.id_number_masked, name=m.name, reason=m.reason,
            expires_on=m.expires_on, created_at=m.created_at, removed_at=m.removed_at, removed_reason=m.removed_reason,
        )

    @classmethod
    async def resolve_nodes(cls, *, info: Info, node_ids: Iterable[str], required: bool = False):
        ids = [UUID(i) for i in node_ids]
        query = list_entries_query(info.context.actor, today=await business_date.current(), include_inactive=True)
        found = {m.id: m for m in await query.filter(id__in=ids)}
        return [cls.from_model(found[i]) if i in found else None for i in ids]
