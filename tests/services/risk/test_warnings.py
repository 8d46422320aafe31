"""Early warnings on a real database: found after end-of-day, idempotent, assigned, handled."""

from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain.errors import Conflict, Forbidden, NotFound, ValidationError
from app.domain.warnings import Severity, WarningKind
from app.integrations.core_banking import SandboxCoreBanking
from app.models import AuditEvent, CreditLine, DebitAttempt, EarlyWarning, Installment, Officer, WarningAction
from app.models.warning import WarningStatus
from app.services import business_date
from app.services.documents import MediaStore
from app.services.lending.eod import run_eod
from app.services.risk.warnings import handle_warning, run_warnings, warnings_query
from tests.factories.risk import actor, make_customer
from tests.factories.worklists import FAILING_CARD, TODAY, assign_village, drawn_loan, make_overdue, stored_report

NOW = datetime(2026, 12, 1, 3, 0, tzinfo=UTC)


@pytest.fixture
def media(tmp_path):
    return MediaStore(tmp_path / "media")


@pytest.fixture
async def bank(demo):
    await business_date.set_current(TODAY)
    return demo


async def _officer_id(username):
    return (await Officer.get(username=username)).id


async def test_end_of_day_overdue_and_failed_debits_become_warnings_once(bank, vault, media):
    # given a loan whose auto-debits fail, run through its first due date and two more days
    customer, _, loan = await drawn_loan(vault, card=FAILING_CARD)
    first = await Installment.get(loan_id=loan.id, number=1)
    core = SandboxCoreBanking()
    while await business_date.current() <= first.due_on:
        await run_eod(core=core, vault=vault)
    # when warnings run for the due date
    report = await run_warnings(on=first.due_on, media=media)
    # then one new-overdue warning, assigned to the village's officer
    assert report.created == {"new_overdue": 1}
    warning = await EarlyWarning.get(loan_id=loan.id)
    assert (warning.kind, warning.severity, warning.business_on) == (WarningKind.NEW_OVERDUE, Severity.LOW, first.due_on)
    assert warning.officer_id == await _officer_id("officer1") and warning.customer_id == customer.id and warning.status == WarningStatus.OPEN
    assert warning.evidence["dueOn"] == first.due_on.isoformat()
    # a re-run adds nothing
    again = await run_warnings(on=first.due_on, media=media)
    assert again.created == {} and await EarlyWarning.all().count() == 1
    # two more failed days: the third failure in ten business days warns; the loan is not "newly" overdue again
    for _ in range(2):
        await run_eod(core=core, vault=vault)
    day3 = first.due_on + timedelta(days=2)
    assert await DebitAttempt.filter(loan_id=loan.id, ok=False).count() == 3
    third = await run_warnings(on=day3, media=media)
    assert third.created == {"repeated_failed_debits": 1}
    failed = await EarlyWarning.get(kind=WarningKind.REPEATED_FAILED_DEBITS)
    assert failed.level == 3 and failed.evidence["failedOn"][-1] == day3.isoformat()
    # the next day's fourth failure is inside the same window: no second warning
    await run_eod(core=core, vault=vault)
    assert (await run_warnings(on=day3 + timedelta(days=1), media=media)).created == {}
    events = await AuditEvent.filter(action="warnings.run").order_by("at")
    assert len(events) == 4 and events[0].after["created"] == {"new_overdue": 1}


async def test_rising_dpd_warns_once_per_threshold_within_an_episode(bank, vault, media):
    _, _, loan = await drawn_loan(vault, village=None, line_officer="officer1")
    on = date(2027, 1, 26)
    await make_overdue(loan, days_past_due=29)
    assert (await run_warnings(on=on, media=media)).created == {}  # near miss
    await make_overdue(loan, days_past_due=30)
    assert (await run_warnings(on=on + timedelta(days=1), media=media)).created == {"rising_dpd": 1}
    await make_overdue(loan, days_past_due=31)
    assert (await run_warnings(on=on + timedelta(days=2), media=media)).created == {}
    await make_overdue(loan, days_past_due=60)
    assert (await run_warnings(on=on + timedelta(days=31), media=media)).created == {"rising_dpd": 1}
    rows = await EarlyWarning.filter(kind=WarningKind.RISING_DPD).order_by("business_on")
    assert [(w.level, w.severity) for w in rows] == [(30, Severity.MEDIUM), (60, Severity.HIGH)]
    assert {w.officer_id for w in rows} == {await _officer_id("officer1")}  # the line's officer


async def test_a_large_drawdown_right_after_granting_warns_once_per_line(bank, vault, media):
    _, line, loan = await drawn_loan(vault, amount_fen=8_000_000, valid_from=TODAY - timedelta(days=3))
    _, _, small = await drawn_loan(vault, amount_fen=7_999_999, valid_from=TODAY, sequence=359, card="6217000010004321")
    report = await run_warnings(on=TODAY, media=media)
    assert report.created == {"large_drawdown_after_grant": 1}
    warning = await EarlyWarning.get(kind=WarningKind.LARGE_DRAWDOWN_AFTER_GRANT)
    assert warning.loan_id == loan.id and warning.level == 80 and warning.evidence["drawn"] == "80000.00"
    assert not await EarlyWarning.filter(loan_id=small.id).exists()
    assert (await run_warnings(on=TODAY + timedelta(days=1), media=media)).created == {}
    assert (await CreditLine.get(id=line.id)).limit_fen == 10_000_000


