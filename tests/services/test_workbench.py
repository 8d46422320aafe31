"""The workbench (工作台): each section shows the actor's work in their scope, never another branch's, in a fixed number of queries."""

from __future__ import annotations

from datetime import timedelta

from tortoise import connections

from app.domain import visit as flow
from app.models import Appraisal, Branch, CollectionTask, EarlyWarning, Loan, Product, Visit
from app.services import business_date
from app.services.workbench import SECTION_LIMIT, workbench
from tests.factories.villages import FENCHENG, NANGUAN, XIJIE, actor, open_appraisal, village
from tests.factories.worklists import drawn_loan, make_overdue
from tests.services.visits.helpers import NOW, TODAY, ctx_for, family, start
from tests.ui.test_risk_pages import _overdue

FENCHENG_CENTRE = (35.9731, 111.3012)
TZ = "Asia/Shanghai"


async def _bench(username: str, *, on=TODAY):
    return await workbench(actor=await actor(username), on=on, tz=TZ)


def _section(bench, key):
    return next((s for s in bench.sections if s.key == key), None)


def _ids(bench, key) -> set:
    section = _section(bench, key)
    return {i.target_id for i in section.items} if section else set()


async def _visit(vault, settings, *, by="officer1", code=XIJIE, seq=357, no="V01", at=None):
    c = await ctx_for(vault, settings, await family(vault, head_seq=seq, spouse_seq=None, village_code=code, no=no, by=by), by=by)
    return await start(c, at=at or (35.8765, 111.4421))


async def _appraisal(code: str, status: str, **fields) -> Appraisal:
    product = await Product.get(code="BIANLI")
    return await Appraisal.create(village=await village(code), product=product, status=status, rules={}, **fields)


async def _to_other_branch(loan: Loan) -> None:
    """Move a loan and its warning and collection task to 汾城支行 (officer2's), as if it were theirs."""
    other = await Branch.get(code="XF020")
    officer2 = (await actor("officer2")).id
    await Loan.filter(id=loan.id).update(branch_id=other.id)
    await EarlyWarning.filter(loan_id=loan.id).update(branch_id=other.id, officer_id=officer2)
    await CollectionTask.filter(loan_id=loan.id).update(branch_id=other.id, officer_id=officer2)


async def test_visits_to_resume_are_the_officers_own_open_visits(demo, vault, settings):
    mine = await _visit(vault, settings)
    theirs = await _visit(vault, settings, by="officer2", code=FENCHENG, seq=361, no="F01", at=FENCHENG_CENTRE)
    done = await _visit(vault, settings, seq=363, no="V02")
    await Visit.filter(id=done.id).update(status=flow.VisitStatus.ABANDONED)
    bench = await _bench("officer1")
    assert _ids(bench, "visits") == {mine.id}
    item = _section(bench, "visits").items[0]
    assert item.title.startswith("赵德胜") and item.detail.startswith("下一步：") and _section(bench, "visits").may_act
    assert _ids(await _bench("officer2"), "visits") == {theirs.id}
    assert _section(await _bench("auditor"), "visits") is None  # auditors visit nobody
    assert _section(await _bench("approver"), "visits") is None


async def test_approvals_waiting_are_the_branch_queue_for_approvers_only(demo, vault, settings):
    waiting = await _visit(vault, settings)
    other = await _visit(vault, settings, by="officer2", code=FENCHENG, seq=361, no="F01", at=FENCHENG_CENTRE)
    await Visit.filter(id__in=[waiting.id, other.id]).update(status=flow.VisitStatus.AWAITING_APPROVAL, submitted_at=NOW, proposed_amount_fen=5_000_000)
    approval = await _appraisal(NANGUAN, "approval", submitted_at=NOW)
    await _appraisal(FENCHENG, "approval", submitted_at=NOW)
    bench = await _bench("approver")
    assert _ids(bench, "visit_approvals") == {waiting.id}
    assert "拟授信 50,000.00 元" in _section(bench, "visit_approvals").items[0].detail
    assert _ids(bench, "appraisal_approvals") == {approval.id}
    assert _ids(await _bench("manager"), "visit_approvals") == {waiting.id}
    officer = await _bench("officer1")
    assert _section(officer, "visit_approvals") is None and _section(officer, "appraisal_approvals") is None
    assert _section(await _bench("auditor"), "visit_approvals") is None


