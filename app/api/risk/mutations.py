"""Risk mutations: handle a warning, record a collection action, upload a rule set, keep the lists."""

from __future__ import annotations

from datetime import date
from typing import Annotated

import strawberry

from app import clock
from app.api.arguments import INPUT
from app.api.context import Info
from app.api.ids import decode_id
from app.api.lending.maker_checker import Command
from app.api.permissions import IsAdmin, IsOfficer
from app.api.risk.permissions import CanManageLists
from app.api.risk.types import (
    TASK_PREFETCH,
    WARNING_PREFETCH,
    CollectionActionKind,
    CollectionTask,
    EarlyWarning,
    ListEntry,
    ListKind,
    RiskError,
    RuleSet,
    RuleSetKind,
    WarningActionKind,
    risk_error,
)
from app.api.scalars import DecimalString, optional_fen
from app.domain.errors import DomainError
from app.domain.maker_checker import DEFAULT_POLICY as DEFAULT_MAKER_CHECKER
from app.models import CollectionTask as TaskModel
from app.models import EarlyWarning as WarningModel
from app.models import ListEntry as ListEntryModel
from app.models import PendingCommand
from app.models import RuleSetVersion as RuleSetModel
from app.models.risk import RuleSetKind as RuleSetKindModel
from app.services import business_date
from app.services.risk.collections import record_collection_action
from app.services.risk import (
    propose_list_add,
    propose_list_remove,
    propose_ruleset_activate,
    propose_ruleset_upload,
    propose_use_platform_default,
)
from app.services.risk.warnings import handle_warning


@strawberry.input(description="处理预警")
class WarningHandleInput:
    warning_id: strawberry.ID = strawberry.field(description="预警的全局 ID（EarlyWarning.id）")
    action: WarningActionKind = strawberry.field(description="处理方式")
    note: str = strawberry.field(description="处理说明（必填，最多 500 字）")


