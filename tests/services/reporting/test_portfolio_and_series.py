"""Report figures against hand-computed totals (tests/factories/reporting.py has the table)."""

from datetime import date
from decimal import Decimal

from app.domain.classification import LoanClass
from app.models import AuditEvent, Branch, Officer, Product, Village
from app.services.reporting import GroupBy, Interval, Page, ReportFilter, disbursement_series, portfolio_summary, repayment_series
from tests.factories.reporting import FEN, WEST, Y, build_book, post_ledger
from tests.factories.risk import actor


def _by_code(report):
    return {g.code: g for g in report.groups.rows}


async def test_portfolio_by_branch_with_five_tiers_and_npl(demo, vault):
    await build_book(vault)
    report = await portfolio_summary(actor=await actor("admin"), group_by=GroupBy.BRANCH)
    assert report.groups.total_count == 2 and not report.groups.has_next
    xc, fc = _by_code(report)["XF010"], _by_code(report)["XF020"]
    assert (xc.name, xc.figures.loans, xc.figures.outstanding_fen) == ("襄汾农商行新城支行", 3, 170_000 * Y)
    assert xc.figures.by_class == {LoanClass.NORMAL: 100_000 * Y, LoanClass.SPECIAL_MENTION: 50_000 * Y, LoanClass.SUBSTANDARD: 20_000 * Y,
                                   LoanClass.DOUBTFUL: 0, LoanClass.LOSS: 0}
    assert (xc.figures.overdue_principal_fen, xc.figures.overdue_interest_fen, xc.figures.npl_fen) == (25_000 * Y, 300 * Y, 20_000 * Y)
    assert xc.figures.npl_percent == Decimal("11.7647")  # 20,000 / 170,000
    assert (fc.figures.loans, fc.figures.outstanding_fen, fc.figures.npl_percent) == (2, 40_000 * Y, Decimal("100.0000"))
    total = report.total
    assert (total.loans, total.outstanding_fen, total.npl_fen, total.overdue_principal_fen) == (5, 210_000 * Y, 60_000 * Y, 65_000 * Y)
    assert total.npl_ratio == Decimal("0.285714") and total.npl_percent == Decimal("28.5714")  # 60,000 / 210,000


async def test_portfolio_by_village_officer_and_product(demo, vault):
    await build_book(vault)
    admin = await actor("admin")
    villages = await portfolio_summary(actor=admin, group_by=GroupBy.VILLAGE)
    assert [(g.code, g.name, g.figures.loans, g.figures.outstanding_fen) for g in villages.groups.rows] == [
        ("141023100201", "西街村", 2, 150_000 * Y), ("141023100205", "南关村", 1, 20_000 * Y), ("141023103210", "汾城村", 2, 40_000 * Y)]
    officers = await portfolio_summary(actor=admin, group_by=GroupBy.OFFICER)
    assert [(g.code, g.figures.loans, g.figures.outstanding_fen) for g in officers.groups.rows] == [
        ("officer1", 2, 150_000 * Y), ("officer2", 2, 40_000 * Y), ("", 1, 20_000 * Y)]
    assert officers.groups.rows[-1].key is None and officers.groups.rows[-1].name == "（未指定客户经理）"
    products = await portfolio_summary(actor=admin, group_by=GroupBy.PRODUCT)
    assert [(g.code, g.figures.loans, g.figures.outstanding_fen, g.figures.npl_fen) for g in products.groups.rows] == [
        ("BIANLI", 3, 180_000 * Y, 30_000 * Y), ("GJJ", 2, 30_000 * Y, 30_000 * Y)]
    assert products.total.outstanding_fen == 210_000 * Y


