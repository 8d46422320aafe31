"""The day's close run inline (`cunxin eod`): stages in order, resumed where a close stopped, never past today."""

from datetime import date, timedelta

from app.integrations.core_banking import SandboxCoreBanking
from app.models import CollectionTask, EarlyWarning, EodRun, LedgerTransaction
from app.services import business_date, eod_lease
from app.services.day_end import DayEndTools, close_business_day
from app.services.documents import MediaStore
from app.services.lending.eod import run_eod
from tests.factories.worklists import FAILING_CARD, drawn_loan, make_overdue

D = date(2026, 11, 27)


async def _book(vault):
    await business_date.set_current(D)
    _, _, loan = await drawn_loan(vault, card=FAILING_CARD, today=date(2026, 9, 27), valid_from=date(2026, 9, 1))
    await make_overdue(loan, days_past_due=30)
    return loan


def _tools(vault, tmp_path):
    return DayEndTools(core=SandboxCoreBanking(), vault=vault, media=MediaStore(tmp_path / "media"))


async def test_a_close_cut_after_lending_resumes_with_its_later_stages_first(demo, vault, tmp_path):
    loan = await _book(vault)
    tools = _tools(vault, tmp_path)
    # given D's lending committed but the process stopped before warnings and tags
    await run_eod(core=tools.core, vault=vault)
    assert (await EodRun.get(business_on=D)).stages_done == []
    # when the close is started again on D + 1
    reports = await close_business_day(tools=tools, today=D + timedelta(days=1))
    # then D's later stages run first, then D + 1 is closed from the start
    assert [(r.stage, r.business_on, r.status) for r in reports] == [
        ("risk", D, "done"), ("tags", D, "done"),
        ("lending", D + timedelta(days=1), "done"), ("risk", D + timedelta(days=1), "done"), ("tags", D + timedelta(days=1), "done"),
    ]
    assert await EarlyWarning.filter(loan_id=loan.id, business_on=D).count() == 1
    assert await CollectionTask.filter(loan_id=loan.id).count() == 1
    assert [r.stages_done for r in await EodRun.all().order_by("business_on")] == [["risk", "tags"], ["risk", "tags"]]
    # and once today is closed, the next start closes nothing
    again = await close_business_day(tools=tools, today=D + timedelta(days=1))
    assert [(r.stage, r.business_on, r.status) for r in again] == [("lending", D + timedelta(days=2), "not_yet")]
    assert not await EodRun.filter(business_on=D + timedelta(days=2)).exists()
    assert await LedgerTransaction.filter(business_on=D + timedelta(days=2)).count() == 0


async def test_a_later_stage_whose_date_is_leased_elsewhere_changes_nothing(demo, vault, tmp_path):
    loan = await _book(vault)
    tools = _tools(vault, tmp_path)
    await run_eod(core=tools.core, vault=vault)
    held = await eod_lease.acquire(D, ttl_seconds=600)  # another process is running D's warnings
    reports = await close_business_day(tools=tools, today=D + timedelta(days=1))
    assert [(r.stage, r.business_on, r.status) for r in reports] == [("risk", D, "running")]  # and it stops there
    assert await EarlyWarning.filter(loan_id=loan.id).count() == 0
    run = await EodRun.get(business_on=D)
    assert (run.stages_done, run.owner) == ([], held.owner)
    assert await business_date.current() == D + timedelta(days=1)  # D + 1 not closed behind the holder's back
