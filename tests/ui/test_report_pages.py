"""The manager dashboard (figures, SVG charts parsed as XML) and the CSV downloads."""

import csv
import io
import re
import xml.etree.ElementTree as ET

from app.models import AuditEvent, Branch
from app.services.actor import SYSTEM
from app.services.reporting import create_report_key
from tests.factories import login
from tests.factories.reporting import full_book

SVG = "{http://www.w3.org/2000/svg}"


def _svg(html: str, chart_id: str) -> ET.Element:
    match = re.search(rf'<svg xmlns="http://www.w3.org/2000/svg" id="{chart_id}".*?</svg>', html, re.S)
    assert match, f"no svg {chart_id}"
    return ET.fromstring(match.group(0))


def _csv(response) -> list[list[str]]:
    assert response.content.startswith(b"\xef\xbb\xbf")  # UTF-8 BOM for Excel
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


async def test_dashboard_shows_figures_and_well_formed_svg_charts(client, demo, vault):
    await full_book(vault)
    await login(client, "admin")
    page = await client.get("/reports")
    assert page.status_code == 200 and "<html" in page.text and page.headers["vary"] == "HX-Request"
    assert 'id="npl-ratio">28.5714%<' in page.text and "¥210,000.00" in page.text and "经营报表</a>" in page.text
    bars = _svg(page.text, "chart-classes")
    rects = bars.findall(f".//{SVG}rect")
    assert [r.find(f"{SVG}title").text for r in rects] == [
        "正常 ¥100,000.00", "关注 ¥50,000.00", "次级 ¥20,000.00", "可疑 ¥30,000.00", "损失 ¥10,000.00"]
    heights = [int(r.get("height")) for r in rects]
    assert heights == [228, 114, 45, 68, 22]  # 228 px = the axis top, ¥100,000 (floored to whole pixels)
    assert [int(r.get("y")) + int(r.get("height")) for r in rects] == [256] * 5  # all stand on the x axis
    flows = _svg(page.text, "chart-flows")
    lines = flows.findall(f".//{SVG}polyline")
    assert len(lines) == 2 and all(len(line.get("points").split()) == 12 for line in lines)
    assert flows.find(f"{SVG}title").text == "近 12 个月放款与回收"
    fragment = await client.get("/reports?group_by=village", headers={"HX-Request": "true"})
    assert fragment.status_code == 200 and "<html" not in fragment.text and 'id="report-body"' in fragment.text and "西街村" in fragment.text


async def test_dashboard_is_for_managers_and_the_nav_link_too(client, demo, vault):
    await login(client, "officer1")
    home = await client.get("/")
    assert "经营报表" not in home.text
    refused = await client.get("/reports")
    assert refused.status_code == 404 and "仅限支行行长" in refused.text
    client.cookies.clear()
    assert (await client.get("/reports")).status_code == 303


async def test_manager_sees_only_the_branch_tree(client, demo, vault):
    await full_book(vault)
    await login(client, "manager")
    page = await client.get("/reports")
    assert 'id="npl-ratio">11.7647%<' in page.text and "汾城村" not in page.text
    other = await Branch.get(code="XF020")
    beyond = await client.get(f"/reports?branch={other.id}")
    assert beyond.status_code == 200 and 'id="npl-ratio">0.0000%<' in beyond.text
    assert await AuditEvent.filter(action="report.scope_denied").count() >= 1


async def test_csv_downloads_with_a_session_and_with_a_report_key(client, demo, vault):
    await full_book(vault)
    await login(client, "admin")
    assert "part=totals" in (await client.get("/reports")).text  # the page links each report's totals file
    portfolio = await client.get("/reports/portfolio.csv?group_by=product")
    assert portfolio.status_code == 200 and portfolio.headers["content-type"] == "text/csv; charset=utf-8"
    rows = _csv(portfolio)
    assert rows[0] == ["产品代码", "产品名称", "借据笔数", "贷款余额", "逾期本金", "逾期利息", "正常", "关注", "次级", "可疑", "损失", "不良贷款余额", "不良贷款率(%)",
                       "无还本续贷笔数", "无还本续贷余额", "展期笔数", "展期余额"]
    assert rows[1] == ["BIANLI", "便利贷", "3", "180000.00", "35000.00", "300.00", "100000.00", "50000.00", "0.00", "30000.00", "0.00", "30000.00", "16.6667",
                       "0", "0.00", "0", "0.00"]
    assert portfolio.content.startswith(b"\xef\xbb\xbf")  # UTF-8 with a BOM, for Excel
    assert all("合计" not in cell for row in rows for cell in row) and len(rows) == 3  # data only: header and the two products
    assert (portfolio.headers["x-total-rows"], portfolio.headers["x-exported-rows"], portfolio.headers["x-truncated"]) == ("2", "2", "false")
    totals = _csv(await client.get("/reports/portfolio.csv?group_by=product&part=totals"))
    assert totals[0] == rows[0] and len(totals) == 2 and totals[1][:4] == ["", "合计", "5", "210000.00"] and totals[1][12] == "28.5714"
    assert (await client.get("/reports/portfolio.csv?part=notes")).status_code == 400
    repaid = _csv(await client.get("/reports/repayments.csv"))
    assert repaid == [["期间", "还款笔数", "回收合计", "本金", "利息", "罚息复利"], ["2026-02", "1", "1350.00", "1000.00", "300.00", "50.00"],
                      ["2026-03", "2", "15430.00", "15000.00", "430.00", "0.00"]]
    assert _csv(await client.get("/reports/repayments.csv?part=totals"))[1] == ["合计", "3", "16780.00", "16000.00", "730.00", "50.00"]
    client.cookies.clear()
    key = await create_report_key(actor=SYSTEM, name="汾城支行报表", branch_code="XF020")
    bearer = {"Authorization": f"Bearer {key.token}"}
    disbursed = _csv(await client.get("/reports/disbursements.csv?interval=day", headers=bearer))
    assert disbursed == [["期间", "放款笔数", "放款金额"], ["2024-12-01", "1", "10000.00"], ["2025-03-01", "1", "30000.00"]]  # ISO dates
    coverage = _csv(await client.get("/reports/village-coverage.csv", headers=bearer))
    assert [r[1] for r in coverage[1:]] == ["汾城村"]
    for name in ("officer-performance", "risk", "customer-contributions"):
        data = _csv(await client.get(f"/reports/{name}.csv", headers=bearer))
        assert len(data) >= 2 and all("合计" not in cell for row in data for cell in row), name
        assert "合计" in _csv(await client.get(f"/reports/{name}.csv?part=totals", headers=bearer))[1], name
    wrong = await client.get("/reports/portfolio.csv", headers={"Authorization": "Bearer rk_not-a-key"})
    assert wrong.status_code == 401 and wrong.text == "报表密钥无效或已吊销"
    assert (await client.get("/reports/nothing.csv", headers=bearer)).status_code == 404
    bad = await client.get("/reports/portfolio.csv?date_from=yesterday", headers=bearer)
    assert bad.status_code == 400 and "YYYY-MM-DD" in bad.text
    anonymous = await client.get("/reports/portfolio.csv")
    assert anonymous.status_code == 303 and anonymous.headers["location"].startswith("/login")


