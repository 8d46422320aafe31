"""The business's vocabulary: statuses, kinds and decisions, each enum with its one Chinese label table.

Models store these values (lowercase strings in CharEnumField columns), services decide with
them, the GraphQL layer exposes them (`strawberry.enum(...)` of these very classes: the names
are the schema's enum values) and pages show their labels (`member.label`). Enums that belong
to one rule area live beside the rules: repayment methods (`schedule/conventions.py`), LPR
tenors (`lpr.py`), the five-tier class (`classification.py`), warning kinds, severities and
statuses (`warnings.py`), customer tags (`tags.py`), visit statuses (`visit.py`), appraisal
grades (`appraisal.py`). Everything else that more than one layer names is here.
"""

from enum import StrEnum

from app.domain.classification import LoanClass as _LoanClass
from app.domain.lpr import Tenor
from app.domain.schedule.conventions import Method


class Role(StrEnum):
    OFFICER = "officer"
    APPROVER = "approver"
    BRANCH_MANAGER = "branch_manager"
    ADMIN = "admin"
    AUDITOR = "auditor"

    @property
    def label(self) -> str:
        return ROLE_LABELS[self]


ROLE_LABELS = {
    Role.OFFICER: "客户经理",
    Role.APPROVER: "审批人",
    Role.BRANCH_MANAGER: "支行行长",
    Role.ADMIN: "系统管理员",
    Role.AUDITOR: "审计员",
}


class BranchLevel(StrEnum):
    HEAD = "head"  # 总行 / 联社
    BRANCH = "branch"  # 支行
    OUTLET = "outlet"  # 分理处 / 网点


class Relation(StrEnum):
    HEAD = "head"  # 户主
    SPOUSE = "spouse"
    CHILD = "child"
    PARENT = "parent"
    OTHER = "other"


class CustomerLink(StrEnum):
    SPOUSE = "spouse"
    FAMILY = "family"
    CO_BORROWER = "co_borrower"
    GUARANTOR = "guarantor"

    @property
    def label(self) -> str:
        return RELATIONSHIP_LABELS[self]


class RelationshipKind(StrEnum):
    """An edge of the relationship graph: living in one household, or a recorded customer link."""

    HOUSEHOLD = "household"  # 同户 (no direction)
    SPOUSE = CustomerLink.SPOUSE.value
    FAMILY = CustomerLink.FAMILY.value
    CO_BORROWER = CustomerLink.CO_BORROWER.value
    GUARANTOR = CustomerLink.GUARANTOR.value

    @property
    def label(self) -> str:
        return RELATIONSHIP_LABELS[self]


RELATIONSHIP_LABELS = {"household": "同户", "spouse": "配偶", "family": "亲属", "co_borrower": "共同借款人", "guarantor": "担保人"}


class ProductKind(StrEnum):
    TERM = "term"  # 按期还款
    REVOLVING = "revolving"  # 随借随还


# Owned by the schedule and LPR rules; stored by models under these names.
RepaymentMethod = Method
LprTenor = Tenor


class CreditLineStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    EXPIRED = "expired"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return CREDIT_LINE_STATUS_LABELS[self]


CREDIT_LINE_STATUS_LABELS = {CreditLineStatus.ACTIVE: "有效", CreditLineStatus.FROZEN: "冻结", CreditLineStatus.EXPIRED: "到期", CreditLineStatus.CLOSED: "关闭"}


class LoanStatus(StrEnum):
    DISBURSING = "disbursing"  # 放款处理中: the core's answer is not known yet (no ledger, no accrual)
    ACTIVE = "active"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"  # 未放款: the core refused a disbursement that was 处理中

    @property
    def label(self) -> str:
        return LOAN_STATUS_LABELS[self]


LOAN_STATUS_LABELS = {
    LoanStatus.DISBURSING: "放款处理中",
    LoanStatus.ACTIVE: "未结清",
    LoanStatus.SETTLED: "已结清",
    LoanStatus.WRITTEN_OFF: "已核销",
    LoanStatus.CANCELLED: "未放款（已撤销）",
}


class InstallmentStatus(StrEnum):
    PENDING = "pending"
    OVERDUE = "overdue"
    PAID = "paid"


LoanClass = _LoanClass  # five-tier class (正常/关注/次级/可疑/损失), owned by classification.py


class DocumentKind(StrEnum):
    ID_CARD_FRONT = "id_card_front"
    ID_CARD_BACK = "id_card_back"
    PORTRAIT = "portrait"
    FACE_CAPTURE = "face_capture"
    ASSET_PHOTO = "asset_photo"
    AUTHORISATION = "authorisation"
    CONTRACT = "contract"
    SIGNATURE = "signature"
    CREDIT_REPORT = "credit_report"
    OTHER = "other"

    @property
    def label(self) -> str:
        return DOCUMENT_KIND_LABELS[self]


DOCUMENT_KIND_LABELS = {
    DocumentKind.ID_CARD_FRONT: "身份证人像面",
    DocumentKind.ID_CARD_BACK: "身份证国徽面",
    DocumentKind.PORTRAIT: "证件照",
    DocumentKind.FACE_CAPTURE: "人脸采集",
    DocumentKind.ASSET_PHOTO: "资产照片",
    DocumentKind.AUTHORISATION: "征信查询授权书",
    DocumentKind.CONTRACT: "授信合同",
    DocumentKind.SIGNATURE: "手写签名",
    DocumentKind.CREDIT_REPORT: "征信报告",
    DocumentKind.OTHER: "其他",
}


class ContractStatus(StrEnum):
    DRAFT = "draft"  # created; the PDF is being rendered (or rendering failed: see `error`)
    RENDERED = "rendered"  # unsigned PDF with every signature field
    BORROWER_SIGNED = "borrower_signed"
    CO_BORROWER_SIGNED = "co_borrower_signed"
    SEALED = "sealed"  # the bank's PAdES seal: final

    @property
    def label(self) -> str:
        return CONTRACT_STATUS_LABELS[self]


