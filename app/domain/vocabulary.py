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
from app.domain.ledger import Account
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
    PLATFORM = "platform"  # 市农信中心: the one node above every member bank (its staff read across banks)
    HEAD = "head"  # 总行 / 联社: a member bank's head office, the root of that bank's tree
    BRANCH = "branch"  # 支行
    OUTLET = "outlet"  # 分理处 / 网点

    @property
    def label(self) -> str:
        return BRANCH_LEVEL_LABELS[self]


BRANCH_LEVEL_LABELS = {BranchLevel.PLATFORM: "平台", BranchLevel.HEAD: "总行", BranchLevel.BRANCH: "支行", BranchLevel.OUTLET: "网点"}


class BankKind(StrEnum):
    """The kind of a member bank (法人行)."""

    RURAL_COMMERCIAL = "rural_commercial"
    RURAL_CREDIT_UNION = "rural_credit_union"

    @property
    def label(self) -> str:
        return BANK_KIND_LABELS[self]


BANK_KIND_LABELS = {BankKind.RURAL_COMMERCIAL: "农商行", BankKind.RURAL_CREDIT_UNION: "农信联社"}


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
    SHARED_EMPLOYER = "shared_employer"  # 同一缴存单位: the same 公积金 paying unit (no direction; external data, issue 20)

    @property
    def label(self) -> str:
        return RELATIONSHIP_LABELS[self]


RELATIONSHIP_LABELS = {"household": "同户", "spouse": "配偶", "family": "亲属", "co_borrower": "共同借款人", "guarantor": "担保人",
                       "shared_employer": "同一公积金缴存单位"}


class ProductKind(StrEnum):
    TERM = "term"  # 按期还款
    REVOLVING = "revolving"  # 随借随还

    @property
    def label(self) -> str:
        return PRODUCT_KIND_LABELS[self]


PRODUCT_KIND_LABELS = {ProductKind.TERM: "按期还款（分期）", ProductKind.REVOLVING: "随借随还（循环）"}


class GuaranteeMethod(StrEnum):
    """A product's 担保方式 as regulatory reports name it (Product.guarantee_method stores the value)."""

    CREDIT = "credit"
    GUARANTEE = "guarantee"
    MORTGAGE = "mortgage"
    PLEDGE = "pledge"

    @property
    def label(self) -> str:
        return GUARANTEE_METHOD_LABELS[self]


GUARANTEE_METHOD_LABELS = {GuaranteeMethod.CREDIT: "信用", GuaranteeMethod.GUARANTEE: "保证", GuaranteeMethod.MORTGAGE: "抵押",
                           GuaranteeMethod.PLEDGE: "质押"}


class GuaranteeGroupStatus(StrEnum):
    """A 联保 group (GuaranteeGroup.status stores the value)."""

    ACTIVE = "active"
    DISSOLVED = "dissolved"

    @property
    def label(self) -> str:
        return GUARANTEE_GROUP_STATUS_LABELS[self]


GUARANTEE_GROUP_STATUS_LABELS = {GuaranteeGroupStatus.ACTIVE: "有效", GuaranteeGroupStatus.DISSOLVED: "已解散"}


class ExtensionApplicationStatus(StrEnum):
    """A borrower's application for 展期 in the app (ExtensionApplication.status stores the value)."""

    PENDING = "pending"  # waiting for the officer
    PROPOSED = "proposed"  # the officer proposed the extension (a maker-checker request carries it on)
    DECLINED = "declined"  # the officer declined it with a reason (不予受理)
    EXPIRED = "expired"  # not acted on by the loan's maturity (the day's close after maturity)

    @property
    def label(self) -> str:
        return EXTENSION_APPLICATION_STATUS_LABELS[self]


EXTENSION_APPLICATION_STATUS_LABELS = {
    ExtensionApplicationStatus.PENDING: "待客户经理受理",
    ExtensionApplicationStatus.PROPOSED: "已提交审批",
    ExtensionApplicationStatus.DECLINED: "未获受理",
    ExtensionApplicationStatus.EXPIRED: "已过期",
}


class GuaranteeStatus(StrEnum):
    """One member's 联保 guarantee (GuaranteeMember.status stores the value)."""

    ACTIVE = "active"
    RELEASED = "released"

    @property
    def label(self) -> str:
        return GUARANTEE_STATUS_LABELS[self]


