"""Test data for the risk services: customers with sandbox ID numbers, actors, a counting bureau."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

from app.crypto import Vault
from app.domain import idcard
from app.integrations.bureau import SandboxBureau
from app.models import Branch, Customer, Officer
from app.services.auth import officers as auth
from app.services.actor import Actor
from app.services.documents import MediaStore
from app.services.customers.identifiers import id_number_fields
from app.services.risk import record_authorisation

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
AREA = "141023"


def id_number(sequence: int, birth: date = date(1980, 5, 17)) -> str:
    """A valid number whose sequence code picks the sandbox answer (docs/sandbox.md)."""
    return idcard.make_number(AREA, birth, sequence)


async def make_customer(vault: Vault, *, sequence: int = 101, birth: date = date(1980, 5, 17), name: str = "王建国", branch_code: str = "XF010") -> Customer:
    number = id_number(sequence, birth)
    info = idcard.parse(number)
    branch = await Branch.get(code=branch_code)
    return await Customer.create(name=name, sex=info.sex, birth_on=info.birth_date, branch=branch, bank_id=branch.bank_id, **id_number_fields(vault, number))


async def actor(username: str = "officer1") -> Actor:
    return await auth.actor_for(await Officer.get(username=username))


async def authorise(customer: Customer, *, by: Actor, signed_at: datetime = NOW - timedelta(days=1), valid_until: date = TODAY + timedelta(days=365)):
    return await record_authorisation(actor=by, customer_id=customer.id, signed_at=signed_at, valid_until=valid_until)


class CountingBureau:
    """The sandbox bureau (fixed clock) that counts the queries it answers or refuses."""

    def __init__(self, now: datetime = NOW) -> None:
        self.inner = SandboxBureau(clock=lambda: now)
        self.calls: list[str] = []

    async def fetch_report(self, *, id_number: str, name: str, reason: str, institution: str) -> bytes:
        self.calls.append(reason)
        return await self.inner.fetch_report(id_number=id_number, name=name, reason=reason, institution=institution)


class FixedBureau:
    """Answers every query with the same bytes."""

    def __init__(self, data: bytes) -> None:
        self.data = data

    async def fetch_report(self, *, id_number: str, name: str, reason: str, institution: str) -> bytes:
        return self.data


def media_store(tmp_path) -> MediaStore:
    return MediaStore(root=tmp_path / "media")
