"""Writing personal identifiers: encrypted value, lookup hash and masked form together."""

from __future__ import annotations

from app.crypto import Vault
from app.domain import idcard


def id_number_fields(vault: Vault, number: str) -> dict:
    n = idcard.normalize(number)
    return {
        "id_number_enc": vault.encrypt(n, context=b"id_number"),
        "id_number_hash": vault.lookup_hash(n),
        "id_number_masked": idcard.mask(n),
    }


def mask_phone(phone: str) -> str:
    return phone[:3] + "****" + phone[-4:] if len(phone) == 11 else "*" * len(phone)


def phone_fields(vault: Vault, phone: str | None) -> dict:
    if not phone:
        return {"phone_enc": None, "phone_hash": None, "phone_masked": ""}
    return {
        "phone_enc": vault.encrypt(phone, context=b"phone"),
        "phone_hash": vault.lookup_hash(phone),
        "phone_masked": mask_phone(phone),
    }
