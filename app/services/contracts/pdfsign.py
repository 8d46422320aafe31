"""PDF signature fields, signing and validation with pyhanko (synchronous; call through a thread).

Multi-signer rule (docs/stack.md#pdf): every signature field is created in the unsigned PDF; each
signature then fills an existing field in its own incremental update, and nothing else changes
after the first signature. All signatures are approval signatures (no certification), in the
order borrower → co-borrower → bank seal; the seal is PAdES B-T when a time stamp is available.
"""

from __future__ import annotations

import io
from dataclasses import dataclass
from datetime import datetime

from cryptography import x509
from PIL import Image
from pyhanko.pdf_utils import layout
from pyhanko.pdf_utils.images import PdfImage
from pyhanko.pdf_utils.incremental_writer import IncrementalPdfFileWriter
from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader
from pyhanko.sign import fields, signers
from pyhanko.sign.diff_analysis import ModificationLevel
from pyhanko.sign.fields import SigFieldSpec, SigSeedSubFilter
from pyhanko.sign.validation.errors import SignatureValidationError
from pyhanko.sign.timestamps.api import TimeStamper
from pyhanko.sign.timestamps.dummy_client import DummyTimeStamper
from pyhanko.sign.validation import validate_pdf_signature
from pyhanko.sign.validation.status import SignatureCoverageLevel
from pyhanko.stamp import TextStampStyle
from pyhanko_certvalidator import ValidationContext
from pyhanko_certvalidator.registry import SimpleCertificateStore

from app.services.contracts.pki import PrivateKey, SigningPki, asn1_cert, asn1_key

ACCEPTABLE_CHANGES = (ModificationLevel.NONE, ModificationLevel.LTA_UPDATES, ModificationLevel.FORM_FILLING)


@dataclass(frozen=True, slots=True)
class FieldBox:
    """A signature field: name, 0-based page, box (x1, y1, x2, y2) in PDF points from bottom-left."""

    name: str
    page: int
    box: tuple[float, float, float, float]


@dataclass(frozen=True, slots=True)
class SignatureCheck:
    field: str
    signer: str
    ok: bool
    message: str  # Chinese, for the operator
    timestamped: bool = False
    signed_at: datetime | None = None


def add_signature_fields(pdf: bytes, boxes: list[FieldBox]) -> bytes:
    """Add empty signature fields in one incremental update (only before any signature)."""
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    for b in boxes:
        fields.append_signature_field(writer, SigFieldSpec(sig_field_name=b.name, on_page=b.page, box=b.box))
    out = io.BytesIO()
    writer.write(out)
    return out.getvalue()


def field_names(pdf: bytes) -> dict[str, bool]:
    """Signature fields of a PDF: name -> already signed."""
    reader = PdfFileReader(io.BytesIO(pdf), strict=False)
    return {name: value is not None for name, value, _ in fields.enumerate_sig_fields(reader, filled_status=None)}


def _stamp_style(picture: Image.Image) -> TextStampStyle:
    """The field's appearance: one picture (text already drawn into it, see stamps.py), no border."""
    return TextStampStyle(
        stamp_text="",
        background=PdfImage(picture),
        background_opacity=1,
        background_layout=layout.SimpleBoxLayoutRule(
            x_align=layout.AxisAlignment.ALIGN_MID, y_align=layout.AxisAlignment.ALIGN_MID, margins=layout.Margins(1, 1, 1, 1)
        ),
        border_width=0,
    )


def local_timestamper(pki: SigningPki) -> TimeStamper | None:
    """The time-stamp authority for the seal: HTTP if configured, the dev PKI's local one, or none (B-B)."""
    if pki.tsa_url:
        from pyhanko.sign.timestamps.requests_client import RequestsHTTPTimeStamper

        return RequestsHTTPTimeStamper(pki.tsa_url, timeout=10)
    if pki.tsa_cert is not None and pki.tsa_key is not None:
        return DummyTimeStamper(
            tsa_cert=asn1_cert(pki.tsa_cert), tsa_key=asn1_key(pki.tsa_key),
            certs_to_embed=SimpleCertificateStore.from_certs([asn1_cert(c) for c in pki.chain]),
        )
    return None


