"""Binding a customer's card at the counter: the officer types the number, the customer confirms with the code sent to the phone the bank holds."""

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import Forbidden, NotFound, ValidationError
from app.integrations.core_banking import SandboxCoreBanking
from app.integrations.sms import SandboxSms
from app.models import AuditEvent, BankCard, CardBinding
from app.services.customers.cards import CardError, confirm_card_binding, counter_card, start_card_binding
from tests.factories import customer_with_line
from tests.factories.borrower import PHONE, holder_card
from tests.factories.villages import actor

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


async def _customer_without_card(vault):
    customer, line = await customer_with_line(vault, checked=False)
    await BankCard.filter(customer_id=customer.id).update(unbound_at=NOW - timedelta(days=1), is_default=False)
    return customer, line


async def _start(who, customer, vault, sms, number):
    return await start_card_binding(actor=who, customer_id=customer.id, card_number=number, core=SandboxCoreBanking(), sms=sms, vault=vault, now=NOW)


async def test_the_officer_binds_the_card_and_the_customer_confirms_with_the_code(demo, vault):
    # given a customer with a line and no bound card, at the counter with their officer
    customer, _ = await _customer_without_card(vault)
    officer, sms = await actor("officer1"), SandboxSms(expose_codes=True)
    assert await counter_card(officer, customer.id) is None
    # when the officer types the customer's card number
    binding = await _start(officer, customer, vault, sms, holder_card(vault, customer))
    # then the code goes to the phone the bank holds for the customer, and nothing is bound yet
    code = sms.last_code(PHONE)
    assert code and binding.phone_masked == "138****0000" and binding.customer_id == customer.id
    assert await counter_card(officer, customer.id) is None
    # when the customer reads the code back
    view = await confirm_card_binding(actor=officer, customer_id=customer.id, binding_id=binding.id, code=code, vault=vault, now=NOW)
    # then the card is the customer's verified default card, audited with the officer as the actor
    card = await counter_card(officer, customer.id)
    assert card is not None and card.id == view.card.id and card.verified_at == NOW and card.customer_id == customer.id
    bound = await AuditEvent.get(action="bank_card.bind", entity_id=str(card.id))
    assert bound.actor_id == str(officer.id) and bound.after["channel"] == "counter" and bound.after["customerId"] == str(customer.id)
    assert await AuditEvent.filter(action="bank_card.holder_verified", entity_id=str(binding.id)).count() == 1
    assert await AuditEvent.filter(action="phone.reveal", entity_id=str(customer.id)).count() == 1


async def test_a_bad_number_a_wrong_holder_and_a_wrong_code_bind_nothing(demo, vault):
    customer, _ = await _customer_without_card(vault)
    officer, sms = await actor("officer1"), SandboxSms(expose_codes=True)
    with pytest.raises(ValidationError):  # Luhn
        await _start(officer, customer, vault, sms, "6217000010001235")
    with pytest.raises(CardError) as mismatch:  # not this customer's card with the phone on record
        await _start(officer, customer, vault, sms, holder_card(vault, customer, phone="13900000000"))
    assert mismatch.value.code == "HOLDER_MISMATCH"
    binding = await _start(officer, customer, vault, sms, holder_card(vault, customer))
    with pytest.raises(CardError) as wrong:
        await confirm_card_binding(actor=officer, customer_id=customer.id, binding_id=binding.id, code="000000", vault=vault, now=NOW)
    assert wrong.value.code == "BAD_CODE"
    assert await counter_card(officer, customer.id) is None
    assert await AuditEvent.filter(action="bank_card.bind_refused", entity_id=str(customer.id)).count() == 2


async def test_only_front_staff_of_the_customers_branch_bind_at_the_counter(demo, vault):
    customer, _ = await _customer_without_card(vault)
    sms = SandboxSms(expose_codes=True)
    with pytest.raises(Forbidden):
        await _start(await actor("approver"), customer, vault, sms, holder_card(vault, customer))
    with pytest.raises(NotFound):
        await _start(await actor("officer2"), customer, vault, sms, holder_card(vault, customer))
    assert await CardBinding.all().count() == 0


async def test_a_customer_without_a_phone_on_record_is_told_so(demo, vault):
    customer, _ = await _customer_without_card(vault)
    await type(customer).filter(id=customer.id).update(phone_enc=None, phone_hash=None, phone_masked="")
    with pytest.raises(CardError) as err:
        await _start(await actor("officer1"), customer, vault, SandboxSms(expose_codes=True), holder_card(vault, customer))
    assert "没有登记手机号" in err.value.message
