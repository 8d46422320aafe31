"""Enumerations stored as lowercase strings (CharEnumField)."""

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


class ProductKind(StrEnum):
    TERM = "term"  # 按期还款
    REVOLVING = "revolving"  # 随借随还


# The domain owns these two; models store their values.
RepaymentMethod = Method
LprTenor = Tenor


class CreditLineStatus(StrEnum):
    ACTIVE = "active"
    FROZEN = "frozen"
    EXPIRED = "expired"
    CLOSED = "closed"


class LoanStatus(StrEnum):
    DISBURSING = "disbursing"  # 放款处理中: the core's answer is not known yet (no ledger, no accrual)
    ACTIVE = "active"
    SETTLED = "settled"
    WRITTEN_OFF = "written_off"
    CANCELLED = "cancelled"  # 未放款: the core refused a disbursement that was 处理中


class InstallmentStatus(StrEnum):
    PENDING = "pending"
    OVERDUE = "overdue"
    PAID = "paid"


LoanClass = _LoanClass  # five-tier class (正常/关注/次级/可疑/损失), owned by the domain


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
