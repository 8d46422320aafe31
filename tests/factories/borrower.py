"""Borrower-side test data and HTTP helpers: customers who use the app, card numbers, signed-in clients."""

from __future__ import annotations

import json
from pathlib import Path

import httpx

from app.api.trusted_documents import document_hash
from app.config import ROOT
from app.domain.cards import luhn_ok
from tests.factories import customer_with_line

MOBILE = ROOT / "graphql" / "mobile"
PHONE = "13800000000"  # the phone tests.factories.customer_with_line gives its customer
DEVICE = "test-device-0001"


def card_number(last4: str, prefix: str = "62170000200") -> str:
    """A Luhn-valid 16-digit number ending in `last4` (the sandbox core answers by the last four digits)."""
    for digit in "0123456789":
        number = prefix + digit + last4
        if luhn_ok(number):
            return number
    raise AssertionError("unreachable: one digit always completes the check")


def holder_card(vault, customer, *, phone: str = PHONE, last4: str = "5678", prefix: str = "6217") -> str:
    """A sandbox card held by `customer` with `phone` reserved at the bank (docs/sandbox.md); `prefix` picks the
    opening bank (6217 bank #1 襄汾农商行, 6230 the second member bank 翼城农商行, 6222 中国工商银行)."""
    from app.integrations.core_banking import sandbox_card_number

    id_number = vault.decrypt(customer.id_number_enc, context=b"id_number")
    return sandbox_card_number(name=customer.name, id_number=id_number, phone=phone, last4=last4, prefix=prefix)


async def bind_card(client, app, token: str, number: str, *, phone: str = PHONE) -> dict:
    """Both steps of binding: the holder check (code sent to `phone`), then the code. The confirm payload."""
    asked = (await gql(client, "CardBind", {"input": {"cardNumber": number, "reservedPhone": phone}}, token=token))["data"]["cardBind"]
    assert asked["errors"] == [], asked
    code = last_sms_code(app, phone)
    done = (await gql(client, "CardBindConfirm", {"input": {"bindingId": asked["binding"]["id"], "code": code}}, token=token))["data"]["cardBindConfirm"]
    assert done["errors"] == [], done
    return done


def broken_luhn(number: str) -> str:
    """The same number with its check digit off by one."""
    return number[:-1] + str((int(number[-1]) + 1) % 10)


async def borrower(vault, **kwargs):
    """A demo-bank customer with phone 13800000000, a default card, a checked active line (needs `demo`)."""
    return await customer_with_line(vault, **kwargs)


def document(name: str) -> str:
    return (MOBILE / f"{name}.graphql").read_text(encoding="utf-8")


def mobile_operations() -> list[str]:
    return sorted(p.stem for p in Path(MOBILE).glob("*.graphql"))


async def gql(client: httpx.AsyncClient, name: str, variables: dict | None = None, *, token: str | None = None, persisted: bool = False) -> dict:
    """POST one operation of graphql/mobile: as text, or (persisted) by its sha256 only."""
    body: dict = {"variables": variables or {}}
    if persisted:
        body["extensions"] = {"persistedQuery": {"version": 1, "sha256Hash": document_hash(document(name))}}
    else:
        body["query"] = document(name)
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    response = await client.post("/graphql", content=json.dumps(body), headers={"Content-Type": "application/json", **headers})
    assert response.status_code == 200, response.text
    return response.json()


def graphql_view(app):
    """The GraphQLApp instance mounted at /graphql (holds the sandbox SMS gateway)."""
    return next(route.endpoint for route in app.routes if getattr(route, "path", "") == "/graphql")


def last_sms_code(app, phone: str = PHONE) -> str:
    """Read the sandbox's sent messages directly (works in every env, unlike `last_code`)."""
    messages = [m for m in graphql_view(app).mobile.sms.messages if m.phone == phone and m.code]
    assert messages, f"no code sent to {phone}"
    return messages[-1].code


async def sign_in(client, app, *, phone: str = PHONE, device: str = DEVICE, persisted: bool = False) -> dict:
    """Request a code, read it from the sandbox, verify: the tokens dict of SignInVerify."""
    asked = (await gql(client, "SignInRequestCode", {"input": {"phone": phone}}, persisted=persisted))["data"]["signInRequestCode"]
    assert asked["errors"] == [], asked
    code = last_sms_code(app, phone)
    done = (await gql(client, "SignInVerify", {"input": {"phone": phone, "code": code, "deviceId": device}}, persisted=persisted))["data"]["signInVerify"]
    assert done["errors"] == [], done
    return done["tokens"]


async def other_borrower(vault, *, phone: str = "13800000001"):
    """A second customer of the demo bank, with another phone, card and line."""
    from app.models import Customer
    from app.services.customers.identifiers import phone_fields

    customer, line = await customer_with_line(vault, sequence=361, card=card_number("7777"))
    await Customer.filter(id=customer.id).update(**phone_fields(vault, phone))
    return customer, line
