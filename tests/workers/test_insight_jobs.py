from datetime import date

import pytest
from arq import Retry

from app.models import CustomerTag, EodRun
from app.services import business_date
from tests.factories_reporting import full_book
from workers.insight_jobs import MAX_TRIES, refresh_tags
from workers.settings import DefaultWorker


def test_the_job_is_registered_with_a_cron_after_end_of_day():
    assert refresh_tags in DefaultWorker.functions
    crons = {c.name: c for c in DefaultWorker.cron_jobs}
    assert crons["cron:refresh_tags"].minute == {45} and crons["cron:refresh_tags"].max_tries == MAX_TRIES


async def test_refreshes_tags_for_the_business_date_and_waits_for_a_running_eod(demo, vault):
    await full_book(vault)
    await business_date.set_current(date(2026, 3, 21))
    await EodRun.create(business_on=date(2026, 3, 20))
    with pytest.raises(Retry):
        await refresh_tags({"job_try": 1})
    assert await CustomerTag.all().count() == 0
    assert await refresh_tags({"job_try": MAX_TRIES}) == "2026-03-21"
    assert await CustomerTag.all().count() == 9  # C2–C5 overdue now (2 each), C6 paid late once
    assert await refresh_tags({"job_try": 1}, business_on="2026-03-22") == "2026-03-22"