async def test_new_hard_queries_at_a_report_refresh(bank, vault, media):
    customer = await make_customer(vault)
    await assign_village(customer)
    old, new = date(2026, 10, 8), date(2026, 12, 15)
    await stored_report(media, customer, vault, report_on=old, queries=[(date(2026, 9, 1), "某银行", "贷款审批")])
    assert (await run_warnings(on=old, media=media)).created == {}  # the first report has no baseline
    await stored_report(media, customer, vault, report_on=new, queries=[
        (date(2026, 9, 1), "某银行", "贷款审批"), (date(2026, 11, 2), "某消费金融公司", "贷款审批"),
        (date(2026, 11, 9), "某小贷公司", "贷后管理"), (new, "襄汾农商行", "贷款审批"),
    ])
    report = await run_warnings(on=new, media=media)
    assert report.created == {"new_hard_queries": 1}
    warning = await EarlyWarning.get(kind=WarningKind.NEW_HARD_QUERIES)
    assert warning.loan_id is None and warning.subject_id == customer.id and warning.level == 1
    assert warning.evidence["queries"] == [{"on": "2026-11-02", "institution": "某消费金融公司", "reason": "贷款审批"}]
    assert warning.officer_id == await _officer_id("officer1")
    assert (await run_warnings(on=new, media=media)).created == {}


async def test_an_unreadable_stored_report_is_skipped_and_counted(bank, vault, media):
    customer = await make_customer(vault)
    await stored_report(media, customer, vault, report_on=date(2026, 10, 8), queries=[])
    query = await stored_report(media, customer, vault, report_on=date(2026, 12, 15), queries=[(date(2026, 11, 2), "某银行", "贷款审批")])
    await query.fetch_related("report_document")
    media.path_for(query.report_document.sha256).unlink()
    report = await run_warnings(on=date(2026, 12, 15), media=media)
    assert report.skipped_reports == 1 and report.created == {}


async def _warning(vault, media):
    _, _, loan = await drawn_loan(vault)
    await make_overdue(loan, days_past_due=30)
    await run_warnings(on=date(2027, 1, 26), media=media)
    return await EarlyWarning.get(loan_id=loan.id)


async def test_handling_a_warning_records_the_action_and_closes_it(bank, vault, media):
    warning = await _warning(vault, media)
    officer = await actor("officer1")
    noted = await handle_warning(actor=officer, warning_id=warning.id, action="note", note="已电话联系，客户称下周还款", now=NOW)
    assert noted.status == WarningStatus.OPEN
    done = await handle_warning(actor=officer, warning_id=warning.id, action="handle", note="客户已还清逾期款项", now=NOW + timedelta(hours=1))
    assert done.status == WarningStatus.HANDLED and done.handled_by_id == officer.id and done.handled_at == NOW + timedelta(hours=1)
    actions = await WarningAction.filter(warning_id=warning.id).order_by("at").values_list("action", "note")
    assert [(str(a), n) for a, n in actions] == [("note", "已电话联系，客户称下周还款"), ("handle", "客户已还清逾期款项")]
    event = await AuditEvent.filter(action="warning.handle", entity_id=str(warning.id)).order_by("-at").first()
    assert event.before == {"status": "open"} and event.after == {"status": "handled", "action": "handle"}
    with pytest.raises(Conflict) as closed:
        await handle_warning(actor=officer, warning_id=warning.id, action="dismiss", note="再处理一次", now=NOW)
    assert closed.value.code == "WARNING_CLOSED"
    assert await WarningAction.filter(warning_id=warning.id).count() == 2


@pytest.mark.parametrize(
    ("username", "action", "note", "error", "field"),
    [
        ("officer1", "note", "   ", ValidationError, "note"),
        ("officer1", "escalate", "说明", ValidationError, "action"),
        ("officer1", "note", "长" * 501, ValidationError, "note"),
        ("officer2", "handle", "说明", NotFound, "warning_id"),  # another branch's officer
        ("auditor", "handle", "说明", Forbidden, None),
    ],
)
async def test_bad_handling_changes_nothing(bank, vault, media, username, action, note, error, field):
    warning = await _warning(vault, media)
    with pytest.raises(error) as exc:
        await handle_warning(actor=await actor(username), warning_id=warning.id, action=action, note=note, now=NOW)
    assert exc.value.field == field
    assert (await EarlyWarning.get(id=warning.id)).status == WarningStatus.OPEN
    assert await WarningAction.all().count() == 0 and not await AuditEvent.filter(action="warning.handle").exists()


async def test_worklists_are_scoped(bank, vault, media):
    warning = await _warning(vault, media)
    assert [w.id for w in await warnings_query(await actor("officer1"))] == [warning.id]
    assert [w.id for w in await warnings_query(await actor("manager"), status="open")] == [warning.id]
    assert await warnings_query(await actor("manager"), status="handled").count() == 0
    assert await warnings_query(await actor("officer2")).count() == 0
    assert await warnings_query(await actor("auditor")).count() == 1  # head office: reads everything
    assert await warnings_query(None).count() == 0
    await EarlyWarning.filter(id=warning.id).update(officer_id=None)
    assert await warnings_query(await actor("officer1")).count() == 0  # unassigned: managers only
    assert await warnings_query(await actor("approver")).count() == 1
