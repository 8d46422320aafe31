"""Relay-complete connections (issue 16): full PageInfo, opaque versioned cursors, keyset paging of loans and lines."""

from __future__ import annotations

import base64
import json
from datetime import datetime, timedelta

from app.models import Loan
from tests.api.reporting.helpers import doc, gql, officer
from tests.factories.reporting import build_book

LOANS = """query L($first: Int, $after: String) { loans(first: $first, after: $after) {
  totalCount pageInfo { hasNextPage hasPreviousPage startCursor endCursor } edges { cursor node { id } } } }"""


async def _pages(client, headers, first: int, after: str | None = None) -> list[dict]:
    pages = []
    while True:
        body = await gql(client, LOANS, {"first": first, "after": after}, headers)
        assert "errors" not in body, body
        pages.append(body["data"]["loans"])
        if not pages[-1]["pageInfo"]["hasNextPage"]:
            return pages
        after = pages[-1]["pageInfo"]["endCursor"]


async def test_page_info_is_complete_and_pages_add_up_to_the_list(client, demo, vault):
    await build_book(vault)
    headers = await officer("hq_approver")
    whole = (await gql(client, LOANS, {"first": 100}, headers))["data"]["loans"]
    pages = await _pages(client, headers, first=2)
    assert [e["node"]["id"] for p in pages for e in p["edges"]] == [e["node"]["id"] for e in whole["edges"]]  # same order as before
    assert len(pages) > 2
    for n, page in enumerate(pages):
        info = page["pageInfo"]
        assert info["hasPreviousPage"] is (n > 0)
        assert (info["startCursor"], info["endCursor"]) == (page["edges"][0]["cursor"], page["edges"][-1]["cursor"])
    cursor = json.loads(base64.urlsafe_b64decode(pages[0]["pageInfo"]["endCursor"]))
    assert cursor[0] == 1  # versioned


async def test_keyset_pages_skip_nothing_when_rows_move_between_pages(client, demo, vault):
    """A loan of page 1 becoming the oldest shifts every offset; the keyset still reaches every later loan."""
    await build_book(vault)
    headers = await officer("hq_approver")
    page1 = (await gql(client, LOANS, {"first": 2}, headers))["data"]["loans"]
    seen1 = [e["node"]["id"] for e in page1["edges"]]
    whole = [e["node"]["id"] for e in (await gql(client, LOANS, {"first": 100}, headers))["data"]["loans"]["edges"]]
    oldest = min(l.created_at for l in await Loan.all())
    from app.api.ids import decode_id

    await Loan.filter(id=decode_id(seen1[0], "Loan", field="id")).update(created_at=oldest - timedelta(days=1))
    rest = [e["node"]["id"] for p in await _pages(client, headers, 2, page1["pageInfo"]["endCursor"]) for e in p["edges"]]
    assert set(whole[2:]) <= set(rest)


async def test_a_malformed_cursor_is_bad_user_input_in_chinese(client, demo):
    headers = await officer("hq_approver")
    for bad in ("not-a-cursor", base64.b64encode(b"offset:3").decode(), base64.urlsafe_b64encode(b'[99,"created","x","y"]').decode(), "!!"):
        body = await gql(client, LOANS, {"first": 2, "after": bad}, headers)
        assert body["errors"][0]["message"] == "分页游标无效", body
        assert body["errors"][0]["extensions"]["code"] == "BAD_USER_INPUT"


async def test_every_trusted_document_with_page_info_asks_the_full_page_info():
    for folder in ("mobile", "reporting"):
        from app.config import ROOT

        for path in (ROOT / "graphql" / folder).glob("*.graphql"):
            text = doc(path.stem, folder)
            if "pageInfo" in text:
                assert "hasPreviousPage" in text and "startCursor" in text, path.name