async def test_ballots_to_cast_are_the_officers_open_seats(demo):
    appraisal, _ = await open_appraisal(code=XIJIE, officers=("officer1",))
    assert _ids(await _bench("officer1"), "ballots") == {appraisal.id}
    assert "还未评议" in _section(await _bench("officer1"), "ballots").items[0].detail
    assert _ids(await _bench("officer2"), "ballots") == set()
    await Appraisal.filter(id=appraisal.id).update(status="review")  # the round is over: nothing left to cast
    assert _ids(await _bench("officer1"), "ballots") == set()


async def test_overdue_and_warnings_show_in_scope_and_never_another_branchs(demo, vault, tmp_path):
    customer, loan = await _overdue(vault, tmp_path)
    task = await CollectionTask.get(loan_id=loan.id)
    warning = await EarlyWarning.get(loan_id=loan.id)
    for who in ("officer1", "manager", "approver", "auditor"):
        bench = await _bench(who)
        assert _ids(bench, "collections") == {task.id}, who
        assert _ids(bench, "warnings") == {warning.id}, who
    item = _section(await _bench("officer1"), "collections").items[0]
    assert item.customer_id == customer.id and item.detail.startswith("逾期 30 天") and item.urgent
    auditor = await _bench("auditor")
    assert not _section(auditor, "collections").may_act and not _section(auditor, "warnings").may_act
    assert _ids(await _bench("officer2"), "collections") == set() and _ids(await _bench("officer2"), "warnings") == set()
    await _to_other_branch(loan)
    for who in ("officer1", "manager", "approver"):
        bench = await _bench(who)
        assert _ids(bench, "collections") == set() and _ids(bench, "warnings") == set(), who
    assert _ids(await _bench("officer2"), "collections") == {task.id}


async def test_publications_closing_within_the_window(demo):
    closing = await _appraisal(XIJIE, "published", published_on=TODAY - timedelta(days=5), objection_until=TODAY + timedelta(days=2))
    await _appraisal(NANGUAN, "published", published_on=TODAY, objection_until=TODAY + timedelta(days=7))  # not closing yet
    await _appraisal(FENCHENG, "published", published_on=TODAY, objection_until=TODAY + timedelta(days=1))  # another branch
    bench = await _bench("officer1")
    assert _ids(bench, "publications") == {closing.id}
    assert "还剩 2 天" in _section(bench, "publications").items[0].detail
    assert _ids(await _bench("manager"), "publications") == {closing.id}
    assert _ids(await _bench("officer2"), "publications") != {closing.id}
    assert "今天截止" in _section(await _bench("officer1", on=TODAY + timedelta(days=2)), "publications").items[0].detail
    assert _ids(await _bench("officer1", on=TODAY + timedelta(days=3)), "publications") == set()


async def test_managers_see_todays_figures_and_officers_do_not(demo, vault, settings):
    await business_date.set_current(TODAY)
    await _visit(vault, settings)
    _, _, loan = await drawn_loan(vault)
    await make_overdue(loan, days_past_due=3)
    figures = (await _bench("manager")).figures
    assert figures is not None
    assert (figures.visits_today, figures.loans_disbursed_today, figures.overdue_loans) == (1, 1, 1)
    assert figures.lines_granted_today >= 0
    assert (await _bench("officer1")).figures is None
    other = (await _bench("officer2")).figures
    assert other is None  # officers see their own work, not branch figures
    await _to_other_branch(loan)
    assert (await _bench("manager")).figures.overdue_loans == 0


