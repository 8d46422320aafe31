"""Writing personal identifiers: encrypted value, lookup hash and masked form together."""

from __future__ import annotations

from app.crypto import Vault
from app.domain import idcard
from app.services import audit
from app.services.actor import Actor


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


def card_fields(vault: Vault, card_number: str) -> dict:
    return {
        "card_number_enc": vault.encrypt(card_number, context=b"card_number"),
        "card_number_hash": vault.lookup_hash(card_number),
        "card_number_masked": card_number[:4] + " **** **** " + card_number[-4:],
    }


async def reveal(vault: Vault, blob: bytes, *, kind: str, actor: Actor, entity: tuple[str, object], purpose: str) -> str:
    """Decrypt a whole identifier (ID, phone, card number); every such use is audited."""
    value = vault.decrypt(blob, context=kind.encode())
    await audit.record(actor, f"{kind}.reveal", entity[0], entity[1], after={"purpose": purpose})
    return value
