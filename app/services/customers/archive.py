"""The customer's e-archive (电子档案): every stored document, its hash, and a full re-check.

A customer's archive is every `Document` whose customer is them (their guarantee contracts and
guarantor's consents included), plus the PDF versions of contracts on which they are the co-borrower. `verify_archive` re-hashes every file against its
content address and validates every signature in every PDF offline (pyhanko, no fetching)
against the signing trust roots; a contract version must also carry as many signatures as its
place in the signing order says (a sealed contract with only two of three signatures fails).
"""

from __future__ import annotations

import asyncio
import hashlib
from dataclasses import dataclass, field
from uuid import UUID

from cryptography import x509
from tortoise.expressions import Q

from app.domain.errors import NotFound
from app.models import Contract, Customer, Document, GuaranteeMember, GuaranteeRenewal, GuarantorConsent
from app.domain.vocabulary import ActorType
from app.services import audit
from app.services.actor import Actor
from app.services.contracts.signed_text import SIGNATURES as SIGNED_TEXT_SIGNATURES
from app.services.contracts.pdfsign import SignatureCheck, validate_pdf
from app.services.customers.trail import Trail, customer_trail
from app.services.documents import MediaStore

@dataclass(frozen=True, slots=True)
class DocumentCheck:
    document: Document
    hash_ok: bool
    hash_message: str
    signatures: list[SignatureCheck] = field(default_factory=list)
    expected_signatures: int | None = None  # for contract versions

    @property
    def signatures_ok(self) -> bool:
        if self.expected_signatures is not None and len(self.signatures) != self.expected_signatures:
            return False
        return all(s.ok for s in self.signatures)

    @property
    def ok(self) -> bool:
        return self.hash_ok and self.signatures_ok


@dataclass(frozen=True, slots=True)
class ArchiveReport:
    customer: Customer
    checks: list[DocumentCheck]

    @property
    def ok(self) -> bool:
        return all(c.ok for c in self.checks)


async def _contract_versions(customer_id: UUID) -> dict[UUID, int]:
    """Document id -> signatures it must carry, for every contract the customer is party to (as borrower, co-borrower or guarantor)."""
    expected: dict[UUID, int] = {}
    contracts = await Contract.filter(Q(customer_id=customer_id) | Q(co_borrower_id=customer_id))
    for c in contracts:
        signers_before_bank = 2 if c.co_borrower_id else 1
        for doc_id, count in (
            (c.unsigned_document_id, 0),
            (c.borrower_signed_document_id, 1),
            (c.co_borrower_signed_document_id, 2),
            (c.sealed_document_id, signers_before_bank + 1),
        ):
            if doc_id is not None:
                expected[doc_id] = count
    # the guarantee contracts and extension consents the customer signed as a guarantor: their signature and the seal
    for doc_id in await GuaranteeMember.filter(customer_id=customer_id, document_id__not_isnull=True).values_list("document_id", flat=True):
        expected[doc_id] = SIGNED_TEXT_SIGNATURES
    for doc_id in await GuarantorConsent.filter(member__customer_id=customer_id, document_id__not_isnull=True).values_list("document_id", flat=True):
        expected[doc_id] = SIGNED_TEXT_SIGNATURES
    for doc_id in await GuaranteeRenewal.filter(member__customer_id=customer_id).values_list("document_id", flat=True):
        expected[doc_id] = SIGNED_TEXT_SIGNATURES
    return expected


async def visible_customer(actor: Actor, customer_id: UUID) -> Customer:
    """The customer if in the officer's branch scope (staff and the system only); anything else is missing."""
    customer = await Customer.get_or_none(id=customer_id)
    if customer is None or (actor.is_officer and not actor.in_branch(customer.branch_id)):
        raise NotFound("客户不存在", field="customer_id")
    if actor.type not in (ActorType.OFFICER, ActorType.SYSTEM):
        raise NotFound("客户不存在", field="customer_id")
    return customer


@dataclass(frozen=True)
class CustomerArchive:
    customer: Customer
    documents: list[Document]  # oldest first
    contracts: list[Contract]  # newest first
    trail: Trail | None = None  # 村 › 户 › 人, for the breadcrumbs


async def customer_archive(*, actor: Actor, customer_id: UUID) -> tuple[Customer, list[Document]]:
    """The customer (in the officer's branch scope) and their documents, oldest first."""
    customer = await visible_customer(actor, customer_id)
    versions = await _contract_versions(customer.id)
    condition = Q(customer_id=customer.id) | Q(id__in=list(versions)) if versions else Q(customer_id=customer.id)
    docs = await Document.filter(condition).order_by("created_at", "id")
    return customer, docs


async def customer_file(*, actor: Actor, customer_id: UUID) -> CustomerArchive:
    """The e-archive page: the customer's documents and contracts."""
    customer, documents = await customer_archive(actor=actor, customer_id=customer_id)
    contracts = await Contract.filter(customer_id=customer.id).order_by("-created_at")
    return CustomerArchive(customer=customer, documents=documents, contracts=contracts, trail=await customer_trail(customer.id))


def _check_hash(media: MediaStore, doc: Document) -> tuple[bool, str, bytes | None]:
    try:
        data = media.get(doc.sha256)
    except FileNotFoundError:
        return False, "文件缺失", None
    if hashlib.sha256(data).hexdigest() != doc.sha256:
        return False, "文件内容与哈希不符", data
    if len(data) != doc.size_bytes:
        return False, "文件大小与记录不符", data
    return True, "哈希一致", data


async def verify_archive(*, actor: Actor, customer_id: UUID, media: MediaStore, trust_roots: tuple[x509.Certificate, ...]) -> ArchiveReport:
    """Re-hash every file and validate every PDF signature of the customer's archive."""
    customer, docs = await customer_archive(actor=actor, customer_id=customer_id)
    expected = await _contract_versions(customer.id)
    checks = []
    for doc in docs:
        hash_ok, message, data = await asyncio.to_thread(_check_hash, media, doc)
        signatures: list[SignatureCheck] = []
        if data is not None and (doc.content_type == "application/pdf" or data.startswith(b"%PDF")):
            signatures = await asyncio.to_thread(validate_pdf, data, trust_roots)
        checks.append(DocumentCheck(document=doc, hash_ok=hash_ok, hash_message=message, signatures=signatures, expected_signatures=expected.get(doc.id)))
    return ArchiveReport(customer=customer, checks=checks)


async def open_document(*, actor: Actor, document_id: UUID, media: MediaStore) -> tuple[Document, bytes]:
    """A document of a customer in the actor's scope, read for download (each download is audited)."""
    doc = await Document.get_or_none(id=document_id)
    if doc is None or doc.customer_id is None:
        raise NotFound("文件不存在", field="document_id")
    await customer_archive(actor=actor, customer_id=doc.customer_id)  # scope check: same NotFound otherwise
    try:
        data = await asyncio.to_thread(media.get, doc.sha256)
    except FileNotFoundError:
        raise NotFound("文件已缺失，请联系管理员", field="document_id") from None
    await audit.record(actor, "document.download", "document", doc.id, after={"sha256": doc.sha256})
    return doc, data


__all__ = ["ArchiveReport", "DocumentCheck", "customer_archive", "open_document", "verify_archive"]
