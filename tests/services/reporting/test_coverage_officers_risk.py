"""Village coverage, officer performance and warning/collection counts against hand-computed figures."""

from datetime import date

from app.models import CreditLine, Officer, Product, Village
from app.services.reporting import GroupBy, Page, ReportFilter, officer_performance, risk_summary, village_coverage
from tests.factories.reporting import FEN, SOUTH, WEST, Y, appraise_west, build_book, link_households, warnings_and_tasks
from tests.factories.risk import actor


async def test_village_coverage_counts_households_appraisal_lines_and_loans(demo, vault):
    book = await build_book(vault)
    await appraise_west(await link_households(book))
    report = await village_coverage(actor=await actor("admin"))
    rows = {r.division_code: r for r in report.villages.rows}
    assert [r.division_code for r in report.villages.rows] == [WEST, SOUTH, FEN] and report.villages.total_count == 3
    west = rows[WEST]
    assert (west.name, west.branch_name, west.officer_name) == ("西街村", "襄汾农商行新城支行", "张建华")
    f = west.figures
    assert (f.households, f.appraised, f.pre_credited, f.granted_households, f.drawn_households) == (3, 3, 1, 1, 1)
    assert (f.lines, f.line_limit_fen, f.loans, f.outstanding_fen) == (2, 300_000 * Y, 2, 150_000 * Y)
    assert f.granted_ratio_ppm == 333_333
    south = rows[SOUTH].figures  # L6 is settled: its line still counts, the loan does not
    assert (south.households, south.appraised, south.granted_households, south.lines, south.line_limit_fen, south.loans) == (3, 0, 1, 2, 40_000 * Y, 1)
    fen = rows[FEN].figures
    assert (fen.households, fen.granted_households, fen.lines, fen.loans, fen.outstanding_fen) == (3, 0, 2, 2, 40_000 * Y)
    t = report.total
    assert (t.households, t.appraised, t.pre_credited, t.lines, t.line_limit_fen, t.loans, t.outstanding_fen) == (9, 3, 1, 6, 410_000 * Y, 5, 210_000 * Y)


async def test_village_coverage_filters_and_scope(demo, vault):
    book = await build_book(vault)
    await link_households(book)
    officer2 = await actor("officer2")
    own = await village_coverage(actor=officer2)
    assert [r.division_code for r in own.villages.rows] == [FEN]
    gjj = await Product.get(code="GJJ")
    admin = await actor("admin")
    by_product = {r.division_code: r.figures for r in (await village_coverage(actor=admin, filt=ReportFilter(product_id=gjj.id))).villages.rows}
    assert (by_product[WEST].lines, by_product[SOUTH].lines, by_product[SOUTH].loans, by_product[FEN].loans) == (0, 2, 1, 1)
    officer1 = await Officer.get(username="officer1")
    first = await village_coverage(actor=admin, filt=ReportFilter(officer_id=officer1.id), page=Page(0, 1))
    assert first.villages.has_next and not first.villages.has_previous
    mine = await village_coverage(actor=admin, filt=ReportFilter(officer_id=officer1.id), page=Page(0, 1, after=first.villages.keys[0]))
    assert [r.division_code for r in mine.villages.rows] == [SOUTH] and mine.villages.total_count == 2 and not mine.villages.has_next
    assert mine.villages.has_previous and mine.villages.keys == [(SOUTH, str(mine.villages.rows[0].village_id))]
    dated = await village_coverage(actor=admin, filt=ReportFilter(date_from=date(2026, 1, 1)))
    assert (dated.total.lines, dated.total.loans, dated.total.households) == (2, 2, 9)


