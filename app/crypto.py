"""Personal data at rest: AES-GCM for the value, HMAC-SHA256 for exact lookups.

Keys are derived from the master secret with HKDF, one per purpose, so the
lookup hash cannot decrypt and the cipher key is never used for hashing.
"""

from __future__ import annotations

import hashlib
import hmac
import os

from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

_VERSION = b"\x01"


def _derive(secret: bytes, purpose: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=b"cunxin", info=purpose).derive(secret)


class Vault:
    def __init__(self, secret: bytes) -> None:
        self._aead = AESGCM(_derive(secret, b"pii-encryption"))
        self._mac_key = _derive(secret, b"pii-lookup")
        self.session_key = _derive(secret, b"session-tokens")

    def encrypt(self, value: str | bytes, *, context: bytes = b"") -> bytes:
        data = value.encode() if isinstance(value, str) else value
        nonce = os.urandom(12)
        return _VERSION + nonce + self._aead.encrypt(nonce, data, context)

    def decrypt_bytes(self, blob: bytes, *, context: bytes = b"") -> bytes:
        if not blob or blob[:1] != _VERSION:
            raise ValueError("unknown ciphertext version")
        return self._aead.decrypt(blob[1:13], blob[13:], context)

    def decrypt(self, blob: bytes, *, context: bytes = b"") -> str:
        return self.decrypt_bytes(blob, context=context).decode()

    def lookup_hash(self, value: str) -> str:
        return hmac.new(self._mac_key, value.encode(), hashlib.sha256).hexdigest()


def token_hash(token: str) -> str:
    """Hash of a bearer/session token as stored (tokens are random; no key needed)."""
    return hashlib.sha256(token.encode()).hexdigest()