async def test_a_formula_in_a_customer_name_comes_out_as_text_in_the_csv(client, demo, vault):
    from app.models import Customer

    await full_book(vault)
    evil = '=HYPERLINK("http://e.cn","x")'
    customer = await Customer.filter(name__not="").first()
    await Customer.filter(id=customer.id).update(name=evil)
    await login(client, "admin")
    rows = _csv(await client.get("/reports/customer-contributions.csv"))
    names = [r[0] for r in rows[1:]]
    assert "'" + evil in names and evil not in names
    assert all(not cell.startswith(("=", "+", "@", "\t", "\r")) for row in rows for cell in row)


def test_the_census_template_writers_neutralise_formulas():
    from app.services.census.files import write_csv, write_xlsx

    text = write_csv([["姓名"], ["=1+1"], ["-5"]]).decode("utf-8-sig")
    assert list(csv.reader(io.StringIO(text))) == [["姓名"], ["'=1+1"], ["-5"]]
    from openpyxl import load_workbook

    book = load_workbook(io.BytesIO(write_xlsx([["姓名"], ["=1+1"]])))
    assert list(next(iter(book.worksheets)).iter_rows(min_row=2, values_only=True)) == [("'=1+1",)]


async def test_platform_staff_filter_and_group_the_dashboard_by_bank_a_banks_staff_do_not(client, demo, vault):
    from app.integrations.core_banking import SandboxCoreBanking
    from tests.factories.banks import YC_BRANCH, second_bank
    from tests.services.lending.test_books_per_bank import loan_at
    from tests.services.lending.test_classification_state import PAYS

    # given two banks with loans
    await full_book(vault)
    yc = await second_bank()
    await loan_at(vault, SandboxCoreBanking(), branch_code=YC_BRANCH, sequence=358, card=PAYS)
    # when the platform auditor opens the dashboard, grouped by bank, then filtered to the second bank
    await login(client, "platform_auditor")
    page = await client.get("/reports", params={"group_by": "bank"})
    one = await client.get("/reports", params={"group_by": "bank", "bank": str(yc.bank.id)})
    # then a bank filter and grouping by bank are offered; the groups are the banks, the filter keeps one
    assert page.status_code == 200 and '<select name="bank">' in page.text and "全部法人行（合并）" in page.text
    assert "按法人行" in page.text and "翼城农商行" in page.text and "襄汾农商行" in page.text
    assert one.status_code == 200 and "¥12,000.00" in one.text
    # and a bank's own admin sees neither
    await client.post("/logout")
    await login(client, "admin")
    mine = await client.get("/reports")
    assert '<select name="bank">' not in mine.text and "按法人行" not in mine.text


async def test_the_allowance_csv_is_the_head_offices(client, demo, vault):
    """拨备与核销 as CSV: linked and downloadable for the bank's head office; a branch manager sees no link and no row."""
    await full_book(vault)
    await login(client, "hq_approver")
    assert "/reports/allowance.csv" in (await client.get("/reports")).text
    rows = _csv(await client.get("/reports/allowance.csv"))
    assert len(rows) == 2 and rows[0][:3] == ["法人行", "贷款余额", "正常"] and rows[1][1] == "210000.00"  # the whole bank's book
    client.cookies.clear()
    await login(client, "manager")
    assert "/reports/allowance.csv" not in (await client.get("/reports")).text
    assert len(_csv(await client.get("/reports/allowance.csv"))) == 1  # the header alone
    client.cookies.clear()
    key = await create_report_key(actor=SYSTEM, name="总行报表", branch_code="XF000")
    refused = await client.get("/reports/allowance.csv", headers={"Authorization": f"Bearer {key.token}"})
    assert refused.status_code == 400 and "报表密钥不能下载" in refused.text