async def test_portfolio_filters_and_paging(demo, vault):
    await build_book(vault)
    admin = await actor("admin")
    west = await Village.get(division_code=WEST)
    gjj = await Product.get(code="GJJ")
    officer2 = await Officer.get(username="officer2")
    by_village = await portfolio_summary(actor=admin, group_by=GroupBy.PRODUCT, filt=ReportFilter(village_id=west.id))
    assert [(g.code, g.figures.loans) for g in by_village.groups.rows] == [("BIANLI", 2)]
    by_product = await portfolio_summary(actor=admin, filt=ReportFilter(product_id=gjj.id))
    assert [(g.code, g.figures.outstanding_fen) for g in by_product.groups.rows] == [("XF010", 20_000 * Y), ("XF020", 10_000 * Y)]
    by_officer = await portfolio_summary(actor=admin, filt=ReportFilter(officer_id=officer2.id))
    assert by_officer.total.loans == 2 and by_officer.total.outstanding_fen == 40_000 * Y
    started_2026 = await portfolio_summary(actor=admin, filt=ReportFilter(date_from=date(2026, 1, 1), date_to=date(2026, 12, 31)))
    assert (started_2026.total.loans, started_2026.total.outstanding_fen) == (2, 150_000 * Y)
    first = await portfolio_summary(actor=admin, group_by=GroupBy.VILLAGE, page=Page(0, 2))
    second = await portfolio_summary(actor=admin, group_by=GroupBy.VILLAGE, page=Page(2, 2))
    assert [g.code for g in first.groups.rows] == ["141023100201", "141023100205"] and first.groups.has_next
    assert [g.code for g in second.groups.rows] == [FEN] and not second.groups.has_next
    assert first.total == second.total and first.total.outstanding_fen == 210_000 * Y
    past = await portfolio_summary(actor=admin, group_by=GroupBy.VILLAGE, page=Page(10, 2))
    assert past.groups.rows == [] and past.groups.total_count == 3 and past.total.loans == 5


async def test_officers_see_their_branch_tree_and_beyond_it_is_empty_and_audited(demo, vault):
    await build_book(vault)
    officer1 = await actor("officer1")
    own = await portfolio_summary(actor=officer1)
    assert [(g.code, g.figures.loans) for g in own.groups.rows] == [("XF010", 3)] and own.total.outstanding_fen == 170_000 * Y
    other = await Branch.get(code="XF020")
    beyond = await portfolio_summary(actor=officer1, filt=ReportFilter(branch_id=other.id))
    assert beyond.groups.rows == [] and beyond.total.loans == 0
    event = await AuditEvent.get(action="report.scope_denied")
    assert (event.entity_type, event.entity_id, event.actor_id, event.after) == ("branch", str(other.id), str(officer1.id), {"report": "portfolio"})
    fen_village = await Village.get(division_code=FEN)
    assert (await portfolio_summary(actor=officer1, filt=ReportFilter(village_id=fen_village.id))).total.loans == 0
    assert await AuditEvent.filter(action="report.scope_denied").count() == 2
    assert (await portfolio_summary(actor=None)).groups.rows == []


async def test_disbursement_series_monthly_and_daily(demo, vault):
    book = await build_book(vault)
    await post_ledger(book)
    admin = await actor("admin")
    monthly = await disbursement_series(actor=admin, interval=Interval.MONTH)
    assert [(p.period, p.count, p.amount_fen) for p in monthly.points.rows] == [
        ("2024-12", 1, 10_000 * Y), ("2025-03", 1, 30_000 * Y), ("2025-06", 2, 28_000 * Y), ("2026-01", 1, 120_000 * Y), ("2026-02", 1, 55_000 * Y)]
    assert (monthly.total.count, monthly.total.amount_fen) == (6, 243_000 * Y)
    xf020 = await Branch.get(code="XF020")
    daily = await disbursement_series(actor=admin, interval=Interval.DAY, filt=ReportFilter(branch_id=xf020.id))
    assert [(p.period, p.amount_fen) for p in daily.points.rows] == [("2024-12-01", 10_000 * Y), ("2025-03-01", 30_000 * Y)]
    ranged = await disbursement_series(actor=admin, filt=ReportFilter(date_from=date(2025, 6, 1), date_to=date(2025, 6, 30)))
    assert [(p.period, p.count) for p in ranged.points.rows] == [("2025-06", 2)]


async def test_repayment_series_splits_cash_and_nets_reversals(demo, vault):
    book = await build_book(vault)
    await post_ledger(book)
    admin = await actor("admin")
    monthly = await repayment_series(actor=admin)
    rows = [(p.period, p.count, p.total_fen, p.principal_fen, p.interest_fen, p.penalty_fen) for p in monthly.points.rows]
    assert rows == [("2026-02", 1, 1_350 * Y, 1_000 * Y, 300 * Y, 50 * Y), ("2026-03", 2, 15_430 * Y, 15_000 * Y, 430 * Y, 0)]
    assert (monthly.total.count, monthly.total.total_fen, monthly.total.interest_fen) == (3, 16_780 * Y, 730 * Y)
    daily = await repayment_series(actor=admin, interval=Interval.DAY, filt=ReportFilter(date_from=date(2026, 2, 19), date_to=date(2026, 2, 22)))
    assert [(p.period, p.count, p.total_fen) for p in daily.points.rows] == [("2026-02-20", 1, 500 * Y), ("2026-02-21", -1, -500 * Y)]
    officer2 = await actor("officer2")
    assert (await repayment_series(actor=officer2)).points.rows == []
