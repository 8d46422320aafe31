"""The signing steps every signed PDF goes through: a customer's signature with a one-time certificate, the member
bank's seal, and validation after each (docs/stack.md#pdf).

The credit contract (service.py), the 联保 guarantee contract and a guarantor's consent (signed_text.py) all sign
through `sign_as_customer` and `seal_pdf`. `SigningKit` is what they need from the edge (app/wiring.py builds it once
per process). The only refusal here is a member bank's seal that cannot be used (`SEAL_UNAVAILABLE`).
"""

from __future__ import annotations

import asyncio
import logging
import os
import threading
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from PIL import Image

from app.domain.error_codes import ContractCode
from app.domain.errors import DomainError
from app.models import Bank
from app.services.contracts.pdfsign import local_timestamper, sign_field, validate_pdf
from app.services.contracts.pki import PkiConfigurationError, SigningPki, issue_signer_certificate, load_bank_seal, serial_hex
from app.services.contracts.stamps import SEAL_APPEARANCE_SIZE, appearance_image, seal_image
from app.services.documents import MediaStore

logger = logging.getLogger(__name__)


class BankSeals:
    """Each member bank's own seal (its certificate and key in a copy of the installation's PKI), loaded on
    first use and kept for the process. Keyed by the files' paths and modification times: a renewed
    certificate written over the old one is picked up on the next seal."""

    def __init__(self) -> None:
        self._loaded: dict[tuple, SigningPki] = {}
        self._lock = threading.Lock()

    def pki_for(self, base: SigningPki, cert_path: str, key_path: str) -> SigningPki:
        """Raises `PkiConfigurationError` when a file is missing or unreadable, or the pair does not fit."""
        try:
            stamp = (os.stat(cert_path).st_mtime_ns, os.stat(key_path).st_mtime_ns)
        except OSError as exc:
            raise PkiConfigurationError(f"印章文件不存在或无法读取：{exc.filename}") from exc
        key = (cert_path, key_path, *stamp)
        with self._lock:
            if key not in self._loaded:
                self._loaded[key] = load_bank_seal(base, Path(cert_path), Path(key_path))
            return self._loaded[key]


@dataclass(frozen=True, slots=True)
class SigningKit:
    """What signing needs from the edge: the media store, the PKI and the bank's time zone.

    Built once per process, on its first use, by app/wiring.py (loading the PKI; the first run in
    dev generates it under var/pki). `pki` is the installation's; `seal_pki(bank)` is the PKI a
    member bank's contracts are sealed with (its own seal, or the installation's when it has none)."""

    media: MediaStore
    pki: SigningPki
    business_tz: str = "Asia/Shanghai"
    seals: BankSeals = field(default_factory=BankSeals)

    def seal_pki(self, bank: Bank) -> SigningPki:
        if not bank.seal_cert_path or not bank.seal_key_path:
            return self.pki
        return self.seals.pki_for(self.pki, bank.seal_cert_path, bank.seal_key_path)



async def sign_as_customer(
    pdf: bytes, *, kit: SigningKit, field: str, name: str, picture: Image.Image, lines: tuple[str, ...], reason: str, location: str, now: datetime,
) -> tuple[bytes, str]:
    """A customer's PAdES signature in the existing empty `field`, with a one-time key and certificate issued now in
    their name (the key is discarded); validated before it is returned with the certificate's serial."""
    key, cert = issue_signer_certificate(kit.pki, common_name=name, now=now)
    appearance = appearance_image(picture, lines)
    signed = await asyncio.to_thread(
        sign_field, pdf, field=field, key=key, cert=cert, chain=kit.pki.chain, reason=reason, location=location, appearance=appearance,
    )
    del key  # one-time key: never stored
    await assert_valid(signed, kit.pki)
    return signed, serial_hex(cert)


async def seal_pdf(pdf: bytes, *, kit: SigningKit, bank: Bank, field: str, reason: str, now: datetime) -> tuple[bytes, SigningPki]:
    """The member bank's seal (its own certificate, or the installation's) in `field`, time-stamped when a TSA is
    configured (PAdES B-T), validated; returned with the PKI that sealed it. Refuses with SEAL_UNAVAILABLE, nothing signed."""
    pki = await _seal_pki(kit, bank)
    local = now.astimezone(ZoneInfo(kit.business_tz))
    appearance = appearance_image(seal_image(bank.legal_name or bank.name), (f"盖章时间：{local:%Y-%m-%d %H:%M:%S}",), size=SEAL_APPEARANCE_SIZE)
    sealed = await asyncio.to_thread(
        sign_field, pdf, field=field, key=pki.bank_key, cert=pki.bank_cert, chain=pki.chain,
        reason=reason, location=bank.name, appearance=appearance, timestamper=local_timestamper(pki),
    )
    await assert_valid(sealed, pki)
    return sealed, pki


async def _seal_pki(kit: SigningKit, bank: Bank) -> SigningPki:
    """The bank's seal, or a clear refusal (nothing signed, nothing stored) when its files cannot be used."""
    try:
        return await asyncio.to_thread(kit.seal_pki, bank)
    except PkiConfigurationError as exc:
        logger.error("seal of bank %s cannot be loaded: %s", bank.code, exc)
        raise DomainError(f"{bank.name}的电子印章证书无法使用，合同未盖章。请联系平台管理员检查本行印章配置。",
                          code=ContractCode.SEAL_UNAVAILABLE) from None


async def assert_valid(pdf: bytes, pki: SigningPki) -> None:
    """Validate after each step (docs/stack.md#pdf): a failure here is a bug or a broken PKI, never user input."""
    checks = await asyncio.to_thread(validate_pdf, pdf, pki.trust_roots)
    bad = [c for c in checks if not c.ok]
    if bad or not checks:
        raise RuntimeError("signature validation failed right after signing: " + "; ".join(f"{c.field}: {c.message}" for c in bad))