async def test_officer_performance(demo, vault):
    await build_book(vault)
    report = await officer_performance(actor=await actor("admin"))
    rows = [(r.username, r.branch_name, r.figures) for r in report.officers.rows]
    assert [r[0] for r in rows] == ["hq_approver", "approver", "manager", "officer1", "officer2"]  # the head office first
    officer1, officer2 = report.officers.rows[3].figures, report.officers.rows[4].figures
    assert (officer1.villages, officer1.lines, officer1.line_limit_fen, officer1.loans, officer1.outstanding_fen) == (2, 2, 300_000 * Y, 2, 150_000 * Y)
    assert (officer1.overdue_loans, officer1.overdue_principal_fen, officer1.npl_fen) == (1, 5_000 * Y, 0)
    assert (officer2.villages, officer2.lines, officer2.line_limit_fen, officer2.loans, officer2.overdue_loans, officer2.npl_fen) == (
        1, 2, 70_000 * Y, 2, 2, 40_000 * Y)
    assert report.officers.rows[0].figures.loans == 0
    assert (report.total.villages, report.total.lines, report.total.loans, report.total.outstanding_fen) == (3, 4, 4, 190_000 * Y)
    west = await Village.get(division_code=WEST)
    in_west = await officer_performance(actor=await actor("manager"), filt=ReportFilter(village_id=west.id))
    assert [(r.username, r.figures.villages, r.figures.loans) for r in in_west.officers.rows] == [
        ("approver", 0, 0), ("manager", 0, 0), ("officer1", 1, 2)]


async def test_warning_and_collection_counts(demo, vault):
    book = await build_book(vault)
    await warnings_and_tasks(book)
    admin = await actor("admin")
    by_branch = await risk_summary(actor=admin, group_by=GroupBy.BRANCH)
    figures = {g.code: g.figures for g in by_branch.groups.rows}
    x, f = figures["XF010"], figures["XF020"]
    assert (x.warnings_open, x.warnings_handled, x.warnings_dismissed, x.warnings_high_open, x.tasks_open, x.tasks_closed, x.actions) == (2, 0, 1, 1, 1, 0, 2)
    assert (f.warnings_open, f.warnings_handled, f.warnings_dismissed, f.warnings_high_open, f.tasks_open, f.tasks_closed, f.actions) == (0, 1, 0, 0, 0, 1, 1)
    assert (by_branch.total.warnings_open, by_branch.total.actions) == (2, 3)
    by_officer = await risk_summary(actor=admin, group_by=GroupBy.OFFICER)
    assert [(g.code, g.figures.warnings_open + g.figures.warnings_handled + g.figures.warnings_dismissed) for g in by_officer.groups.rows] == [
        ("officer1", 2), ("officer2", 1), ("", 1)]
    by_product = await risk_summary(actor=admin, group_by=GroupBy.PRODUCT)
    assert [(g.code, g.figures.warnings_open) for g in by_product.groups.rows] == [("BIANLI", 1), ("GJJ", 1), ("", 0)]
    gjj = await Product.get(code="GJJ")
    only_gjj = await risk_summary(actor=admin, filt=ReportFilter(product_id=gjj.id))
    assert (only_gjj.total.warnings_open, only_gjj.total.warnings_dismissed, only_gjj.total.tasks_open) == (1, 0, 0)
    in_2026 = await risk_summary(actor=admin, filt=ReportFilter(date_from=date(2026, 1, 1)))
    assert (in_2026.total.warnings_open, in_2026.total.warnings_dismissed, in_2026.total.tasks_open, in_2026.total.tasks_closed) == (1, 1, 1, 0)
    by_village = await risk_summary(actor=await actor("officer2"), group_by=GroupBy.VILLAGE)
    assert [(g.name, g.figures.warnings_handled, g.figures.tasks_closed) for g in by_village.groups.rows] == [("汾城村", 1, 1)]




async def test_officer_figures_stay_within_the_scope(demo, vault):
    book = await build_book(vault)
    officer1 = await Officer.get(username="officer1")
    await CreditLine.filter(id=book.lines["L4"].id).update(officer_id=officer1.id)  # an XF010 officer on an XF020 customer's line
    manager = await officer_performance(actor=await actor("manager"))  # 新城支行 (XF010) only
    mine = next(r for r in manager.officers.rows if r.username == "officer1").figures
    assert (mine.lines, mine.loans, mine.outstanding_fen) == (2, 2, 150_000 * Y)
    everything = await officer_performance(actor=await actor("admin"))
    assert next(r for r in everything.officers.rows if r.username == "officer1").figures.loans == 3
