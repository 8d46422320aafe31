"""Another member bank's lines in a grant's exposure cap (issue 15): read only under the person's signed credit
authorisation (征信授权), each read recorded naming both banks; never "the same product"."""

from datetime import date

import pytest

from app.domain.errors import Conflict
from app.models import AuditEvent, CreditLine
from app.services.actor import SYSTEM
from app.services.lending.lines import grant_credit_line
from tests.factories.banks import YC_BRANCH, second_bank
from tests.factories.risk import actor, authorise, make_customer

FROM, UNTIL = date(2026, 11, 27), date(2029, 11, 27)
CAP = 100_000 * 100


async def _person_at_two_banks(vault):
    """One person: a customer of bank A with a live 便利贷 line of 80,000.00, and a customer record at bank B."""
    b = await second_bank()
    at_a, at_b = await make_customer(vault), await make_customer(vault, branch_code=YC_BRANCH)
    await grant_credit_line(actor=SYSTEM, customer_id=at_a.id, product_code="BIANLI", limit_fen=80_000 * 100, valid_from=FROM, valid_until=UNTIL)
    return b, at_a, at_b


async def _grant_at_b(b, at_b, limit_yuan):
    return await grant_credit_line(actor=await b.actor("yc_officer"), customer_id=at_b.id, product_code="BIANLI", limit_fen=limit_yuan * 100,
                                   valid_from=FROM, valid_until=UNTIL, exposure_cap_fen=CAP)


async def test_without_the_persons_consent_another_banks_lines_are_not_read(demo, vault):
    b, _, at_b = await _person_at_two_banks(vault)
    line = await _grant_at_b(b, at_b, 30_000)
    assert line.limit_fen == 30_000 * 100
    assert not await AuditEvent.filter(action="credit_line.cross_bank_read").exists()


async def test_with_consent_another_banks_lines_count_in_the_cap_and_the_read_is_recorded(demo, vault):
    b, at_a, at_b = await _person_at_two_banks(vault)
    await authorise(at_b, by=await b.actor("yc_officer"))
    # when bank B would grant 30,000.00 beside bank A's 80,000.00 (cap 100,000.00)
    with pytest.raises(Conflict) as refused:
        await _grant_at_b(b, at_b, 30_000)
    assert refused.value.code == "EXPOSURE_CAP" and "本次最多还可授信 ¥20,000.00" in refused.value.message
    assert await CreditLine.filter(customer_id=at_b.id).count() == 0
    # then a grant within the room passes: bank A's 便利贷 is not "the same product" as bank B's
    line = await _grant_at_b(b, at_b, 20_000)
    assert line.limit_fen == 20_000 * 100
    reads = await AuditEvent.filter(action="credit_line.cross_bank_read").order_by("at")
    assert len(reads) == 2 and reads[0].entity_id == str(at_b.id)
    assert reads[0].after["bank"] == str(b.bank.id) and reads[0].after["otherBanks"] == [str(at_a.bank_id)]
    assert reads[0].after["limitFen"] == 80_000 * 100


async def test_bank_as_own_grant_does_not_read_bank_b_without_consent_there(demo, vault):
    """Consent is the customer record's own: bank B's authorisation does not open bank B's books to bank A."""
    b, at_a, at_b = await _person_at_two_banks(vault)
    await authorise(at_b, by=await b.actor("yc_officer"))
    await grant_credit_line(actor=await actor(), customer_id=at_a.id, product_code="GJJ", limit_fen=10_000 * 100, valid_from=FROM, valid_until=UNTIL,
                            exposure_cap_fen=CAP)
    assert not await AuditEvent.filter(action="credit_line.cross_bank_read").exists()
