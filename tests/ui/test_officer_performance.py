"""客户经理业绩 has one definition: the PAD page and the GraphQL report give one number for one officer."""

import re
from datetime import date

from app.models import CreditLine, Officer
from tests.api.reporting.helpers import doc, gql, nodes, officer
from tests.factories import customer_with_line, login

DAY = date(2026, 11, 27)


def _pad_figures(html: str, username: str) -> dict[str, str]:
    """The officer's row of the 客户经理业绩 table, keyed by column header."""
    table = re.search(r'<table[^>]*id="performance-table".*?</table>', html, re.S).group(0)
    headers = [re.sub(r"<[^>]+>", "", h).strip() for h in re.findall(r"<th[^>]*>(.*?)</th>", re.search(r"<thead>(.*?)</thead>", table, re.S).group(1))]
    row = re.search(rf'<tr id="performance-{username}">(.*?)</tr>', table, re.S).group(1)
    cells = [re.sub(r"<[^>]+>", "", c).strip() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, re.S)]
    return dict(zip(headers, cells, strict=False))


def _yuan(text: str) -> str:
    return text.replace("¥", "").replace(",", "")


async def test_the_pad_page_and_the_graphql_report_count_an_officers_lines_alike(client, demo, vault):
    # a line granted at the counter (no visit) in officer1's care, valid from DAY
    _, line = await customer_with_line(vault, limit_yuan=60_000, valid_from=DAY, checked=False)
    await CreditLine.filter(id=line.id).update(officer_id=(await Officer.get(username="officer1")).id)

    report = await gql(client, doc("OfficerPerformance"), {"filter": {"dateFrom": DAY.isoformat(), "dateTo": DAY.isoformat()}}, await officer("manager"))
    api = next(o for o in nodes(report["data"]["officerPerformance"]["officers"]) if o["username"] == "officer1")["figures"]
    assert (api["lines"], api["lineLimit"]) == (1, "60000.00")

    await login(client, "manager")
    page = await client.get(f"/officers/performance?from={DAY.isoformat()}&to={DAY.isoformat()}")
    assert page.status_code == 200
    pad = _pad_figures(page.text, "officer1")
    assert (int(pad["授信笔数"]), _yuan(pad["授信金额"])) == (api["lines"], api["lineLimit"])
