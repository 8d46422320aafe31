"""One live line per person and product, and a cap on a person's live lines together (app/domain/exposure.py)."""

import asyncio
from datetime import date

import pytest

from app.domain.errors import Conflict
from app.domain.vocabulary import CreditLineStatus
from app.models import AuditEvent, CreditLine
from app.services.actor import SYSTEM
from app.services.lending import lines as lines_module
from app.services.lending.lines import grant_credit_line
from tests.factories import customer_with_line

FROM, UNTIL = date(2026, 11, 27), date(2029, 11, 27)


async def _grant(customer, *, product="BIANLI", limit_yuan=50_000, cap_yuan=None):
    return await grant_credit_line(actor=SYSTEM, customer_id=customer.id, product_code=product, limit_fen=limit_yuan * 100, valid_from=FROM,
                                   valid_until=UNTIL, exposure_cap_fen=cap_yuan * 100 if cap_yuan else None)


async def test_a_second_line_on_the_same_product_is_refused(demo, vault):
    # given a customer with a live 便利贷 line
    customer, line = await customer_with_line(vault, limit_yuan=80_000, checked=False)
    # when a second 便利贷 line is granted
    with pytest.raises(Conflict) as refused:
        await _grant(customer)
    # then it is refused, saying which line exists, and nothing is written
    assert refused.value.code == "LINE_EXISTS" and refused.value.field == "product"
    assert "已有有效的便利贷授信（额度 ¥80,000.00" in refused.value.message and "调额" in refused.value.message
    assert await CreditLine.filter(customer_id=customer.id).count() == 1
    assert await AuditEvent.filter(action="credit_line.grant").count() == 1


async def test_a_frozen_line_counts_a_closed_or_expired_one_does_not(demo, vault):
    customer, line = await customer_with_line(vault, checked=False)
    await CreditLine.filter(id=line.id).update(status=CreditLineStatus.FROZEN)
    with pytest.raises(Conflict):
        await _grant(customer)
    await CreditLine.filter(id=line.id).update(status=CreditLineStatus.ACTIVE, valid_until=date(2026, 11, 26))  # past its last day
    assert (await _grant(customer)).limit_fen == 5_000_000
    other, closed = await customer_with_line(vault, sequence=358, checked=False)
    await CreditLine.filter(id=closed.id).update(status=CreditLineStatus.CLOSED)
    assert (await _grant(other)).limit_fen == 5_000_000


async def test_lines_on_other_products_stay_within_the_exposure_cap(demo, vault):
    customer, _ = await customer_with_line(vault, limit_yuan=100_000, checked=False)
    with pytest.raises(Conflict) as refused:
        await _grant(customer, product="GJJ", limit_yuan=60_000, cap_yuan=150_000)
    assert refused.value.code == "EXPOSURE_CAP"
    assert refused.value.message == "授信总额超过单户上限 ¥150,000.00：已有有效授信 ¥100,000.00，本次最多还可授信 ¥50,000.00"
    assert await CreditLine.filter(customer_id=customer.id).count() == 1
    line = await _grant(customer, product="GJJ", limit_yuan=50_000, cap_yuan=150_000)
    assert line.limit_fen == 5_000_000 and await CreditLine.filter(customer_id=customer.id).count() == 2


@pytest.mark.postgres
async def test_grants_at_once_make_one_line(demo, vault, monkeypatch):
    customer, line = await customer_with_line(vault, checked=False)
    await CreditLine.filter(id=line.id).update(status=CreditLineStatus.CLOSED)
    read_lines = lines_module.live_lines

    async def slow_read(*args, **kwargs):  # widen the window between the check and the insert
        found = await read_lines(*args, **kwargs)
        await asyncio.sleep(0.05)
        return found

    monkeypatch.setattr(lines_module, "live_lines", slow_read)
    results = await asyncio.gather(*(_grant(customer) for _ in range(5)), return_exceptions=True)
    refused = [r for r in results if isinstance(r, Exception)]
    assert len(refused) == 4 and {(type(r), r.code) for r in refused} == {(Conflict, "LINE_EXISTS")}
    assert await CreditLine.filter(customer_id=customer.id, status=CreditLineStatus.ACTIVE).count() == 1