GUARANTEE_STATUS_LABELS = {GuaranteeStatus.ACTIVE: "有效", GuaranteeStatus.RELEASED: "已退出"}


class GuaranteeOrigin(StrEnum):
    """Where a 联保 group was formed (GuaranteeGroup.origin stores the value)."""

    VISIT = "visit"
    APPRAISAL = "appraisal"

    @property
    def label(self) -> str:
        return GUARANTEE_ORIGIN_LABELS[self]


GUARANTEE_ORIGIN_LABELS = {GuaranteeOrigin.VISIT: "走访", GuaranteeOrigin.APPRAISAL: "评议"}


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

    @property
    def label(self) -> str:
        return INSTALLMENT_STATUS_LABELS[self]


INSTALLMENT_STATUS_LABELS = {InstallmentStatus.PENDING: "待还", InstallmentStatus.OVERDUE: "逾期", InstallmentStatus.PAID: "已还清"}


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
    POST_LOAN_CHECK = "post_loan_check"  # a post-loan check's photos and its confirmed record (JSON)
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
    DocumentKind.POST_LOAN_CHECK: "贷后检查",
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
    LOAN_WRITTEN_OFF = "loan_written_off"  # changes what the credit report shows
    LOAN_REVERSED = "loan_reversed"  # a booking reversed (冲正): changes what the credit report shows
    LOAN_EXTENDED = "loan_extended"  # 展期: the new maturity and rate

    @property
    def label(self) -> str:
        return OUTBOX_KIND_LABELS[self]


OUTBOX_KIND_LABELS = {OutboxKind.LINE_GRANTED: "额度授信", OutboxKind.CONTRACT_SIGNED: "合同签署", OutboxKind.LOAN_WRITTEN_OFF: "贷款核销",
                      OutboxKind.LOAN_REVERSED: "冲正", OutboxKind.LOAN_EXTENDED: "贷款展期"}


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
    ONLINE = "online"  # one online product's strategy (app/domain/rules/online.py): one active version per product and bank

    @property
    def label(self) -> str:
        return RULESET_KIND_LABELS[self]


RULESET_KIND_LABELS = {RuleSetKind.REJECT: "征信拒绝规则集", RuleSetKind.STRATEGY: "准入、反欺诈、额度与定价策略", RuleSetKind.ONLINE: "线上产品策略"}


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


class CollectionSource(StrEnum):
    """What opened a collection task (CollectionTask.source stores the value)."""

    EOD = "eod"  # the daily run, when a loan goes overdue (closed when cured)
    POST_LOAN_CHECK = "post_loan_check"  # a confirmed post-loan check that advised 建议催收

    @property
    def label(self) -> str:
        return COLLECTION_SOURCE_LABELS[self]


COLLECTION_SOURCE_LABELS = {CollectionSource.EOD: "日终逾期开立", CollectionSource.POST_LOAN_CHECK: "贷后检查建议催收"}
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

    @property
    def label(self) -> str:
        return APPLICATION_STATUS_LABELS[self]


APPLICATION_STATUS_LABELS = {
    ApplicationStatus.AWAITING_CODE: "已批准，待客户输入短信验证码确认",
    ApplicationStatus.DISBURSED: "已放款",
    ApplicationStatus.REJECTED: "被风控规则拒绝",
    ApplicationStatus.REFERRED: "转人工审查，线上未作决定",
}


# --- plain words for the codes officer pages would otherwise show ----------------------------

# Roles that may see the machinery: hashes, rule codes, model distances and the `cunxin` commands.
TECHNICAL_ROLES = frozenset({Role.ADMIN, Role.AUDITOR})

UNKNOWN_LABEL = "其他"

LEDGER_ACCOUNT_LABELS = {
    Account.LOAN_PRINCIPAL: "贷款本金",
    Account.ACCRUED_INTEREST: "应计利息",
    Account.INTEREST_RECEIVABLE: "应收利息",
    Account.PENALTY_RECEIVABLE: "应收罚息",
    Account.COMPOUND_RECEIVABLE: "应收复利",
    Account.INTEREST_INCOME: "利息收入",
    Account.PENALTY_INCOME: "罚息收入",
    Account.COMPOUND_INCOME: "复利收入",
    Account.CLEARING: "清算往来",
    Account.SUSPENSE: "暂收款",
    Account.OFF_INTEREST: "表外应收利息",
    Account.OFF_PENALTY: "表外应收罚息",
    Account.OFF_COMPOUND: "表外应收复利",
    Account.OFF_ACCRUED_INTEREST: "表外应计利息",
    Account.OFF_BALANCE_CONTRA: "表外科目对转",
    Account.LOAN_LOSS_ALLOWANCE: "贷款损失准备",
    Account.PROVISION_EXPENSE: "信用减值损失",
    Account.WRITTEN_OFF_PRINCIPAL: "已核销贷款本金（表外）",
    Account.WRITTEN_OFF_INTEREST: "已核销利息（表外）",
    Account.RENEWAL_TRANSFER: "续贷转贷过渡",
    Account.MIGRATION_SUSPENSE: "迁移过渡科目",
    Account.MIGRATION_LEGACY: "原系统移交",
}

