"""The enums the landed migrations import from this path (a landed migration is never edited).

They are the domain's (`app/domain/vocabulary.py`); code imports them from there.
"""

from app.domain.vocabulary import (
    ActorType,
    BranchLevel,
    CoreOutcome,
    CreditLineStatus,
    CustomerLink,
    DocumentKind,
    InstallmentStatus,
    LoanClass,
    LoanStatus,
    ProductKind,
    Relation,
    Role,
    VerifyStatus,
)

__all__ = [
    "ActorType", "BranchLevel", "CoreOutcome", "CreditLineStatus", "CustomerLink", "DocumentKind", "InstallmentStatus",
    "LoanClass", "LoanStatus", "ProductKind", "Relation", "Role", "VerifyStatus",
]
