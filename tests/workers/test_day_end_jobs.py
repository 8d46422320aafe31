"""The day's close in the worker: one cron, then one job per stage and date, each enqueued after the previous committed."""

from datetime import date, timedelta

from arq.worker import Worker

from app import clock
from app.integrations.core_banking import SandboxCoreBanking
from app.models import CollectionTask, CustomerTag, EarlyWarning, EodRun
from app.services import business_date
from app.services.documents import MediaStore
from app.services.jobs import DEFAULT_QUEUE, ArqJobQueue
from app.wiring import redis_settings
from tests.factories.worklists import FAILING_CARD, drawn_loan, make_overdue
from tests.fakes import FakeJobQueue
from workers.default import DefaultWorker, day_end_stage, start_day_end

D = date(2026, 11, 27)


def test_one_cron_starts_the_close_and_no_clock_coordinates_its_stages():
    crons = {c.name: c for c in DefaultWorker.cron_jobs}
    # resolve_core: core instructions 处理中; reconcile_jobs: contract renders and sync attempts the queue lost (neither is the close)
    assert set(crons) == {"cron:start_day_end", "cron:send_outbox", "cron:resolve_core", "cron:reconcile_jobs"}
    assert crons["cron:start_day_end"].unique and crons["cron:start_day_end"].minute == {0}
    assert str(DefaultWorker.timezone) == "Asia/Shanghai"
    names = {getattr(f, "name", getattr(f, "__name__", "")) for f in DefaultWorker.functions}
    assert "day_end_stage" in names and not names & {"end_of_day", "risk_after_eod", "refresh_tags"}


async def _state(function, kwargs):
    """What the database says at the moment a stage is enqueued."""
    run = await EodRun.get_or_none(business_on=date.fromisoformat(kwargs["business_on"]))
    return (run.finished_at is not None, list(run.stages_done)) if run else None


async def test_each_stage_is_enqueued_after_the_previous_committed_one_job_id_per_stage_and_date(demo, vault, settings, tmp_path):
    # given an overdue loan and the business date D
    await business_date.set_current(D)
    _, _, loan = await drawn_loan(vault, card=FAILING_CARD, today=date(2026, 9, 27), valid_from=date(2026, 9, 1))
    await make_overdue(loan, days_past_due=30)
    queue = FakeJobQueue(on_enqueue=_state)
    ctx = {"settings": settings, "core": SandboxCoreBanking(), "vault": vault, "media": MediaStore(tmp_path / "media"), "queue": queue}
    # when the cron fires (twice: a second worker host), then each queued job runs in turn
    await start_day_end(ctx)
    await start_day_end(ctx)
    for n in range(3):
        assert await day_end_stage(ctx, **queue.jobs[n].kwargs) == "done"
    # then lending, risk and tags ran in that order, each once, each enqueued after the previous committed
    ids = queue.ids()
    assert ids[:3] == ["lending:2026-11-27", "risk:2026-11-27", "tags:2026-11-27"]
    assert [j.seen for j in queue.jobs[:3]] == [None, (True, []), (True, ["risk"])]
    assert ids[3] == "lending:2026-11-28"  # and the chain goes on closing dates up to today
    assert {j.function for j in queue.jobs} == {"day_end_stage"}
    assert (await EodRun.get(business_on=D)).stages_done == ["risk", "tags"]
    assert await EarlyWarning.filter(loan_id=loan.id, business_on=D).count() == 1
    assert await CollectionTask.filter(loan_id=loan.id).count() == 1
    assert await CustomerTag.all().count() > 0
    # a stage delivered twice (arq is at-least-once) changes nothing
    assert await day_end_stage(ctx, stage="risk", business_on=D.isoformat(), through=D.isoformat()) == "already_done"
    assert await EarlyWarning.filter(loan_id=loan.id).count() == 1


async def test_a_real_worker_closes_yesterday_and_today_stage_after_stage(demo, vault, settings, redis_server, tmp_path):
    today = clock.local_today(settings.business_tz)
    await business_date.set_current(today - timedelta(days=1))
    queue = ArqJobQueue(redis_settings(settings))
    ctx = {"settings": settings, "core": SandboxCoreBanking(), "vault": vault, "media": MediaStore(tmp_path / "media"), "queue": queue}
    await start_day_end(ctx)
    worker = Worker(functions=DefaultWorker.functions, queue_name=DEFAULT_QUEUE, redis_settings=redis_settings(settings), burst=True,
                    poll_delay=0.05, ctx=ctx, handle_signals=False)
    try:
        await worker.main()
    finally:
        await worker.close()
        await queue.close()
    runs = await EodRun.all().order_by("business_on")
    assert [(r.business_on, r.stages_done, r.finished_at is not None) for r in runs] == [
        (today - timedelta(days=1), ["risk", "tags"], True), (today, ["risk", "tags"], True),
    ]
    assert await business_date.current() == today + timedelta(days=1)  # and not one day more
