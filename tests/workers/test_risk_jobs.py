"""The after-end-of-day risk job: registered as a cron, waits for a running end-of-day, idempotent."""

from datetime import UTC, date, datetime

import pytest
from arq import Retry

from app.models import CollectionTask, EarlyWarning, EodRun
from app.services import business_date
from app.services.documents import MediaStore
from tests.factories_worklists import TODAY, drawn_loan, make_overdue
from workers.risk_jobs import MAX_TRIES, risk_after_eod
from workers.settings import DefaultWorker

ON = date(2027, 1, 26)


def test_the_job_is_registered_with_a_cron_after_end_of_day():
    assert risk_after_eod in DefaultWorker.functions
    crons = {c.name: c for c in DefaultWorker.cron_jobs}
    job = crons["cron:risk_after_eod"]
    assert job.minute == {30} and job.hour == crons["cron:end_of_day"].hour and job.unique and job.max_tries == MAX_TRIES


async def test_the_job_runs_warnings_and_collections_for_the_last_closed_day(demo, vault, tmp_path):
    await business_date.set_current(TODAY)
    _, _, loan = await drawn_loan(vault)
    await make_overdue(loan, days_past_due=30)
    await EodRun.create(business_on=ON, steps_done=["advance"], finished_at=datetime(2027, 1, 26, 15, 5, tzinfo=UTC))
    ctx = {"media": MediaStore(tmp_path / "media"), "job_try": 1, "job_id": "cron:risk_after_eod"}
    assert await risk_after_eod(ctx) == ON.isoformat()
    warning = await EarlyWarning.get(loan_id=loan.id)
    assert warning.business_on == ON and warning.kind == "rising_dpd"
    assert await CollectionTask.filter(loan_id=loan.id, status="open").count() == 1
    assert await risk_after_eod(ctx) == ON.isoformat()  # again: nothing new
    assert await EarlyWarning.all().count() == 1 and await CollectionTask.all().count() == 1


async def test_the_job_waits_while_end_of_day_is_still_running(demo, tmp_path):
    await EodRun.create(business_on=ON, steps_done=["accrue"])
    ctx = {"media": MediaStore(tmp_path / "media"), "job_try": 1}
    with pytest.raises(Retry):
        await risk_after_eod(ctx)
    assert await EarlyWarning.all().count() == 0
