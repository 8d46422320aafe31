"""Keys and certificates for contract signatures.

- Customers (borrower, co-borrower) sign with a one-time key and certificate issued at the moment
  of signing by the signing CA (an "event certificate"); the private key is never stored.
- The bank seals with its own certificate and key (`CUNXIN_BANK_SEAL_CERT` / `_KEY`: the installation's
  seal). A member bank with its own seal (`Bank.seal_cert_path` / `seal_key_path`) seals with that one
  instead: `load_bank_seal` puts it into a copy of the installation's PKI. `issue_sandbox_seal` makes
  one for a demo bank, issued by the development CA (never in production).
- The bank's seal carries an RFC 3161 time stamp: from `CUNXIN_TSA_URL`, else from the development
  PKI's local time-stamp authority.

The paths come in a `PkiConfig` (app/wiring.py builds it from the settings). With no paths
configured (dev and test), a development PKI is generated once under `var_dir/pki/` — a root CA (EC P-256, 30 years) that issues the bank's seal certificate and the
TSA certificate (RSA: pyhanko's local TSA signs with RSA only) — under a file lock, so a web
process and a worker starting together agree on one CA. In production the paths are required.
"""

from __future__ import annotations

import dataclasses
import fcntl
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

from asn1crypto import keys as asn1_keys
from asn1crypto import x509 as asn1_x509
from cryptography import x509
from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from cryptography.x509.oid import ExtendedKeyUsageOID, NameOID

PrivateKey = ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey
DEV_ORG = "村信开发测试（非生产）"
CA_YEARS = 30
SIGNER_YEARS = 30  # an archive must still validate decades later; the key is used once and discarded
LEAF_YEARS = 10


class PkiConfigurationError(RuntimeError):
    """Missing or unreadable signing certificates (an operator problem, not a user input)."""


@dataclass(frozen=True, slots=True)
class PkiConfig:
    """Where the signing certificates are (`CUNXIN_SIGNING_*`, `CUNXIN_BANK_SEAL_*`, `CUNXIN_TSA_URL`)."""

    dev_dir: Path  # the development PKI's directory (var_dir/pki)
    is_production: bool  # production never generates a development PKI
    ca_cert: Path | None = None
    ca_key: Path | None = None
    bank_cert: Path | None = None
    bank_key: Path | None = None
    bank_key_password: bytes | None = None
    chain: tuple[Path, ...] = ()  # intermediate CA certificates to embed in signatures
    trust_roots: tuple[Path, ...] = ()  # extra trust roots for validation
    tsa_url: str = ""


@dataclass(frozen=True, slots=True)
class SigningPki:
    ca_cert: x509.Certificate
    ca_key: PrivateKey
    bank_cert: x509.Certificate
    bank_key: PrivateKey
    chain: tuple[x509.Certificate, ...]  # certificates to embed besides the signer's own
    trust_roots: tuple[x509.Certificate, ...]
    tsa_cert: x509.Certificate | None  # the local TSA (dev PKI only)
    tsa_key: rsa.RSAPrivateKey | None
    tsa_url: str
    is_development: bool

    @property
    def seal_level(self) -> str:
        """PAdES level of the bank seal: B-T with a time stamp, B-B without one."""
        return "B-T" if self.tsa_url or self.tsa_cert is not None else "B-B"


def _name(common_name: str, organisation: str | None = DEV_ORG) -> x509.Name:
    attrs = [x509.NameAttribute(NameOID.COMMON_NAME, common_name)]
    if organisation:
        attrs.append(x509.NameAttribute(NameOID.ORGANIZATION_NAME, organisation))
    return x509.Name(attrs)


def _certificate(
    *,
    subject: x509.Name,
    public_key,
    issuer_cert: x509.Certificate | None,
    issuer_key: PrivateKey,
    now: datetime,
    years: int,
    ca: bool = False,
    time_stamping: bool = False,
) -> x509.Certificate:
    not_after = now + timedelta(days=365 * years)
    if issuer_cert is not None:
        not_after = min(not_after, issuer_cert.not_valid_after_utc)
    builder = (
        x509.CertificateBuilder()
        .subject_name(subject)
        .issuer_name(issuer_cert.subject if issuer_cert is not None else subject)
        .public_key(public_key)
        .serial_number(x509.random_serial_number())
        .not_valid_before(now - timedelta(minutes=10))
        .not_valid_after(not_after)
        .add_extension(x509.BasicConstraints(ca=ca, path_length=0 if ca else None), critical=True)
        .add_extension(x509.SubjectKeyIdentifier.from_public_key(public_key), critical=False)
    )
    if issuer_cert is not None:
        ski = issuer_cert.extensions.get_extension_for_class(x509.SubjectKeyIdentifier).value
        builder = builder.add_extension(x509.AuthorityKeyIdentifier.from_issuer_subject_key_identifier(ski), critical=False)
    if ca:
        usage = x509.KeyUsage(False, False, False, False, False, True, True, False, False)  # keyCertSign, cRLSign
    else:
        usage = x509.KeyUsage(True, not time_stamping, False, False, False, False, False, False, False)
    builder = builder.add_extension(usage, critical=True)
    if time_stamping:
        builder = builder.add_extension(x509.ExtendedKeyUsage([ExtendedKeyUsageOID.TIME_STAMPING]), critical=True)
    return builder.sign(issuer_key, hashes.SHA256())


