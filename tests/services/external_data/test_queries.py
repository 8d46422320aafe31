"""External data queries (app/services/external_data): consent per source and purpose, recorded, reused, typed outcomes."""

from datetime import timedelta

import pytest

from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.external_data import ConsentPurpose, ExternalQueryStatus, ExternalSource, HousingFundFacts
from app.integrations.external_data import sandbox_sources
from app.models import AuditEvent, ExternalDataQuery
from app.services import external_data
from app.services.external_data import ExternalDataPolicy
from tests.factories.banks import YC_BRANCH, second_bank
from tests.factories.risk import NOW, actor, make_customer

RICH, ARREARS, NO_RECORD, ERROR, TIMEOUT = 101, 801, 811, 821, 831
GJJ = ExternalSource.HOUSING_FUND
APPLICATION, POST_LOAN = ConsentPurpose.APPLICATION, ConsentPurpose.POST_LOAN


class CountingSources:
    """The sandbox sources (fixed clock), counting the calls that reach a source."""

    def __init__(self):
        self.inner = sandbox_sources(clock=lambda: NOW)
        self.calls: list[str] = []

    def get(self, source):
        inner, calls = self.inner.get(source), self.calls

        class Counted:
            async def fetch(self, **kw):
                calls.append(ExternalSource(source).value)
                return await inner.fetch(**kw)

        return Counted()


async def consent(customer, by, *, source=GJJ, purposes=("application",), signed_at=NOW - timedelta(days=1), days=365):
    return await external_data.record_consent(actor=by, customer_id=customer.id, source=source, purposes=purposes,
                                              signed_at=signed_at, expires_at=signed_at + timedelta(days=days))


async def query(customer, by, sources, *, source=GJJ, purpose=APPLICATION, now=NOW, policy=ExternalDataPolicy(), vault):
    return await external_data.query_external(actor=by, customer_id=customer.id, source=source, purpose=purpose,
                                              sources=sources, vault=vault, policy=policy, now=now)


async def test_a_consented_query_answers_from_the_source_and_is_recorded(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=RICH), CountingSources()
    given = await consent(customer, officer)

    outcome = await query(customer, officer, sources, vault=vault)

    assert outcome.status == ExternalQueryStatus.OK and outcome.passed and not outcome.reused
    assert isinstance(outcome.facts, HousingFundFacts) and outcome.facts.arrears_fen == 0
    row = await ExternalDataQuery.get(id=outcome.query_id)
    assert (row.customer_id, row.bank_id, row.consent_id, row.source, row.purpose) == (customer.id, customer.bank_id, given.id, GJJ, "application")
    assert row.officer_id == officer.id and row.actor.startswith("officer:") and row.requested_at == NOW
    assert row.facts["employer"] == outcome.facts.employer
    assert sources.calls == ["housing_fund"]
    actions = await AuditEvent.filter(entity_id=str(row.id)).values_list("action", flat=True)
    assert "external_query.finish" in actions


async def test_no_consent_is_refused_and_the_source_is_not_asked(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault), CountingSources()
    await consent(customer, officer, source=ExternalSource.TAX)  # consent for another source does not count

    with pytest.raises(DomainError) as refused:
        await query(customer, officer, sources, vault=vault)

    assert refused.value.code == "NO_AUTHORISATION" and "公积金" in refused.value.message
    assert sources.calls == [] and await ExternalDataQuery.all().count() == 0
    assert await AuditEvent.filter(action="external_query.refused", entity_id=str(customer.id)).exists()


async def test_a_consent_is_for_its_purposes_only(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault), CountingSources()
    await consent(customer, officer, purposes=("application",))

    with pytest.raises(DomainError, match="贷后监测"):
        await query(customer, officer, sources, purpose=POST_LOAN, vault=vault)
    assert sources.calls == []


@pytest.mark.parametrize("case", ["expired", "not_yet_signed", "revoked"])
async def test_an_expired_future_or_revoked_consent_does_not_count(demo, vault, case):
    officer, customer, sources = await actor(), await make_customer(vault), CountingSources()
    if case == "expired":
        await consent(customer, officer, signed_at=NOW - timedelta(days=400), days=365)
    elif case == "not_yet_signed":
        await consent(customer, officer, signed_at=NOW + timedelta(hours=1))
    else:
        given = await consent(customer, officer)
        await external_data.revoke_consent(actor=officer, consent_id=given.id, now=NOW - timedelta(minutes=1))

    with pytest.raises(DomainError):
        await query(customer, officer, sources, vault=vault)
    assert sources.calls == []


