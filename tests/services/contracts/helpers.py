"""Shared pieces for contract tests: a face-check stand-in, signature images, a signed contract."""

from __future__ import annotations

import io
import uuid
from datetime import UTC, date, datetime

from PIL import Image, ImageDraw

from app.domain import idcard
from app.models import Branch, Customer
from app.models.contract import SignatureRole
from app.services.actor import SYSTEM
from app.services.contracts import create_contract, render_contract, seal_contract, sign_contract
from app.services.customers.identifiers import id_number_fields

NOW = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)
TODAY = date(2026, 11, 27)
XIJIE = (35.8765, 111.4421)


class FaceChecks:
    """Stands in for the face-verification records: ids in `passed` are passed matches of that customer."""

    def __init__(self) -> None:
        self.passed_for: dict[uuid.UUID, uuid.UUID] = {}
        self.asked: list[uuid.UUID] = []

    def grant(self, customer_id: uuid.UUID) -> uuid.UUID:
        vid = uuid.uuid4()
        self.passed_for[vid] = customer_id
        return vid

    async def passed(self, *, verification_id: uuid.UUID, customer_id: uuid.UUID) -> bool:
        self.asked.append(verification_id)
        return self.passed_for.get(verification_id) == customer_id


def signature_png(seed: int = 1) -> bytes:
    image = Image.new("RGBA", (480, 180), (0, 0, 0, 0))
    draw = ImageDraw.Draw(image)
    points = [(20 + 40 * i, 90 + ((i * 37 * seed) % 70) - 35) for i in range(11)]
    draw.line(points, fill=(10, 10, 60, 255), width=7, joint="curve")
    buf = io.BytesIO()
    image.save(buf, "PNG")
    return buf.getvalue()


async def spouse_of(vault, customer: Customer, *, sequence: int = 358) -> Customer:
    number = idcard.make_number("141023", date(1970, 6, 1), sequence)
    info = idcard.parse(number)
    branch = await Branch.get(id=customer.branch_id)
    return await Customer.create(name="李秀英", sex=info.sex, birth_on=info.birth_date, branch=branch, bank_id=branch.bank_id, **id_number_fields(vault, number))


async def rendered_contract(line, renderer, media, *, co_borrower_id=None, actor=SYSTEM):
    contract = await create_contract(actor=actor, credit_line_id=line.id, co_borrower_id=co_borrower_id, today=TODAY)
    return await render_contract(contract_id=contract.id, media=media, renderer=renderer, now=NOW, actor=actor)


async def sign(contract, role, kit, faces: FaceChecks, customer_id, *, actor=SYSTEM, seed=1):
    return await sign_contract(
        actor=actor, contract_id=contract.id, role=role, signature_png=signature_png(seed), face_verification_id=faces.grant(customer_id),
        face_checks=faces, lat=XIJIE[0], lng=XIJIE[1], now=NOW, kit=kit,
    )


async def sealed_contract(line, renderer, kit, faces, *, co_borrower=None):
    contract = await rendered_contract(line, renderer, kit.media, co_borrower_id=co_borrower.id if co_borrower else None)
    await sign(contract, SignatureRole.BORROWER, kit, faces, contract.customer_id)
    if co_borrower is not None:
        await sign(contract, SignatureRole.CO_BORROWER, kit, faces, co_borrower.id, seed=2)
    return await seal_contract(actor=SYSTEM, contract_id=contract.id, now=NOW, kit=kit)
