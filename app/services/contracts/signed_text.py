"""A short text document signed by one customer and sealed by the member bank, for the e-archive.

The 联保 guarantee contract (app/services/guarantees.py) and a guarantor's written consent to an extension
(app/services/lending/extension.py) are each a one-page PDF (textpdf.py) with two signature fields: the
customer's, signed with a one-time certificate issued in their name at that moment, then the bank's seal
(PAdES, B-T with a time stamp) — the same two steps as the credit contract (`sign_as_customer`,
`seal_pdf` in signing.py), each validated before the next. `sign_text_document` does the work outside
any transaction and puts the signed file into the content-addressed media store; the caller records it
with `archive_signed_text` inside its own transaction, next to the record the PDF belongs to. A failure
before that records nothing (a stored blob nobody references is harmless; a retry stores the same kind of file
again).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime
from uuid import UUID
from zoneinfo import ZoneInfo

from app.domain.vocabulary import DocumentKind
from app.models import Bank, Document
from app.services.actor import Actor
from app.services.contracts.stamps import name_image
from app.services.contracts.signing import SigningKit, seal_pdf, sign_as_customer
from app.services.contracts.textpdf import TextDocument, text_pdf
from app.services.risk.common import officer_id

SIGNER_FIELD, BANK_FIELD = "signer", "bank"
SIGNATURES = 2  # what archive verification expects on such a PDF: the customer's and the seal


@dataclass(frozen=True, slots=True)
class SignedText:
    pdf: bytes
    sha256: str
    signer_serial: str  # the one-time certificate's serial
    seal_serial: str
    pades_level: str  # of the seal: B-T with a time stamp, B-B without


async def sign_text_document(
    *, kit: SigningKit, title: str, lines: tuple[str, ...], signer_name: str, signer_label: str, witness: str, reason: str, seal_reason: str,
    bank: Bank, now: datetime,
) -> SignedText:
    """Render, sign as `signer_name` (`signer_label`: 保证人…), seal as `bank`; store the file in the media store."""
    unsigned = await asyncio.to_thread(
        text_pdf, TextDocument(title=title, lines=lines, signers=((SIGNER_FIELD, f"{signer_label}（签名）："), (BANK_FIELD, "贷款人（盖章）：")))
    )
    local = now.astimezone(ZoneInfo(kit.business_tz))
    signed, serial = await sign_as_customer(
        unsigned, kit=kit, field=SIGNER_FIELD, name=signer_name, picture=name_image(signer_name),
        lines=(f"{signer_label}：{signer_name}", f"时间：{local:%Y-%m-%d %H:%M:%S}", f"见证：{witness}"), reason=reason, location=bank.name, now=now,
    )
    sealed, pki = await seal_pdf(signed, kit=kit, bank=bank, field=BANK_FIELD, reason=seal_reason, now=now)
    digest = kit.media.put(sealed)
    return SignedText(pdf=sealed, sha256=digest, signer_serial=serial, seal_serial=format(pki.bank_cert.serial_number, "x"), pades_level=pki.seal_level)


async def archive_signed_text(signed: SignedText, *, customer_id: UUID, title: str, actor: Actor) -> Document:
    """The signed PDF as a document of the customer's e-archive (call inside the caller's transaction)."""
    return await Document.create(
        sha256=signed.sha256, kind=DocumentKind.CONTRACT, content_type="application/pdf", size_bytes=len(signed.pdf), customer_id=customer_id,
        uploaded_by_id=officer_id(actor), title=title[:128],
    )
