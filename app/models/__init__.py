"""Tortoise models, one module per aggregate. Only services write them."""

from app.models.appraisal import Appraisal, AppraisalOutcome, Approval, Objection, PanelMember, ReviewDecision, Vote
from app.models.borrower import CardBinding, CardLookup, CustomerDevice, LoanApplication, LoginCode, RefreshToken
from app.models.census import CensusImport
from app.models.classification import AllowanceProvision, ClassUpgradeProposal, LoanClassChange, LoanRisk, LoanWriteOff, WriteOffRecovery
from app.models.collection import CollectionAction, CollectionTask
from app.models.contract import Contract, ContractSignature
from app.models.credit import CoreInstruction, CreditLine, DebitAttempt, ExtensionApplication, Installment, Loan, LoanExtension, LoanRenewal
from app.models.customer import BankCard, Customer, CustomerRelationship
from app.models.document import Document
from app.models.external_data import CreditApplication, ExternalDataConsent, ExternalDataQuery
from app.models.guarantee import GuaranteeGroup, GuaranteeMember, GuaranteeRenewal, GuarantorConsent
from app.models.identity import FaceEnrolment, FaceVerification, IdCardRead, LivenessCheck
from app.models.maker_checker import PendingCommand
from app.models.ledger import IdempotencyRecord, LedgerEntry, LedgerTransaction
from app.models.org import Bank, Branch, LoginIpThrottle, Officer, OfficerSession
from app.models.outbox import OutboxMessage
from app.models.persisted import PersistedDocument
from app.models.portfolio_import import ImportRecord, ImportRun
from app.models.postloan import PostLoanCheck
from app.models.position import LoanPosition, LoanPositionMonthEnd
from app.models.product import LprPublication, Product
from app.models.risk import (
    CreditAuthorisation,
    CreditQuery,
    IdentityVerification,
    ListEntry,
    RiskDecision,
    RiskStrategyDecision,
    RuleSetVersion,
)
from app.models.system import AuditEvent, BusinessCalendar, EodRun
from app.models.village import Household, HouseholdMember, Village, VillageGroup
from app.models.insight import CustomerProfile, CustomerTag
from app.models.reporting import ReportKey
from app.models.sandbox import SandboxCoreTransaction
from app.models.warning import EarlyWarning, WarningAction
from app.models.visit import TrackPoint, Visit

__all__ = [
    "ImportRecord",
    "ImportRun",
    "AuditEvent",
    "Bank",
    "BankCard",
    "Branch",
    "BusinessCalendar",
    "CardBinding",
    "CardLookup",
    "ClassUpgradeProposal",
    "CollectionAction",
    "CollectionTask",
    "CoreInstruction",
    "Contract",
    "ContractSignature",
    "CreditAuthorisation",
    "CreditLine",
    "CreditQuery",
    "Customer",
    "CustomerDevice",
    "CustomerRelationship",
    "DebitAttempt",
    "Document",
    "EarlyWarning",
    "CreditApplication",
    "ExternalDataConsent",
    "ExternalDataQuery",
    "EodRun",
    "GuaranteeGroup",
    "GuaranteeMember",
    "GuaranteeRenewal",
    "GuarantorConsent",
    "FaceEnrolment",
    "FaceVerification",
    "IdCardRead",
    "LivenessCheck",
    "Household",
    "HouseholdMember",
    "IdempotencyRecord",
    "IdentityVerification",
    "Installment",
    "LedgerEntry",
    "LoanWriteOff",
    "WriteOffRecovery",
    "AllowanceProvision",
    "PendingCommand",
    "LedgerTransaction",
    "LoanClassChange",
    "LoanRisk",
    "LoanPosition",
    "LoanPositionMonthEnd",
    "ListEntry",
    "LoanApplication",
    "LoginCode",
    "Loan",
    "LoanExtension",
    "ExtensionApplication",
    "LoanRenewal",
    "LprPublication",
    "LoginIpThrottle",
    "Officer",
    "OfficerSession",
    "OutboxMessage",
    "PersistedDocument",
    "PostLoanCheck",
    "Product",
    "RefreshToken",
    "RiskDecision",
    "RiskStrategyDecision",
    "RuleSetVersion",
    "Village",
    "VillageGroup",
    "WarningAction",
    "Appraisal",
    "AppraisalOutcome",
    "Approval",
    "CensusImport",
    "Objection",
    "PanelMember",
    "ReviewDecision",
    "Vote",
    "CustomerProfile",
    "CustomerTag",
    "ReportKey",
    "SandboxCoreTransaction",
    "TrackPoint",
    "Visit",
]
