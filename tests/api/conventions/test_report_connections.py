"""Report lists are Relay connections (issue 16): paged with first / after, no row repeated or lost, full PageInfo;
villages, officers and customers page by keyset, so a row added between two pages shifts no page."""

from __future__ import annotations

import base64
import json

from app.models import Branch, Village
from tests.api.reporting.helpers import doc, gql, nodes, report_key
from tests.factories.reporting import full_book

# document, the report field, its connection, variables that give the report at least three rows
LISTS = [
    ("PortfolioSummary", "portfolioSummary", "groups", {"groupBy": "VILLAGE"}),
    ("RiskSummary", "riskSummary", "groups", {"groupBy": "OFFICER"}),
    ("DisbursementSeries", "disbursementSeries", "points", {"interval": "DAY"}),
    ("RepaymentSeries", "repaymentSeries", "points", {"interval": "DAY"}),
    ("VillageCoverage", "villageCoverage", "villages", {}),
    ("OfficerPerformance", "officerPerformance", "officers", {}),
    ("CustomerContributions", "customerContributions", "customers", {}),
]


async def _page(client, name: str, field: str, connection: str, variables: dict, headers: dict) -> dict:
    body = await gql(client, doc(name), variables, headers)
    assert "errors" not in body, (name, body)
    return body["data"][field][connection]


async def _pages(client, name, field, connection, variables, headers, *, first: int, after: str | None = None) -> list[dict]:
    pages = []
    while True:
        pages.append(await _page(client, name, field, connection, {**variables, "first": first, "after": after}, headers))
        if not pages[-1]["pageInfo"]["hasNextPage"]:
            return pages
        after = pages[-1]["pageInfo"]["endCursor"]


async def test_every_report_list_pages_with_first_and_after_without_repeating_or_losing_a_row(client, demo, vault):
    # given a book with several groups, periods, villages, officers and customers, and a report key
    await full_book(vault)
    key, _ = await report_key("XF000")
    for name, field, connection, variables in LISTS:
        # when the list is read whole and two rows at a time
        whole = await _page(client, name, field, connection, {**variables, "first": 100}, key)
        pages = await _pages(client, name, field, connection, variables, key, first=2)
        # then the pages add up to the whole list, in its order, each with a complete PageInfo and the total count
        assert len(whole["edges"]) >= 3 and len(pages) >= 2, name
        assert [n for p in pages for n in nodes(p)] == nodes(whole), name
        assert [e["cursor"] for p in pages for e in p["edges"]] == [e["cursor"] for e in whole["edges"]], name
        for n, page in enumerate(pages):
            info = page["pageInfo"]
            assert info["hasPreviousPage"] is (n > 0), (name, n)
            assert info["hasNextPage"] is (n < len(pages) - 1), (name, n)
            assert (info["startCursor"], info["endCursor"]) == (page["edges"][0]["cursor"], page["edges"][-1]["cursor"]), (name, n)
            assert page["totalCount"] == len(whole["edges"]), (name, n)
        assert json.loads(base64.urlsafe_b64decode(pages[0]["pageInfo"]["endCursor"]))[0] == 1, name  # versioned, opaque


async def test_a_village_added_between_two_pages_shifts_no_page(client, demo, vault):
    # given the first page of the villages, two of them
    await full_book(vault)
    key, _ = await report_key("XF000")
    whole = nodes(await _page(client, "VillageCoverage", "villageCoverage", "villages", {"first": 100}, key))
    first = await _page(client, "VillageCoverage", "villageCoverage", "villages", {"first": 2}, key)
    # when a village that sorts before every one of them is registered before the next page is read
    await Village.create(division_code="000000000001", name="新设村", town="新城镇", county="襄汾县", branch=await Branch.get(code="XF010"))
    rest = await _pages(client, "VillageCoverage", "villageCoverage", "villages", {}, key, first=2, after=first["pageInfo"]["endCursor"])
    # then the next pages hold exactly the villages after the first page: none repeated (an offset would repeat one), none lost
    assert [v["villageId"] for p in rest for v in nodes(p)] == [v["villageId"] for v in whole[2:]]
    assert rest[0]["totalCount"] == len(whole) + 1 and rest[0]["pageInfo"]["hasPreviousPage"] is True


async def test_a_cursor_of_another_list_or_a_tampered_key_is_bad_user_input(client, demo, vault):
    # given cursors of the villages and of the customers
    await full_book(vault)
    key, _ = await report_key("XF000")
    villages = await _page(client, "VillageCoverage", "villageCoverage", "villages", {"first": 1}, key)
    customers = await _page(client, "CustomerContributions", "customerContributions", "customers", {"first": 1}, key)
    tampered = base64.urlsafe_b64encode(json.dumps([1, "customers", "many", "not-a-uuid"]).encode()).decode()
    for name, cursor in [("CustomerContributions", villages["pageInfo"]["endCursor"]), ("VillageCoverage", customers["pageInfo"]["endCursor"]),
                         ("CustomerContributions", tampered), ("OfficerPerformance", "!!")]:
        # when one is handed to a list it is not of
        body = await gql(client, doc(name), {"first": 2, "after": cursor}, key)
        # then the request is refused with the one Chinese message, not answered from another list's position
        assert body["data"] is None and [e["message"] for e in body["errors"]] == ["分页游标无效"], (name, body)
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"
