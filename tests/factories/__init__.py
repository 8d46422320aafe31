"""Test data as plain async functions."""

from __future__ import annotations

import re

import httpx

from app.models import Officer

DEMO_PASSWORD = "cunxin-demo-2026"


async def csrf_token(client: httpx.AsyncClient) -> str:
    """GET the login page once: it sets the CSRF cookie and renders the same token into the form."""
    page = await client.get("/login")
    match = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
    assert match, "login form carries no CSRF token"
    return match.group(1)


async def login(client: httpx.AsyncClient, username: str = "officer1", password: str = DEMO_PASSWORD) -> httpx.Response:
    token = await csrf_token(client)
    return await client.post("/login", data={"username": username, "password": password, "csrf_token": token})


async def officer(username: str) -> Officer:
    return await Officer.get(username=username).prefetch_related("branch")


async def customer_with_line(
    vault,
    *,
    limit_yuan: int = 100_000,
    card: str = "6217000010001234",
    product: str = "BIANLI",
    valid_from=None,
    valid_until=None,
    branch_code: str = "XF010",
    sequence: int = 357,
    checked: bool = True,
):
    """A customer of the demo bank with a default bound card and an active credit line (needs `demo`).

    `checked` runs a real credit check through the sandbox bureau (the sequence code picks the report:
    docs/sandbox.md; below 900 is clean) after filing a signed authorisation.
    """
    from datetime import UTC, date, datetime

    from app.config import get_settings
    from app.integrations.bureau import SandboxBureau
    from app.models.risk import RiskPurpose
    from app.services.documents import MediaStore
    from app.services.risk import check_credit, record_authorisation

    from app.domain import idcard
    from app.models import BankCard, Branch, Customer
    from app.services.actor import SYSTEM
    from app.services.lending.lines import grant_credit_line
    from app.services.customers.identifiers import card_fields, id_number_fields, phone_fields

    number = idcard.make_number("141023", date(1968, 3, 15), sequence)
    info = idcard.parse(number)
    branch = await Branch.get(code=branch_code)
    customer = await Customer.create(
        name="王建国", sex=info.sex, birth_on=info.birth_date, branch=branch, bank_id=branch.bank_id,
        **id_number_fields(vault, number), **phone_fields(vault, "13800000000"),
    )
    await BankCard.create(customer=customer, bank_name="山西农信", verified_at=datetime(2026, 1, 5, 2, 0, tzinfo=UTC), **card_fields(vault, card))  # bound at the counter
    line = await grant_credit_line(
        actor=SYSTEM, customer_id=customer.id, product_code=product, limit_fen=limit_yuan * 100,
        valid_from=valid_from or date(2026, 1, 1), valid_until=valid_until or date(2028, 12, 31),
    )
    if checked:
        now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
        await record_authorisation(actor=SYSTEM, customer_id=customer.id, signed_at=now, valid_until=date(2027, 11, 27))
        await check_credit(
            actor=SYSTEM, customer_id=customer.id, purpose=RiskPurpose.SIGNING, bureau=SandboxBureau(clock=lambda: now),
            media=MediaStore(get_settings().media_dir), vault=vault, now=now, today=now.date(), reuse_days=30,
        )
    return customer, line