async def test_post_loan_checks_due_are_on_the_workbench_and_reviews_on_the_managers(demo, vault):
    from app.domain.postloan import CheckStatus
    from app.models import PostLoanCheck
    from tests.factories.postloan import loan_with_check

    # given officer1's first check, due in 30 days: not yet on the workbench (a week ahead only)
    customer, _, check = await loan_with_check(vault)
    assert _section(await _bench("officer1"), "postloan").items == []
    # once it is overdue, it is, urgent; officer2 and auditors have no such section or item
    await PostLoanCheck.filter(id=check.id).update(due_on=TODAY - timedelta(days=2))
    item, = _section(await _bench("officer1"), "postloan").items
    assert (item.kind, item.target_id, item.title, item.urgent) == ("postloan_check", check.id, customer.name, True) and "已逾期 2 天" in item.detail
    assert _section(await _bench("officer2"), "postloan").items == []
    assert _section(await _bench("auditor"), "postloan") is None
    # submitted: it leaves the officer's list and waits on the branch manager's
    await PostLoanCheck.filter(id=check.id).update(status=CheckStatus.SUBMITTED)
    assert _section(await _bench("officer1"), "postloan").items == []
    item, = _section(await _bench("manager"), "postloan").items
    assert item.target_id == check.id and "待复核" in item.detail


def _counting(monkeypatch) -> list:
    conn = connections.get("default")
    counted: list = []
    for name in ("execute_query", "execute_query_dict"):
        original = getattr(conn, name)

        async def wrapper(*args, _original=original, **kwargs):
            counted.append(args[0] if args else "")
            return await _original(*args, **kwargs)

        monkeypatch.setattr(conn, name, wrapper)
    return counted


async def test_the_workbench_costs_the_same_queries_for_one_item_or_many(demo, vault, settings, tmp_path, monkeypatch):
    await _visit(vault, settings)
    await _overdue(vault, tmp_path)
    await open_appraisal(code=XIJIE, officers=("officer1", "manager"))
    counted = _counting(monkeypatch)

    async def cost(who):
        someone = await actor(who)
        counted.clear()
        await workbench(actor=someone, on=TODAY, tz=TZ)
        return len(counted)

    one = {who: await cost(who) for who in ("officer1", "manager", "auditor")}
    monkeypatch.undo()
    for i in range(3):
        await _visit(vault, settings, seq=371 + 2 * i, no=f"V1{i}")
    for sequence in (359, 361, 363):
        _, _, loan = await drawn_loan(vault, sequence=sequence, card=f"62170000100{sequence}99")
        await make_overdue(loan, days_past_due=40)
    from app.services.documents import MediaStore
    from app.services.risk.collections import open_collection_tasks
    from app.services.risk.warnings import run_warnings
    from tests.ui.test_risk_pages import ON
    await run_warnings(on=ON, media=MediaStore(tmp_path / "media"))
    await open_collection_tasks(on=ON)
    assert len(_section(await _bench("officer1"), "collections").items) == 4
    counted = _counting(monkeypatch)
    many = {who: await cost(who) for who in ("officer1", "manager", "auditor")}
    assert many == one
    assert one == {"officer1": 7, "manager": 13, "auditor": 7}  # a query per section, four for the figures


async def test_a_section_shows_its_first_items_and_says_there_are_more(demo, vault, settings):
    first = await _visit(vault, settings)
    rows = [Visit(**{f: getattr(first, f) for f in ("household_id", "member_id", "officer_id", "village_id", "branch_id", "step", "started_at")},
                  status=flow.VisitStatus.IN_PROGRESS) for _ in range(SECTION_LIMIT + 2)]
    await Visit.bulk_create(rows)
    section = _section(await _bench("officer1"), "visits")
    assert len(section.items) == SECTION_LIMIT and section.more