CONTRACT_STATUS_LABELS = {
    ContractStatus.DRAFT: "生成中",
    ContractStatus.RENDERED: "待借款人签署",
    ContractStatus.BORROWER_SIGNED: "待共同借款人签署",
    ContractStatus.CO_BORROWER_SIGNED: "待银行盖章",
    ContractStatus.SEALED: "已盖章生效",
}


class OutboxKind(StrEnum):
    """A message to the provincial system (the outbox)."""

    LINE_GRANTED = "line_granted"
    CONTRACT_SIGNED = "contract_signed"

    @property
    def label(self) -> str:
        return OUTBOX_KIND_LABELS[self]


OUTBOX_KIND_LABELS = {OutboxKind.LINE_GRANTED: "额度授信", OutboxKind.CONTRACT_SIGNED: "合同签署"}


class VerifyStatus(StrEnum):
    PENDING = "pending"
    OK = "ok"
    FAILED = "failed"


class ActorType(StrEnum):
    OFFICER = "officer"
    CUSTOMER = "customer"
    API_KEY = "api_key"
    SYSTEM = "system"


class CoreOutcome(StrEnum):
    """What a core-banking instruction came to: 处理中 until the core's answer is known."""

    PENDING = "pending"
    DONE = "done"
    REFUSED = "refused"


# --- risk control -----------------------------------------------------------------------------


class RiskOutcome(StrEnum):
    """A credit check's or a strategy's decision."""

    PASS = "pass"
    REVIEW = "review"
    REJECT = "reject"

    @property
    def label(self) -> str:
        return RISK_OUTCOME_LABELS[self]


RISK_OUTCOME_LABELS = {RiskOutcome.PASS: "通过", RiskOutcome.REVIEW: "人工复核", RiskOutcome.REJECT: "拒绝"}


class RiskPurpose(StrEnum):
    SIGNING = "signing"  # 面签
    DRAWDOWN = "drawdown"  # 用信

    @property
    def label(self) -> str:
        return RISK_PURPOSE_LABELS[self]


RISK_PURPOSE_LABELS = {RiskPurpose.SIGNING: "面签", RiskPurpose.DRAWDOWN: "用信"}


class CreditQueryStatus(StrEnum):
    PENDING = "pending"  # written before the bureau is called: a crash still leaves a record
    OK = "ok"
    FAILED = "failed"
    TIMEOUT = "timeout"


class RuleSetKind(StrEnum):
    REJECT = "reject"  # credit-report reject rules (app/domain/rules/engine.py)
    STRATEGY = "strategy"  # admission, anti-fraud, limit and pricing (app/domain/rules/strategies.py)

    @property
    def label(self) -> str:
        return RULESET_KIND_LABELS[self]


RULESET_KIND_LABELS = {RuleSetKind.REJECT: "征信拒绝规则集", RuleSetKind.STRATEGY: "准入、反欺诈、额度与定价策略"}


class ListKind(StrEnum):
    BLACK = "black"
    GREY = "grey"

    @property
    def label(self) -> str:
        return LIST_KIND_LABELS[self]


LIST_KIND_LABELS = {ListKind.BLACK: "黑名单", ListKind.GREY: "灰名单"}


class IdentityOutcome(StrEnum):
    MATCH = "match"
    MISMATCH = "mismatch"  # the service answered: not this person (reason_code says why)
    TIMEOUT = "timeout"
    FAILED = "failed"

    @property
    def label(self) -> str:
        return IDENTITY_OUTCOME_LABELS[self]


IDENTITY_OUTCOME_LABELS = {IdentityOutcome.MATCH: "一致", IdentityOutcome.MISMATCH: "不一致", IdentityOutcome.TIMEOUT: "超时", IdentityOutcome.FAILED: "失败"}


# --- collections ------------------------------------------------------------------------------


class CollectionStatus(StrEnum):
    OPEN = "open"
    CLOSED = "closed"

    @property
    def label(self) -> str:
        return COLLECTION_STATUS_LABELS[self]


class CollectionActionKind(StrEnum):
    CALL = "call"  # 电话催收
    VISIT = "visit"  # 上门催收
    PROMISE_TO_PAY = "promise_to_pay"  # 承诺还款
    LEGAL = "legal"  # 法律催收

    @property
    def label(self) -> str:
        return COLLECTION_ACTION_LABELS[self]


class CloseReason(StrEnum):
    CURED = "cured"  # nothing overdue any more
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"

    @property
    def label(self) -> str:
        return CLOSE_REASON_LABELS[self]


COLLECTION_STATUS_LABELS = {CollectionStatus.OPEN: "催收中", CollectionStatus.CLOSED: "已结束"}
COLLECTION_ACTION_LABELS = {
    CollectionActionKind.CALL: "电话催收",
    CollectionActionKind.VISIT: "上门催收",
    CollectionActionKind.PROMISE_TO_PAY: "承诺还款",
    CollectionActionKind.LEGAL: "法律催收",
}
CLOSE_REASON_LABELS = {CloseReason.CURED: "逾期款项已还清", CloseReason.SETTLED: "借据已结清", CloseReason.WRITTEN_OFF: "已核销"}


# --- the borrower's app -----------------------------------------------------------------------


class ApplicationStatus(StrEnum):
    """A loan application made in the mobile app."""

    AWAITING_CODE = "awaiting_code"  # approved; the customer confirms with the SMS code
    DISBURSED = "disbursed"
    REJECTED = "rejected"  # the risk rules said no
    REFERRED = "referred"  # the rules want a person to look: not decided online