def issue_signer_certificate(pki: SigningPki, *, common_name: str, now: datetime) -> tuple[ec.EllipticCurvePrivateKey, x509.Certificate]:
    """A fresh key and certificate for one customer signature (the caller discards the key)."""
    key = ec.generate_private_key(ec.SECP256R1())
    cert = _certificate(
        subject=_name(common_name, None), public_key=key.public_key(), issuer_cert=pki.ca_cert, issuer_key=pki.ca_key, now=now, years=SIGNER_YEARS
    )
    return key, cert


# --- loading ------------------------------------------------------------------------------------


def _pem_cert(path: Path) -> x509.Certificate:
    try:
        return x509.load_pem_x509_certificate(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise PkiConfigurationError(f"无法读取证书 {path}：{exc}") from exc


def _pem_key(path: Path, password: bytes | None = None) -> PrivateKey:
    try:
        key = serialization.load_pem_private_key(path.read_bytes(), password=password)
    except (OSError, ValueError, TypeError) as exc:
        raise PkiConfigurationError(f"无法读取私钥 {path}：{exc}") from exc
    if not isinstance(key, ec.EllipticCurvePrivateKey | rsa.RSAPrivateKey):
        raise PkiConfigurationError(f"私钥 {path} 不是 RSA 或 EC 密钥")
    return key


def _pem_certs(path: Path) -> list[x509.Certificate]:
    """Every certificate of a PEM file, in file order (a seal certificate followed by its issuers)."""
    try:
        certs = x509.load_pem_x509_certificates(path.read_bytes())
    except (OSError, ValueError) as exc:
        raise PkiConfigurationError(f"无法读取证书 {path}：{exc}") from exc
    if not certs:
        raise PkiConfigurationError(f"证书文件 {path} 中没有证书")
    return certs


def _write_pem(path: Path, data: bytes, *, secret: bool) -> None:
    tmp = path.with_suffix(path.suffix + ".part")
    tmp.write_bytes(data)
    if secret:
        tmp.chmod(0o600)
    tmp.replace(path)


def _key_pem(key: PrivateKey) -> bytes:
    return key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())


@contextmanager
def _locked(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def _ensure_dev_pki(directory: Path, now: datetime) -> None:
    """Generate the development CA, bank seal and TSA once (idempotent, safe across processes)."""
    names = ("ca.pem", "ca.key", "bank.pem", "bank.key", "tsa.pem", "tsa.key")
    if all((directory / n).exists() for n in names):
        return
    with _locked(directory):
        if all((directory / n).exists() for n in names):
            return
        ca_key = ec.generate_private_key(ec.SECP256R1())
        ca = _certificate(subject=_name("村信开发根证书"), public_key=ca_key.public_key(), issuer_cert=None, issuer_key=ca_key, now=now, years=CA_YEARS, ca=True)
        bank_key = ec.generate_private_key(ec.SECP256R1())
        bank = _certificate(subject=_name("村信开发银行 合同专用章"), public_key=bank_key.public_key(), issuer_cert=ca, issuer_key=ca_key, now=now, years=LEAF_YEARS)
        tsa_key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
        tsa = _certificate(subject=_name("村信开发时间戳服务"), public_key=tsa_key.public_key(), issuer_cert=ca, issuer_key=ca_key, now=now, years=LEAF_YEARS, time_stamping=True)
        for name, key, cert in (("ca", ca_key, ca), ("bank", bank_key, bank), ("tsa", tsa_key, tsa)):
            _write_pem(directory / f"{name}.key", _key_pem(key), secret=True)
        # certificates last: their presence marks a complete set
        for name, cert in (("bank", bank), ("tsa", tsa), ("ca", ca)):
            _write_pem(directory / f"{name}.pem", cert.public_bytes(serialization.Encoding.PEM), secret=False)


def _unique(certs: list[x509.Certificate]) -> tuple[x509.Certificate, ...]:
    return tuple({c.fingerprint(hashes.SHA256()): c for c in certs}.values())


def load_pki(config: PkiConfig, *, now: datetime) -> SigningPki:
    """The signing PKI as configured; missing pieces come from the development PKI (never in prod)."""
    configured_ca = config.ca_cert is not None and config.ca_key is not None
    configured_bank = config.bank_cert is not None and config.bank_key is not None
    needs_dev = not (configured_ca and configured_bank)
    if needs_dev and config.is_production:
        raise PkiConfigurationError("生产环境必须配置签名证书：CUNXIN_SIGNING_CA_CERT/KEY 与 CUNXIN_BANK_SEAL_CERT/KEY")
    directory = config.dev_dir
    if needs_dev:
        _ensure_dev_pki(directory, now)
    if configured_ca:
        ca_cert, ca_key = _pem_cert(config.ca_cert), _pem_key(config.ca_key)
    else:
        ca_cert, ca_key = _pem_cert(directory / "ca.pem"), _pem_key(directory / "ca.key")
    if configured_bank:
        bank_cert, bank_key = _pem_cert(config.bank_cert), _pem_key(config.bank_key, config.bank_key_password)
    else:
        bank_cert, bank_key = _pem_cert(directory / "bank.pem"), _pem_key(directory / "bank.key")
    tsa_cert = tsa_key = None
    if not config.tsa_url and needs_dev:
        tsa_cert, loaded = _pem_cert(directory / "tsa.pem"), _pem_key(directory / "tsa.key")
        tsa_key = loaded if isinstance(loaded, rsa.RSAPrivateKey) else None
    extra = [_pem_cert(directory / "ca.pem")] if needs_dev else []  # the dev CA issued the dev bank seal / TSA
    chain = _unique([*(_pem_cert(p) for p in config.chain), ca_cert, *extra])
    roots = _unique([ca_cert, *extra, *(_pem_cert(p) for p in config.trust_roots)])
    return SigningPki(
        ca_cert=ca_cert, ca_key=ca_key, bank_cert=bank_cert, bank_key=bank_key, chain=chain,
        trust_roots=roots, tsa_cert=tsa_cert, tsa_key=tsa_key, tsa_url=config.tsa_url,
        is_development=needs_dev,
    )


# --- a member bank's own seal -------------------------------------------------------------------


def _public_der(key) -> bytes:
    return key.public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)


