import pytest

from app.domain.errors import DomainError, ValidationError
from app.integrations.identity import SandboxIdentityCheck
from app.models import AuditEvent, IdentityVerification
from app.models.risk import IdentityOutcome
from app.services import risk
from tests.factories.risk import NOW, actor, id_number, make_customer


async def _verify(**kwargs):
    return await risk.verify_identity(actor=await actor(), identity_check=SandboxIdentityCheck(), now=NOW, **kwargs)


async def test_a_customer_on_file_matches_and_the_number_use_is_audited(demo, vault):
    customer = await make_customer(vault)
    row = await _verify(vault=vault, customer_id=customer.id)
    assert (row.result, row.reason_code, row.reason) == (IdentityOutcome.MATCH, "MATCH", "姓名与号码一致")
    assert row.customer_id == customer.id and row.name == customer.name and row.checked_at == NOW
    assert row.id_number_hash == customer.id_number_hash and row.id_number_masked == customer.id_number_masked
    use = await AuditEvent.get(action="customer.id_number_use", entity_id=str(customer.id))
    assert use.after == {"purpose": "identity_check"}
    assert await AuditEvent.filter(action="identity.verify", entity_id=str(row.id)).exists()


@pytest.mark.parametrize(
    ("number", "portrait", "code", "message"),
    [
        ("141023198005171019", None, "NO_SUCH_NUMBER", "号码不存在"),  # wrong check code
        (id_number(871), None, "NO_SUCH_NUMBER", "号码不存在"),
        (id_number(883), None, "NAME_MISMATCH", "姓名与号码不一致"),
        (id_number(890), None, "DEACTIVATED", "号码已注销（死亡）"),
        (id_number(895), b"jpeg", "PORTRAIT_MISMATCH", "人像比对不一致"),
    ],
)
async def test_sandbox_mismatches_are_stored_with_their_reason(demo, vault, number, portrait, code, message):
    row = await _verify(vault=vault, name="王建国", id_number=number, portrait=portrait)
    assert (row.result, row.reason_code, row.reason) == (IdentityOutcome.MISMATCH, code, message)
    assert row.with_portrait is bool(portrait) and row.customer_id is None
    assert not await AuditEvent.filter(action="customer.id_number_use").exists()


async def test_a_typed_number_is_linked_to_the_customer_on_file(demo, vault):
    customer = await make_customer(vault, sequence=895)
    row = await _verify(vault=vault, name=customer.name, id_number=id_number(895).lower())
    assert row.result == IdentityOutcome.MATCH  # no portrait sent: the portrait row matches
    assert row.customer_id == customer.id


@pytest.mark.parametrize(("sequence", "code", "result"), [(899, "IDENTITY_CHECK_TIMEOUT", IdentityOutcome.TIMEOUT), (898, "IDENTITY_CHECK_FAILED", IdentityOutcome.FAILED)])
async def test_no_answer_is_stored_and_raised_never_a_match(demo, vault, sequence, code, result):
    with pytest.raises(DomainError) as err:
        await _verify(vault=vault, name="王建国", id_number=id_number(sequence))
    assert err.value.code == code
    row = await IdentityVerification.get()
    assert row.result == result


async def test_name_and_number_are_required_without_a_customer(demo, vault):
    with pytest.raises(ValidationError) as err:
        await _verify(vault=vault, name=" ", id_number=id_number(101))
    assert err.value.field == "name"
    with pytest.raises(ValidationError) as err:
        await _verify(vault=vault, name="王建国", id_number="1410231980")
    assert err.value.field == "id_number"
    assert await IdentityVerification.all().count() == 0
