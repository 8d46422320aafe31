"""Reports per bank and consolidated (issue 15): a bank filter and grouping by bank (法人行), the per-bank figures adding
up to the consolidated ones, and report keys scoped to a bank (its head branch) or to the platform."""

from __future__ import annotations

from datetime import UTC, datetime

from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent
from app.services import business_date
from app.services import reporting as svc
from app.services.actor import SYSTEM
from app.services.auth.officers import actor_for
from app.services.reporting.keys import create_report_key, resolve_report_key
from tests.factories import officer
from tests.factories.banks import FIRST_BANK_CODE, SECOND_BANK_CODE, YC_BRANCH, first_bank, second_bank
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_books_per_bank import loan_at
from tests.services.lending.test_classification_state import PAYS

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


async def _two_banks(vault):
    await business_date.set_current(TODAY)
    core = SandboxCoreBanking()
    await second_bank()
    a = await loan_at(vault, core, branch_code="XF010", sequence=357, card=PAYS)
    b = await loan_at(vault, core, branch_code=YC_BRANCH, sequence=358, card=PAYS)
    return await first_bank(), (await second_bank()).bank, a, b


def _sum(reports) -> tuple[int, int]:
    return sum(r.total.loans for r in reports), sum(r.total.outstanding_fen for r in reports)


async def test_the_portfolio_per_bank_adds_up_to_the_consolidated_portfolio(demo, vault):
    # given two banks with a loan each, read by the platform auditor
    first, second, _a, b = await _two_banks(vault)
    auditor = await actor_for(await officer("platform_auditor"))
    # when the portfolio is grouped by bank, and filtered to each bank
    grouped = await svc.portfolio_summary(actor=auditor, group_by=svc.GroupBy.BANK)
    per_bank = [await svc.portfolio_summary(actor=auditor, filt=svc.ReportFilter(bank_id=x.id)) for x in (first, second)]
    # then one group per bank, by code, with its name; the consolidated total is their sum
    assert [(g.key, g.code, g.name) for g in grouped.groups.rows] == [(second.id, SECOND_BANK_CODE, "翼城农商行"), (first.id, FIRST_BANK_CODE, "襄汾农商行")]
    assert (grouped.total.loans, grouped.total.outstanding_fen) == _sum(per_bank)
    assert [(g.figures.loans, g.figures.outstanding_fen) for g in grouped.groups.rows] == [
        (per_bank[1].total.loans, per_bank[1].total.outstanding_fen), (per_bank[0].total.loans, per_bank[0].total.outstanding_fen)]
    assert (per_bank[1].total.loans, per_bank[1].total.outstanding_fen) == (1, b.principal_fen)
    assert svc.GROUP_LABELS[svc.GroupBy.BANK] == "法人行"
    # and every other report takes the bank filter: the second bank's disbursements are its one loan
    series = await svc.disbursement_series(actor=auditor, filt=svc.ReportFilter(bank_id=second.id))
    assert sum(p.amount_fen for p in series.points.rows) == b.principal_fen
    risk = await svc.risk_summary(actor=auditor, group_by=svc.GroupBy.BANK)
    assert {g.code for g in risk.groups.rows} <= {FIRST_BANK_CODE, SECOND_BANK_CODE}  # warnings and tasks, grouped by bank


async def test_a_bank_officer_asking_for_another_bank_gets_nothing_and_it_is_audited(demo, vault):
    # given bank #1's admin
    _first, second, _a, _b = await _two_banks(vault)
    admin = await actor_for(await officer("admin"))
    # when they ask for the second bank's portfolio
    report = await svc.portfolio_summary(actor=admin, filt=svc.ReportFilter(bank_id=second.id))
    # then it is empty and the attempt is recorded
    assert report.groups.rows == [] and report.total.loans == 0
    assert await AuditEvent.filter(action="report.scope_denied", entity_type="bank", entity_id=str(second.id)).exists()
    # and grouped by bank they see their own bank only
    own = await svc.portfolio_summary(actor=admin, group_by=svc.GroupBy.BANK)
    assert [g.code for g in own.groups.rows] == [FIRST_BANK_CODE]


async def test_a_bank_key_sees_only_its_bank_and_a_platform_key_sees_both(demo, vault):
    # given a key of bank #1 (its head branch) and a key of the platform
    first, second, _a, _b = await _two_banks(vault)
    bank_key = await create_report_key(actor=SYSTEM, name="襄汾报表", branch_code="XF000")
    platform_key = await create_report_key(actor=SYSTEM, name="平台报表", branch_code="PLATFORM")
    ours, platform = await resolve_report_key(bank_key.token, now=NOW), await resolve_report_key(platform_key.token, now=NOW)
    # when each reads the portfolio grouped by bank
    by_ours = await svc.portfolio_summary(actor=ours, group_by=svc.GroupBy.BANK)
    by_platform = await svc.portfolio_summary(actor=platform, group_by=svc.GroupBy.BANK)
    # then the bank's key sees bank #1 only (and nothing when it asks for the second bank); the platform key both
    assert ours.bank_id == first.id and platform.bank_id is None
    assert [g.code for g in by_ours.groups.rows] == [FIRST_BANK_CODE]
    assert [g.code for g in by_platform.groups.rows] == [SECOND_BANK_CODE, FIRST_BANK_CODE]
    assert (await svc.portfolio_summary(actor=ours, filt=svc.ReportFilter(bank_id=second.id))).total.loans == 0
    assert by_platform.total.loans == by_ours.total.loans + 1
