"""Post-loan checks raised by the day's close: first, periodic and by warnings; idempotent; assigned; the due list."""

from datetime import date, timedelta

from app.domain.postloan import CheckReason, CheckStatus
from app.domain.warnings import Severity, WarningKind
from app.models import EarlyWarning, Officer, PostLoanCheck
from app.services.postloan import checks_due, officer_monitoring, raise_checks
from app.services.risk.after_eod import run_after_eod
from app.services.documents import MediaStore
from tests.factories.postloan import loan_with_check
from tests.factories.risk import actor
from tests.factories.worklists import TODAY


async def test_the_close_raises_the_first_check_once(demo, vault, tmp_path):
    # given a loan drawn today, and the close's first run raised its first check
    customer, loan, check = await loan_with_check(vault)
    # then it is due thirty days later, for the village's officer
    assert (check.reason, check.due_on, check.status) == (CheckReason.FIRST, TODAY + timedelta(days=30), CheckStatus.DUE)
    assert check.officer_id == (await Officer.get(username="officer1")).id and check.customer_id == customer.id
    # when the day's risk stage runs the same date again (and again)
    report = await run_after_eod(media=MediaStore(tmp_path), on=TODAY)
    again = await raise_checks(on=TODAY)
    # then nothing more
    assert report.checks.total == 0 and again.created == {}
    assert await PostLoanCheck.filter(loan_id=loan.id).count() == 1


async def test_a_periodic_check_follows_the_last_confirmed_one_by_class(demo, vault):
    # given the first check confirmed on a date
    _, loan, check = await loan_with_check(vault)
    done_on = date(2026, 12, 20)
    await PostLoanCheck.filter(id=check.id).update(status=CheckStatus.CONFIRMED, checked_on=done_on)
    # when the close runs 16 days and then 15 days before 180 days after it
    early = await raise_checks(on=done_on + timedelta(days=180 - 16))
    on_time = await raise_checks(on=done_on + timedelta(days=180 - 15))
    twice = await raise_checks(on=done_on + timedelta(days=180 - 14))
    # then one periodic check, due 180 days after the last (正常)
    assert early.created == {} and on_time.created == {"periodic": 1} and twice.created == {}
    periodic = await PostLoanCheck.get(loan_id=loan.id, reason=CheckReason.PERIODIC)
    assert periodic.due_on == done_on + timedelta(days=180)


async def test_a_warning_raises_a_check_due_in_seven_days_once(demo, vault):
    # given a loan with its first check, and an overdue warning of a later day
    customer, loan, _ = await loan_with_check(vault)
    on = TODAY + timedelta(days=31)
    await EarlyWarning.create(kind=WarningKind.NEW_OVERDUE, severity=Severity.LOW, customer_id=customer.id, loan_id=loan.id, subject_id=loan.id,
                              branch_id=loan.branch_id, officer_id=None, business_on=on, message="逾期", evidence={})
    # when that day's close runs twice
    first = await raise_checks(on=on)
    second = await raise_checks(on=on)
    # then one warning check, due a week later, linked to the warning
    assert first.created == {"warning": 1} and second.created == {}
    check = await PostLoanCheck.get(loan_id=loan.id, reason=CheckReason.WARNING)
    assert check.due_on == on + timedelta(days=7) and check.warning_id is not None
    # a reconciliation break raises none
    await EarlyWarning.create(kind=WarningKind.RECONCILIATION_BREAK, severity=Severity.HIGH, customer_id=customer.id, loan_id=loan.id,
                              subject_id=loan.id, branch_id=loan.branch_id, business_on=on + timedelta(days=1), message="对账", evidence={})
    await PostLoanCheck.filter(id=check.id).update(status=CheckStatus.CONFIRMED)
    assert (await raise_checks(on=on + timedelta(days=1))).created == {}


async def test_due_lists_are_scoped(demo, vault):
    # given officer1's check, overdue by 3 days
    _, loan, check = await loan_with_check(vault)
    on = check.due_on + timedelta(days=3)
    # then officer1 sees it (overdue), officer2 nothing, the manager nothing to do until it is submitted
    mine = await checks_due(await actor("officer1"), on)
    assert [(d.check_id, d.days_overdue, d.to_review, d.reason_label) for d in mine] == [(check.id, 3, False, "首次检查")]
    assert await checks_due(await actor("officer2"), on) == []
    assert await checks_due(await actor("manager"), on) == []
    assert await checks_due(await actor("auditor"), on) == []
    # not yet within the week ahead: not listed
    assert await checks_due(await actor("officer1"), check.due_on - timedelta(days=8)) == []
    # the manager's monitoring: officer1 has one overdue
    load = await officer_monitoring(await actor("manager"), on)
    assert [(x.officer_name, x.due, x.overdue, x.oldest_overdue_days) for x in load] == [("张建华", 0, 1, 3)]
    assert await officer_monitoring(await actor("officer2"), on) == []
    # submitted: the manager has it to review
    await PostLoanCheck.filter(id=check.id).update(status=CheckStatus.SUBMITTED)
    review = await checks_due(await actor("manager"), on)
    assert [(d.check_id, d.to_review) for d in review] == [(check.id, True)]
