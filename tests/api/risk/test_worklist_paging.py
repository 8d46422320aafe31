"""The staff worklists (warnings, collection tasks) are keyset connections: a row that moves while a client pages
never makes a page skip or repeat a row, and a cursor names the row, not its position."""

from __future__ import annotations

import base64
import json
from datetime import date, timedelta

from app.api.ids import decode_id
from app.models import CollectionTask, EarlyWarning
from app.services import business_date
from app.services.documents import MediaStore
from app.services.risk.collections import open_collection_tasks
from app.services.risk.warnings import run_warnings
from tests.api.reporting.helpers import doc, gql, officer
from tests.factories.worklists import TODAY, drawn_loan, make_overdue

ON = date(2027, 1, 26)
LISTS = {"Warnings": ("warnings", EarlyWarning), "CollectionTasks": ("collectionTasks", CollectionTask)}
NODE_TYPES = {"Warnings": "EarlyWarning", "CollectionTasks": "CollectionTask"}


async def _four_overdue_loans(vault, tmp_path) -> None:
    await business_date.set_current(TODAY)
    for n, sequence in enumerate((357, 359, 361, 363)):
        _, _, loan = await drawn_loan(vault, sequence=sequence, card=f"62170000100{sequence}99")
        await make_overdue(loan, days_past_due=30 + n)
    await run_warnings(on=ON, media=MediaStore(tmp_path / "media"))
    await open_collection_tasks(on=ON)
    await business_date.set_current(ON + timedelta(days=1))


async def _ids(client, name: str, headers: dict, first: int, after: str | None = None) -> tuple[list[str], list[dict]]:
    field = LISTS[name][0]
    ids, infos = [], []
    while True:
        body = await gql(client, doc(name), {"first": first, "after": after}, headers)
        assert "errors" not in body, body
        page = body["data"][field]
        ids += [e["node"]["id"] for e in page["edges"]]
        infos.append(page["pageInfo"])
        if not page["pageInfo"]["hasNextPage"]:
            return ids, infos
        after = page["pageInfo"]["endCursor"]


async def _move_to_the_end(name: str, gid: str) -> None:
    """Make the row sort last: an older business day for a warning, a later follow-up for a task."""
    pk = decode_id(gid, NODE_TYPES[name], field="id")
    if name == "Warnings":
        await EarlyWarning.filter(id=pk).update(business_on=ON - timedelta(days=30))
    else:
        await CollectionTask.filter(id=pk).update(next_action_on=ON + timedelta(days=60))


async def test_worklist_pages_add_up_to_the_list_in_a_stable_order(client, demo, vault, tmp_path):
    # given four overdue loans: four warnings and four collection tasks in officer1's worklists
    await _four_overdue_loans(vault, tmp_path)
    headers = await officer()
    for name in LISTS:
        # when the list is read whole and then one row per page
        whole, _ = await _ids(client, name, headers, first=100)
        paged, infos = await _ids(client, name, headers, first=1)
        # then the pages are the list, in the same order, each page after the first knowing it has one before
        assert len(whole) == 4 and paged == whole, name
        assert [i["hasPreviousPage"] for i in infos] == [False, True, True, True], name
        # and the cursor names the row by its sort key and id, not by its position
        key = json.loads(base64.urlsafe_b64decode(infos[0]["endCursor"]))
        assert key[0] == 1 and key[1] != "offset" and key[-1] == str(decode_id(whole[0], NODE_TYPES[name], field="id")), (name, key)


async def test_a_row_moving_while_paging_skips_nothing(client, demo, vault, tmp_path):
    # given a client that has read the first page (two rows) of each worklist
    await _four_overdue_loans(vault, tmp_path)
    headers = await officer()
    for name, (field, _) in LISTS.items():
        whole, _ = await _ids(client, name, headers, first=100)
        page1 = (await gql(client, doc(name), {"first": 2}, headers))["data"][field]
        seen = [e["node"]["id"] for e in page1["edges"]]
        assert seen == whole[:2]
        # when a row of that page moves to the end of the order (every later row shifts up one position)
        await _move_to_the_end(name, seen[0])
        rest, _ = await _ids(client, name, headers, first=2, after=page1["pageInfo"]["endCursor"])
        # then the later pages still hold every row that was after the first page, none of page 1 but the moved one
        assert set(whole[2:]) <= set(rest), name
        assert seen[1] not in rest, name


async def test_a_cursor_of_another_list_is_refused(client, demo, vault, tmp_path):
    # given a cursor of the warnings list
    await _four_overdue_loans(vault, tmp_path)
    headers = await officer()
    warnings = (await gql(client, doc("Warnings"), {"first": 1}, headers))["data"]["warnings"]
    # when it is handed to the collection tasks
    body = await gql(client, doc("CollectionTasks"), {"first": 1, "after": warnings["pageInfo"]["endCursor"]}, headers)
    # then it is bad user input in Chinese, not a page of tasks
    assert body["data"] is None and len(body["errors"]) == 1
    assert (body["errors"][0]["message"], body["errors"][0]["extensions"]["code"]) == ("分页游标无效", "BAD_USER_INPUT")


async def test_a_task_without_a_follow_up_date_comes_last_and_is_paged_like_the_others(client, demo, vault, tmp_path):
    # given four tasks, the first of which has no follow-up date (a bank's imported task)
    await _four_overdue_loans(vault, tmp_path)
    headers = await officer()
    whole, _ = await _ids(client, "CollectionTasks", headers, first=100)
    unscheduled = decode_id(whole[0], "CollectionTask", field="id")
    await CollectionTask.filter(id=unscheduled).update(next_action_on=None)
    # when the list is read whole and one task per page
    after, _ = await _ids(client, "CollectionTasks", headers, first=100)
    paged, _ = await _ids(client, "CollectionTasks", headers, first=1)
    # then the undated task is last, on SQLite and PostgreSQL alike, and the pages are the list
    assert after == [*whole[1:], whole[0]]
    assert paged == after