def sign_field(
    pdf: bytes,
    *,
    field: str,
    key: PrivateKey,
    cert: x509.Certificate,
    chain: tuple[x509.Certificate, ...],
    reason: str,
    location: str,
    appearance: Image.Image,
    timestamper: TimeStamper | None = None,
) -> bytes:
    """Sign the existing, empty field `field` (PAdES baseline signature) in one incremental update."""
    signer = signers.SimpleSigner(
        signing_cert=asn1_cert(cert), signing_key=asn1_key(key),
        cert_registry=SimpleCertificateStore.from_certs([asn1_cert(c) for c in chain]),
    )
    meta = signers.PdfSignatureMetadata(
        field_name=field, subfilter=SigSeedSubFilter.PADES, md_algorithm="sha256", reason=reason, location=location,
    )
    writer = IncrementalPdfFileWriter(io.BytesIO(pdf))
    out = io.BytesIO()
    signers.PdfSigner(meta, signer, timestamper=timestamper, stamp_style=_stamp_style(appearance)).sign_pdf(
        writer, output=out, existing_fields_only=True
    )
    return out.getvalue()


def validate_pdf(pdf: bytes, trust_roots: tuple[x509.Certificate, ...]) -> list[SignatureCheck]:
    """Validate every signature offline (no fetching) against the given roots.

    A signature passes when it is intact, cryptographically valid, chains to a root, its time
    stamp (if any) is valid and trusted, and what was added after it is at most form filling
    (the later signatures). The last signature must cover the whole file. A PDF pyhanko cannot
    read gives one failed check named "(文件)".
    """
    roots = [asn1_cert(c) for c in trust_roots]
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        embedded = list(reader.embedded_signatures)
    except (PdfError, ValueError, KeyError, TypeError) as exc:
        return [SignatureCheck(field="(文件)", signer="", ok=False, message=f"PDF 无法解析：{type(exc).__name__}")]
    checks = []
    for n, sig in enumerate(embedded):
        context = ValidationContext(trust_roots=roots, allow_fetching=False)
        ts_context = ValidationContext(trust_roots=roots, allow_fetching=False)
        name = sig.field_name or f"#{n + 1}"
        try:
            status = validate_pdf_signature(sig, signer_validation_context=context, ts_validation_context=ts_context)
        except (SignatureValidationError, PdfError, ValueError, KeyError, TypeError) as exc:
            checks.append(SignatureCheck(field=name, signer="", ok=False, message=f"签名无法验证：{type(exc).__name__}"))
            continue
        signer = status.signing_cert.subject.native.get("common_name", "") if status.signing_cert else ""
        timestamped = status.timestamp_validity is not None
        last = n == len(embedded) - 1
        problems = []
        if not status.intact:
            problems.append("签名后内容被改动")
        elif not status.valid:
            problems.append("签名值无效")
        if not status.trusted:
            problems.append("证书不受信任")
        if timestamped and not (status.timestamp_validity.intact and status.timestamp_validity.valid and status.timestamp_validity.trusted):
            problems.append("时间戳无效")
        if status.modification_level is not None and status.modification_level not in ACCEPTABLE_CHANGES:
            problems.append("签名后文件被修改")
        if not status.bottom_line and not problems:
            problems.append("签名校验未通过")
        if last and status.coverage != SignatureCoverageLevel.ENTIRE_FILE:
            problems.append("最后一个签名之后有未签名的内容")
        signed_at = status.timestamp_validity.timestamp if timestamped else status.signer_reported_dt
        checks.append(
            SignatureCheck(field=name, signer=signer, ok=not problems, message="；".join(problems) or "签名有效",
                           timestamped=timestamped, signed_at=signed_at)
        )
    return checks
