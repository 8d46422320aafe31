"""A card shared with another member bank's customer reaches a strategy decision only under consent, recorded (issue 15)."""

from datetime import UTC, datetime

from app.models import AuditEvent, BankCard
from app.services.risk.strategy import gather_facts
from tests.factories.banks import YC_BRANCH, second_bank
from tests.factories.risk import TODAY, authorise, make_customer


async def _card(customer, number_hash="shared-card"):
    await BankCard.create(customer=customer, bank_name="山西农信", card_number_enc=b"x", card_number_hash=number_hash,
                          card_number_masked="6217********0001", verified_at=datetime(2026, 1, 5, tzinfo=UTC))


async def test_a_card_shared_at_another_bank_counts_only_with_consent_and_is_recorded(demo, vault):
    # given two people, one at each bank, holding the same verified card
    b = await second_bank()
    at_a = await make_customer(vault, sequence=101)
    at_b = await make_customer(vault, sequence=103, name="李明", branch_code=YC_BRANCH)
    await _card(at_a)
    await _card(at_b)
    officer = await b.actor("yc_officer")
    product = await b.product()
    # when bank B's strategy gathers facts without the person's authorisation: bank A's holder is not counted
    facts = await gather_facts(customer=at_b, product=product, today=TODAY, actor=officer)
    assert facts.card_shared_with == 0
    assert not await AuditEvent.filter(action="risk.cross_bank_read").exists()
    # when the person has signed the credit authorisation: counted, and the use recorded naming both banks
    await authorise(at_b, by=officer)
    facts = await gather_facts(customer=at_b, product=product, today=TODAY, actor=officer)
    assert facts.card_shared_with == 1
    [read] = await AuditEvent.filter(action="risk.cross_bank_read")
    assert read.after == {"bank": str(b.bank.id), "otherBanks": [str(at_a.bank_id)], "facts": {"card": 1}, "purpose": "strategy"}
    # and for a third holder at bank B without consent, the holder at the same bank counts, bank A's does not
    same = await make_customer(vault, sequence=105, name="赵强", branch_code=YC_BRANCH)
    await _card(same)
    assert (await gather_facts(customer=same, product=product, today=TODAY, actor=officer)).card_shared_with == 1
    assert await AuditEvent.filter(action="risk.cross_bank_read").count() == 1