# LedgerTransaction.kind (app/services/lending/): what each posting was for.


class ReversalMode(StrEnum):
    """How the money of a booking reversed in error (冲正) goes."""

    REFUND = "refund"  # back to the borrower's card through the core (a disbursement: taken back from it)
    REAPPLY = "reapply"  # 调账: applied to the loan it was meant for, no money moves

    @property
    def label(self) -> str:
        return REVERSAL_MODE_LABELS[self]


REVERSAL_MODE_LABELS = {ReversalMode.REFUND: "退回借款人银行卡（放款冲正为从银行卡收回）", ReversalMode.REAPPLY: "调账至正确借据"}


class LedgerKind(StrEnum):
    DISBURSEMENT = "disbursement"
    REPAYMENT = "repayment"
    PREPAYMENT = "prepayment"
    AUTO_DEBIT = "auto_debit"
    ACCRUAL = "accrual"
    INTEREST_DUE = "interest_due"
    PENALTY = "penalty"
    NON_ACCRUAL = "non_accrual"
    PROVISION = "provision"
    RECOVERY = "recovery"
    SETTLEMENT = "settlement"
    WRITE_OFF = "write_off"
    REVERSAL = "reversal"
    REFUND = "refund"
    SUSPENSE_APPLY = "suspense_apply"
    SUSPENSE_REFUND = "suspense_refund"
    RENEWAL = "renewal"  # 无还本续贷: the new loan repays the old principal, no cash

    @property
    def label(self) -> str:
        return LEDGER_KIND_LABELS[self]


LEDGER_KIND_LABELS = {
    LedgerKind.DISBURSEMENT: "放款",
    LedgerKind.REPAYMENT: "还款",
    LedgerKind.PREPAYMENT: "提前还款",
    LedgerKind.AUTO_DEBIT: "自动扣款",
    LedgerKind.ACCRUAL: "利息计提",
    LedgerKind.INTEREST_DUE: "利息到期",
    LedgerKind.PENALTY: "罚息复利计提",
    LedgerKind.NON_ACCRUAL: "转入非应计",
    LedgerKind.PROVISION: "计提贷款损失准备",
    LedgerKind.RECOVERY: "核销后收回",
    LedgerKind.SETTLEMENT: "结清",
    LedgerKind.WRITE_OFF: "核销",
    LedgerKind.REVERSAL: "冲正",
    LedgerKind.REFUND: "退款",
    LedgerKind.SUSPENSE_APPLY: "暂收款冲抵",
    LedgerKind.SUSPENSE_REFUND: "暂收款退回",
    LedgerKind.RENEWAL: "无还本续贷",
}

# The keys of EarlyWarning.evidence (app/domain/warnings.py), as the warning page names them.
EVIDENCE_LABELS = {
    "daysPastDue": "逾期天数",
    "threshold": "预警档位（逾期天数）",
    "previousThreshold": "上次预警档位（逾期天数）",
    "drawn": "已用额度",
    "limit": "授信额度",
    "percent": "用信比例（%）",
    "dueOn": "到期日",
    "grantedOn": "授信日期",
    "lastDrawdownOn": "最近用信日期",
    "institution": "机构",
    "overdueInterest": "逾期利息",
    "overduePrincipal": "逾期本金",
    "on": "日期",
    "queries": "查询记录",
    "reason": "原因",
    "reportOn": "征信报告日期",
    "previousReportOn": "上次征信报告日期",
    "windowFrom": "统计起始日",
    "windowTo": "统计截止日",
    "failedOn": "扣款失败日期",
}


def label_for(labels: dict, code: object) -> str:
    """The label of a stored code, never the code itself (an unknown code reads 其他)."""
    return labels.get(code, UNKNOWN_LABEL)