async def test_an_answer_is_reused_while_fresh_then_asked_again(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault), CountingSources()
    await consent(customer, officer, purposes=("application", "post_loan"))
    policy = ExternalDataPolicy(default_freshness=timedelta(days=30), freshness={GJJ: timedelta(days=7)})

    first = await query(customer, officer, sources, vault=vault, policy=policy)
    again = await query(customer, officer, sources, vault=vault, policy=policy, now=NOW + timedelta(days=6), purpose=POST_LOAN)
    later = await query(customer, officer, sources, vault=vault, policy=policy, now=NOW + timedelta(days=8))

    assert again.reused and again.query_id == first.query_id and again.facts == first.facts
    assert not later.reused and later.query_id != first.query_id
    assert sources.calls == ["housing_fund", "housing_fund"]
    assert await AuditEvent.filter(action="external_query.reuse", entity_id=str(first.query_id)).count() == 1


async def test_freshness_zero_always_asks_again(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault), CountingSources()
    await consent(customer, officer)
    policy = ExternalDataPolicy(default_freshness=timedelta(0))
    await query(customer, officer, sources, vault=vault, policy=policy)
    await query(customer, officer, sources, vault=vault, policy=policy)
    assert sources.calls == ["housing_fund", "housing_fund"]


@pytest.mark.parametrize(("sequence", "status"), [(TIMEOUT, ExternalQueryStatus.TIMEOUT), (ERROR, ExternalQueryStatus.FAILED)])
async def test_a_timeout_or_an_error_is_recorded_never_a_pass_and_never_reused(demo, vault, sequence, status):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=sequence), CountingSources()
    await consent(customer, officer)

    outcome = await query(customer, officer, sources, vault=vault)
    again = await query(customer, officer, sources, vault=vault, now=NOW + timedelta(minutes=5))

    assert outcome.status == status and not outcome.passed and outcome.facts is None and outcome.message
    assert not again.reused and len(sources.calls) == 2
    rows = await ExternalDataQuery.filter(customer_id=customer.id).order_by("requested_at")
    assert [r.status for r in rows] == [status, status] and rows[0].error_code and rows[0].facts is None


async def test_no_record_is_an_answer_without_facts(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault, sequence=NO_RECORD), CountingSources()
    await consent(customer, officer)
    outcome = await query(customer, officer, sources, vault=vault)
    assert outcome.status == ExternalQueryStatus.NO_RECORD and outcome.passed and outcome.facts is None


async def test_consent_input_is_checked(demo, vault):
    officer, customer = await actor(), await make_customer(vault)
    with pytest.raises(ValidationError):
        await consent(customer, officer, purposes=())
    with pytest.raises(ValidationError):
        await consent(customer, officer, purposes=("marketing",))
    with pytest.raises(ValidationError):
        await consent(customer, officer, source="weather")
    with pytest.raises(ValidationError):
        await consent(customer, officer, days=0)


async def test_consents_and_answers_belong_to_the_customers_bank(demo, vault):
    # one person, a customer at bank A (襄汾) and at bank B (翼城)
    bank_b = await second_bank()
    officer_a, officer_b = await actor(), await bank_b.actor()
    at_a = await make_customer(vault, sequence=RICH)
    at_b = await make_customer(vault, sequence=RICH, branch_code=YC_BRANCH)
    sources = CountingSources()
    await consent(at_a, officer_a)
    first = await query(at_a, officer_a, sources, vault=vault)

    # bank B cannot reach bank A's record, and A's consent and answer do not serve B's record
    with pytest.raises(NotFound):
        await query(at_a, officer_b, sources, vault=vault)
    with pytest.raises(DomainError):
        await query(at_b, officer_b, sources, vault=vault)
    await consent(at_b, officer_b)
    at_bank_b = await query(at_b, officer_b, sources, vault=vault)
    assert not at_bank_b.reused and at_bank_b.query_id != first.query_id
    assert (await ExternalDataQuery.get(id=at_bank_b.query_id)).bank_id == bank_b.bank.id
    assert sources.calls == ["housing_fund", "housing_fund"]


async def test_an_expired_or_revoked_consent_is_refused_in_words_that_say_so(demo, vault):
    officer, customer, sources = await actor(), await make_customer(vault), CountingSources()
    await consent(customer, officer, signed_at=NOW - timedelta(days=40), days=30)  # ended 2026-11-17 (Beijing)

    with pytest.raises(DomainError) as expired:
        await query(customer, officer, sources, vault=vault)
    assert expired.value.code == "NO_AUTHORISATION"
    assert expired.value.message == "客户的公积金数据查询授权（用途：授信申请）已于 2026-11-17 到期，请客户重新签署授权后再查询"

    given = await consent(customer, officer)
    await external_data.revoke_consent(actor=officer, consent_id=given.id, now=NOW - timedelta(hours=1))
    with pytest.raises(DomainError) as revoked:
        await query(customer, officer, sources, vault=vault)
    assert revoked.value.message == "客户的公积金数据查询授权（用途：授信申请）已撤回，不能查询"
    assert sources.calls == []
    reasons = [e.after["reason"] for e in await AuditEvent.filter(action="external_query.refused").order_by("at", "id")]
    assert reasons == ["expired", "revoked"]
