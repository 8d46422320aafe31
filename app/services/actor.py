"""Who is acting: passed explicitly into every service."""

from __future__ import annotations

from dataclasses import dataclass, field
from uuid import UUID

from app.domain.vocabulary import ActorType, Role


@dataclass(frozen=True, slots=True)
class Actor:
    type: ActorType
    id: UUID | None = None
    role: Role | None = None
    branch_ids: frozenset[UUID] = field(default_factory=frozenset)  # branches in scope (own + descendants)
    # the member bank acted for: None for platform staff, a borrower (acting across banks) and the system
    bank_id: UUID | None = None
    # a borrower: their customer records at every member bank (one person, one record per bank; `id` is the
    # record they signed in with). Empty for everyone else.
    customer_ids: frozenset[UUID] = field(default_factory=frozenset)
    # a report key with the PII scope (ReportKey.pii_scope): reportCustomers reveals names, ID numbers and phones to it, audited
    pii_scope: bool = False
    display_name: str = ""
    request_id: str = ""
    ip: str = ""

    @property
    def is_officer(self) -> bool:
        return self.type == ActorType.OFFICER

    def in_branch(self, branch_id: UUID) -> bool:
        return branch_id in self.branch_ids

    def is_customer(self, customer_id: UUID) -> bool:
        """Is this borrower the person of customer record `customer_id` (at any member bank)?"""
        return self.type == ActorType.CUSTOMER and self.id is not None and (customer_id == self.id or customer_id in self.customer_ids)


SYSTEM = Actor(type=ActorType.SYSTEM, display_name="system")
