"""Early warnings from external data (issue 20) on a real database: with the day's warnings, only for active borrowers,
only from data whose consent names post-loan monitoring, once per answer, citing the data and its date."""

from datetime import timedelta

import pytest

from app.domain.external_data import ExternalSource
from app.domain.external_import import KINDS
from app.domain.warnings import Thresholds, WarningKind
from app.integrations.external_data import sandbox_sources
from app.models import EarlyWarning, Officer
from app.services import business_date, external_data
from app.services.actor import SYSTEM
from app.services.documents import MediaStore
from app.services.external_data import ExternalDataPolicy
from app.services.external_data.imports import import_external
from app.services.risk.warnings import run_warnings
from tests.factories.risk import NOW, actor, make_customer
from tests.factories.worklists import TODAY, drawn_loan

TROUBLE = 801  # the sandbox sources answer with arrears, stopped contributions, a lapsed policy, unpaid bills
S = ExternalSource


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


@pytest.fixture
async def bank(demo):
    await business_date.set_current(TODAY)
    return demo


async def _consent(customer, by, source, purposes=("post_loan",)):
    return await external_data.record_consent(actor=by, customer_id=customer.id, source=source, purposes=purposes,
                                              signed_at=NOW - timedelta(days=1), expires_at=NOW + timedelta(days=365))


async def _ask(customer, by, source, vault, purpose="post_loan", now=NOW):
    return await external_data.query_external(actor=by, customer_id=customer.id, source=source, purpose=purpose,
                                              sources=sandbox_sources(clock=lambda: now), vault=vault, policy=ExternalDataPolicy(), now=now)


async def test_a_borrowers_external_data_warns_once_per_answer_citing_it(bank, vault, media):
    officer = await actor()
    customer, _, _ = await drawn_loan(vault, sequence=TROUBLE)
    for source in (S.HOUSING_FUND, S.SOCIAL_INSURANCE, S.TAX, S.STATE_GRID):
        await _consent(customer, officer, source)
        await _ask(customer, officer, source, vault)

    report = await run_warnings(on=TODAY, media=media)

    assert report.created == {"housing_fund_stopped": 1, "social_insurance_stopped": 1, "new_tax_arrears": 1, "electricity_arrears": 1}
    gjj = await EarlyWarning.get(kind=WarningKind.HOUSING_FUND_STOPPED)
    assert gjj.customer_id == customer.id and gjj.loan_id is None and gjj.subject_id == customer.id
    assert gjj.officer_id == (await Officer.get(username="officer1")).id
    assert gjj.message.startswith("公积金已 3 个月未缴存（最近缴存 2026-07") and "数据日期 2026-11-27" in gjj.message
    assert gjj.evidence["source"] == "housing_fund" and gjj.evidence["dataOn"] == "2026-11-27" and gjj.evidence["queryId"]
    grid = await EarlyWarning.get(kind=WarningKind.ELECTRICITY_ARREARS)
    assert len(grid.evidence["lateMonths"]) == 3

    # the same answers do not warn again: not on a re-run, not the next day
    assert (await run_warnings(on=TODAY, media=media)).created == {}
    assert (await run_warnings(on=TODAY + timedelta(days=1), media=media)).created == {}
    assert await EarlyWarning.all().count() == 4


async def test_an_imported_file_warns_too_and_a_surrender_warns_once(bank, vault, media, tmp_path):
    officer = await actor()
    customer, _, _ = await drawn_loan(vault, sequence=TROUBLE)
    await _consent(customer, officer, S.INSURANCE)
    await _ask(customer, officer, S.INSURANCE, vault)  # the sandbox: one policy 失效, none surrendered
    assert (await run_warnings(on=TODAY, media=media)).created == {}

    path = tmp_path / "policies.csv"
    path.write_text(",".join(KINDS[S.INSURANCE].headers) + f"\n{vault.decrypt(customer.id_number_enc, context=b'id_number')},{customer.name},中国人寿,国寿福终身寿险,5000,21000,退保\n",
                    encoding="utf-8")
    later = NOW + timedelta(days=1)
    assert (await import_external(actor=SYSTEM, vault=vault, source=S.INSURANCE, bank_code="14102301", path=path, confirm=True,
                                  max_bytes=1 << 20, now=later)).committed
    report = await run_warnings(on=TODAY + timedelta(days=1), media=media)
    assert report.created == {"policy_surrendered": 1}
    warning = await EarlyWarning.get(kind=WarningKind.POLICY_SURRENDERED)
    assert warning.message == "保单已退保：中国人寿「国寿福终身寿险」（数据日期 2026-11-28）"
    assert warning.evidence["importedFrom"] == "policies.csv" and warning.evidence["previousDataOn"] == "2026-11-27"


async def test_data_without_a_post_loan_consent_or_for_a_customer_without_a_loan_does_not_warn(bank, vault, media):
    officer = await actor()
    borrower, _, _ = await drawn_loan(vault, sequence=TROUBLE)
    await _consent(borrower, officer, S.TAX, purposes=("application",))
    await _ask(borrower, officer, S.TAX, vault, purpose="application")  # asked for an application
    await _consent(borrower, officer, S.TAX)  # a monitoring consent given afterwards does not open the application's data
    no_loan = await make_customer(vault, sequence=802, name="李秀英")
    await _consent(no_loan, officer, S.STATE_GRID)
    await _ask(no_loan, officer, S.STATE_GRID, vault)

    assert (await run_warnings(on=TODAY, media=media)).created == {}

    # a revoked monitoring consent stops the warnings even for data asked under it
    await _consent(borrower, officer, S.STATE_GRID)
    await _ask(borrower, officer, S.STATE_GRID, vault)
    for consent in await borrower.external_consents.filter(source=S.STATE_GRID):
        await external_data.revoke_consent(actor=officer, consent_id=consent.id, now=NOW)
    assert (await run_warnings(on=TODAY, media=media)).created == {}


async def test_the_months_without_contributions_are_a_setting(bank, vault, media):
    officer = await actor()
    customer, _, _ = await drawn_loan(vault, sequence=TROUBLE)
    await _consent(customer, officer, S.HOUSING_FUND)
    await _ask(customer, officer, S.HOUSING_FUND, vault)
    assert (await run_warnings(on=TODAY, media=media, thresholds=Thresholds(contributions_stopped_months=4))).created == {}
    assert (await run_warnings(on=TODAY, media=media, thresholds=Thresholds(contributions_stopped_months=3))).created == {"housing_fund_stopped": 1}