@strawberry.type(description="warning 为空当且仅当 errors 非空")
class WarningHandlePayload:
    warning: EarlyWarning | None = strawberry.field(description="处理后的预警；出错时为 null")
    errors: list[RiskError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.input(description="记录一次催收；承诺还款需填写金额和晚于今天的日期")
class CollectionActionRecordInput:
    task_id: strawberry.ID = strawberry.field(description="催收任务的全局 ID（CollectionTask.id）")
    kind: CollectionActionKind = strawberry.field(description="催收方式")
    outcome: str = strawberry.field(description="催收结果（必填，最多 500 字）")
    promised_amount: DecimalString | None = strawberry.field(default=None, description="承诺还款金额（元，两位小数的字符串，如 \"1200.00\"）；承诺还款时必填，其他方式为空")
    promised_on: date | None = strawberry.field(default=None, description="承诺还款日期（业务日期，Asia/Shanghai）；承诺还款时必填且须晚于今天")
    next_action_on: date | None = strawberry.field(default=None, description="下次跟进日期；承诺还款默认为承诺日期的次日")


@strawberry.type(description="task 为空当且仅当 errors 非空")
class CollectionActionRecordPayload:
    task: CollectionTask | None = strawberry.field(description="记录后的催收任务；出错时为 null")
    errors: list[RiskError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.input(description="上传新版本的规则集（YAML）：须经双人复核后生效（法人行版本：另一位系统管理员或总行审批人；平台默认版本：另一位平台系统管理员）")
class RuleSetUploadInput:
    yaml_text: str = strawberry.field(description="规则集全文（YAML；格式与示例见 app/domain/rules/rulesets/，可用的规则见规则目录）")
    kind: RuleSetKind = strawberry.field(
        default=RuleSetKind.REJECT,
        description="reject 征信拒绝规则，strategy 准入、反欺诈、额度与定价策略，online 线上产品策略（YAML 的 product 须为本行产品代码，复核通过后该产品的下一笔申请按新版本审批）")
    reason: str = strawberry.field(default="", description="申请理由（双人复核时给复核人看）；为空时用规则集的说明")


@strawberry.type(description="成功时 ruleSet 与 command 至少一个非空；errors 非空时两者均为 null")
class RuleSetUploadPayload:
    rule_set: RuleSet | None = strawberry.field(description="已生效的新版本；待复核或出错时为 null（errors 的 field 指向 YAML 中的位置）")
    command: Command | None = strawberry.field(default=None, description="双人复核申请：status 为 PENDING 时待复核，复核通过后才生效；设置未列入复核时为 APPROVED（已生效）；出错时为 null")
    errors: list[RiskError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.input(description="重新启用本行（平台管理员：平台默认）已保存的旧版本规则集（回退）：须经双人复核后生效（法人行：另一位系统管理员或总行审批人；平台默认：另一位平台系统管理员）")
class RuleSetActivateInput:
    version: str = strawberry.field(description="要启用的版本号（RuleSet.version，如 reject-2027.1）")
    reason: str = strawberry.field(default="", description="申请理由（双人复核时给复核人看）；为空时写明启用的版本")


@strawberry.input(description="法人行停用本行的规则集版本，改用平台默认版本：须经双人复核（另一位系统管理员或总行审批人）后生效")
class RuleSetUsePlatformDefaultInput:
    kind: RuleSetKind = strawberry.field(description="reject 征信拒绝规则，strategy 准入、反欺诈、额度与定价策略")
    reason: str = strawberry.field(default="", description="申请理由（双人复核时给复核人看）；为空时写明改用平台默认")


@strawberry.type(description="成功时 command 非空；errors 非空时两者均为 null")
class RuleSetChangePayload:
    rule_set: RuleSet | None = strawberry.field(description="已生效的版本（启用时）；待复核、改用平台默认或出错时为 null")
    command: Command | None = strawberry.field(default=None, description="双人复核申请：status 为 PENDING 时待复核，复核通过后才生效；设置未列入复核时为 APPROVED（已生效）；出错时为 null")
    errors: list[RiskError] = strawberry.field(description="错误；成功时为空列表")


@strawberry.input(description="列入黑名单或灰名单")
class ListEntryAddInput:
    id_number: str = strawberry.field(description="18 位身份证号（明文传入；只保存其哈希与掩码，不保存明文）")
    name: str = strawberry.field(description="姓名")
    list_kind: ListKind = strawberry.field(description="名单类型")
    reason: str = strawberry.field(description="列入原因（必填）")
    expires_on: date | None = strawberry.field(default=None, description="到期日（当天起不再生效）；为空表示长期有效")


@strawberry.input(description="移出名单")
class ListEntryRemoveInput:
    entry_id: strawberry.ID = strawberry.field(description="名单记录的全局 ID（ListEntry.id）")
    reason: str = strawberry.field(description="移出原因（必填）")


@strawberry.type(description="成功时 entry 与 command 至少一个非空；errors 非空时两者均为 null")
class ListEntryPayload:
    entry: ListEntry | None = strawberry.field(description="列入或移出后的名单记录；待复核或出错时为 null")
    command: Command | None = strawberry.field(default=None, description="双人复核申请：status 为 PENDING 时待复核，复核通过后才生效；设置未列入复核时为 APPROVED（已生效）；出错时为 null")
    errors: list[RiskError] = strawberry.field(description="错误；成功时为空列表")


async def _ruleset_change(made: PendingCommand | RuleSetModel) -> RuleSetChangePayload:
    if isinstance(made, RuleSetModel):
        return RuleSetChangePayload(rule_set=RuleSet.from_model(made), command=None, errors=[])
    done = (made.result or {}).get("version_id")
    row = await RuleSetModel.get_or_none(id=done) if done else None
    return RuleSetChangePayload(rule_set=RuleSet.from_model(row) if row else None, command=Command.from_model(made), errors=[])


def _policy(info: Info):
    state = info.context.request.app.state if info.context.request is not None else None
    return getattr(state, "maker_checker_policy", DEFAULT_MAKER_CHECKER)


async def _entry_payload(made: PendingCommand | ListEntryModel) -> ListEntryPayload:
    if isinstance(made, ListEntryModel):
        return ListEntryPayload(entry=ListEntry.from_model(made), command=None, errors=[])
    done = (made.result or {}).get("entry_id")
    entry = await ListEntryModel.get_or_none(id=done) if done else None
    return ListEntryPayload(entry=ListEntry.from_model(entry) if entry else None, command=Command.from_model(made), errors=[])


@strawberry.type
class RiskMutation:
    @strawberry.mutation(description="处理预警：记录跟进、处理完毕或排除", permission_classes=[IsOfficer])
    async def warning_handle(self, info: Info, input: Annotated[WarningHandleInput, INPUT]) -> WarningHandlePayload:
        try:
            warning = await handle_warning(
                actor=info.context.actor, warning_id=decode_id(input.warning_id, "EarlyWarning", field="warning_id"),
                action=input.action.value, note=input.note, now=clock.now_utc(),
            )
        except DomainError as exc:
            return WarningHandlePayload(warning=None, errors=[risk_error(exc)])
        row = await WarningModel.get(id=warning.id).prefetch_related(*WARNING_PREFETCH)
        return WarningHandlePayload(warning=EarlyWarning.from_model(row), errors=[])

    @strawberry.mutation(description="记录催收（电话、上门、承诺还款、法律催收）", permission_classes=[IsOfficer])
    async def collection_action_record(self, info: Info, input: Annotated[CollectionActionRecordInput, INPUT]) -> CollectionActionRecordPayload:
        try:
            action = await record_collection_action(
                actor=info.context.actor, task_id=decode_id(input.task_id, "CollectionTask", field="task_id"), kind=input.kind.value,
                outcome=input.outcome, promised_amount_fen=optional_fen(input.promised_amount, field="promised_amount", blank_is_none=True),
                promised_on=input.promised_on,
                next_action_on=input.next_action_on, today=await business_date.current(), now=clock.now_utc(),
            )
        except DomainError as exc:
            return CollectionActionRecordPayload(task=None, errors=[risk_error(exc)])
        row = await TaskModel.get(id=action.task_id).prefetch_related(*TASK_PREFETCH)
        return CollectionActionRecordPayload(task=CollectionTask.from_model(row), errors=[])

    @strawberry.mutation(description="上传拒绝规则集或策略（系统管理员）：生成待复核申请（平台默认版本由另一位平台系统管理员复核），复核通过后生效", permission_classes=[IsAdmin])
    async def rule_set_upload(self, info: Info, input: Annotated[RuleSetUploadInput, INPUT]) -> RuleSetUploadPayload:
        try:
            made = await propose_ruleset_upload(actor=info.context.actor, yaml_text=input.yaml_text, kind=RuleSetKindModel(input.kind.value),
                                                reason=input.reason, today=await business_date.current(), now=clock.now_utc(), policy=_policy(info))
        except DomainError as exc:
            return RuleSetUploadPayload(rule_set=None, command=None, errors=[risk_error(exc, document_path=True)])  # a YAML path
        if isinstance(made, RuleSetModel):
            return RuleSetUploadPayload(rule_set=RuleSet.from_model(made), command=None, errors=[])
        done = (made.result or {}).get("version_id")
        row = await RuleSetModel.get_or_none(id=done) if done else None
        return RuleSetUploadPayload(rule_set=RuleSet.from_model(row) if row else None, command=Command.from_model(made), errors=[])

    @strawberry.mutation(description="重新启用旧版本规则集（系统管理员，回退）：生成待复核申请（平台默认版本由另一位平台系统管理员复核），复核通过后生效", permission_classes=[IsAdmin])
    async def rule_set_activate(self, info: Info, input: Annotated[RuleSetActivateInput, INPUT]) -> RuleSetChangePayload:
        try:
            made = await propose_ruleset_activate(actor=info.context.actor, version=input.version, reason=input.reason,
                                                  today=await business_date.current(), now=clock.now_utc(), policy=_policy(info))
        except DomainError as exc:
            return RuleSetChangePayload(rule_set=None, command=None, errors=[risk_error(exc)])
        return await _ruleset_change(made)

    @strawberry.mutation(description="停用本行规则集版本、改用平台默认（法人行系统管理员）：生成待复核申请，复核通过后生效", permission_classes=[IsAdmin])
    async def rule_set_use_platform_default(self, info: Info, input: Annotated[RuleSetUsePlatformDefaultInput, INPUT]) -> RuleSetChangePayload:
        try:
            made = await propose_use_platform_default(actor=info.context.actor, kind=RuleSetKindModel(input.kind.value), reason=input.reason,
                                                      today=await business_date.current(), now=clock.now_utc(), policy=_policy(info))
        except DomainError as exc:
            return RuleSetChangePayload(rule_set=None, command=None, errors=[risk_error(exc)])
        return await _ruleset_change(made)

    @strawberry.mutation(description="列入黑名单或灰名单（支行行长、系统管理员）：生成待复核申请，复核通过后生效", permission_classes=[CanManageLists])
    async def list_entry_add(self, info: Info, input: Annotated[ListEntryAddInput, INPUT]) -> ListEntryPayload:
        try:
            made = await propose_list_add(
                actor=info.context.actor, vault=info.context.vault, id_number=input.id_number, name=input.name,
                list_kind=input.list_kind.value, reason=input.reason, today=await business_date.current(), expires_on=input.expires_on,
                now=clock.now_utc(), policy=_policy(info),
            )
        except DomainError as exc:
            return ListEntryPayload(entry=None, command=None, errors=[risk_error(exc)])
        return await _entry_payload(made)

    @strawberry.mutation(description="移出名单（支行行长、系统管理员）：生成待复核申请，复核通过后生效", permission_classes=[CanManageLists])
    async def list_entry_remove(self, info: Info, input: Annotated[ListEntryRemoveInput, INPUT]) -> ListEntryPayload:
        try:
            made = await propose_list_remove(
                actor=info.context.actor, entry_id=decode_id(input.entry_id, "ListEntry", field="entry_id"), reason=input.reason,
                today=await business_date.current(), now=clock.now_utc(), policy=_policy(info),
            )
        except DomainError as exc:
            return ListEntryPayload(entry=None, command=None, errors=[risk_error(exc)])
        return await _entry_payload(made)