def load_bank_seal(pki: SigningPki, cert_path: Path, key_path: Path) -> SigningPki:
    """The installation's PKI with a member bank's own seal certificate and key in place of the installation's.

    `cert_path` holds the seal certificate first, then (optionally) its issuing certificates: they are
    embedded in the seal, and a self-signed one among them becomes a trust root for validating it. The
    key must be the certificate's (an unencrypted PEM). Customers' signatures stay with the installation's CA.
    """
    certs = _pem_certs(cert_path)
    key = _pem_key(key_path)
    seal, issuers = certs[0], certs[1:]
    if _public_der(key.public_key()) != _public_der(seal.public_key()):
        raise PkiConfigurationError(f"私钥 {key_path} 与印章证书 {cert_path} 不匹配")
    if _is_ca(seal):
        raise PkiConfigurationError(f"印章证书 {cert_path} 是 CA 证书，不能用于盖章")
    roots = [c for c in issuers if c.issuer == c.subject]
    trusted = _unique([*pki.trust_roots, *roots])
    known = {c.subject for c in (*trusted, *issuers, *pki.chain)}
    if seal.issuer not in known:
        raise PkiConfigurationError(f"印章证书 {cert_path} 的签发机构不受信任（请在文件中附上签发证书链）")
    return dataclasses.replace(pki, bank_cert=seal, bank_key=key, chain=_unique([*issuers, *pki.chain]), trust_roots=trusted)


def _is_ca(cert: x509.Certificate) -> bool:
    try:
        return cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca
    except x509.ExtensionNotFound:
        return False


def issue_sandbox_seal(pki: SigningPki, *, directory: Path, bank_name: str, now: datetime) -> tuple[Path, Path]:
    """A demo bank's own seal, issued by the development CA: `seal.pem` (certificate + CA) and `seal.key` in `directory`.

    Development PKI only: a production CA never issues sandbox seals. An existing pair is kept.
    """
    if not pki.is_development:
        raise PkiConfigurationError("沙箱印章只能由开发测试 CA 签发（生产环境请配置本行的正式印章证书）")
    cert_path, key_path = directory / "seal.pem", directory / "seal.key"
    with _locked(directory):
        if cert_path.exists() and key_path.exists():
            return cert_path, key_path
        key = ec.generate_private_key(ec.SECP256R1())
        cert = _certificate(subject=_name(f"{bank_name} 合同专用章（沙箱）"), public_key=key.public_key(), issuer_cert=pki.ca_cert,
                            issuer_key=pki.ca_key, now=now, years=LEAF_YEARS)
        _write_pem(key_path, _key_pem(key), secret=True)
        pem = b"".join(c.public_bytes(serialization.Encoding.PEM) for c in (cert, pki.ca_cert))
        _write_pem(cert_path, pem, secret=False)  # last: its presence marks a complete pair
    return cert_path, key_path


# --- conversions for pyhanko (asn1crypto) --------------------------------------------------------


def asn1_cert(cert: x509.Certificate) -> asn1_x509.Certificate:
    return asn1_x509.Certificate.load(cert.public_bytes(serialization.Encoding.DER))


def asn1_key(key: PrivateKey) -> asn1_keys.PrivateKeyInfo:
    der = key.private_bytes(serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption())
    return asn1_keys.PrivateKeyInfo.load(der)


def serial_hex(cert: x509.Certificate) -> str:
    return format(cert.serial_number, "x")


__all__ = [
    "PkiConfig",
    "PkiConfigurationError",
    "SigningPki",
    "asn1_cert",
    "asn1_key",
    "issue_sandbox_seal",
    "issue_signer_certificate",
    "load_bank_seal",
    "load_pki",
    "serial_hex",
]
