"""Every document under graphql/reporting/ runs with a report key, or is staff-only with a reason said in docs/reporting.md
(and the key gets FORBIDDEN with that reason); docs/reporting.md names every document."""

import re

from app.api.reporting.permissions import STAFF_ONLY
from app.config import ROOT
from tests.api.reporting.helpers import doc, gid, gql, officer, report_key
from tests.factories.reporting import full_book

DOCUMENTS = sorted(p.stem for p in (ROOT / "graphql" / "reporting").glob("*.graphql"))
DOCS = (ROOT / "docs" / "reporting.md").read_text(encoding="utf-8")


def _field(document: str) -> str:
    return re.search(r"\{\s*(\w+)", document).group(1)


def _staff_section() -> str:
    return DOCS.split("### Staff-only documents", 1)[1].split("\n## ", 1)[0]


async def test_every_reporting_document_runs_with_a_key_or_is_staff_only(client, demo, vault):
    book = await full_book(vault)
    key, _ = await report_key("XF000")
    staff = await officer("admin")
    customer = {"customerId": gid("Customer", book.customers["C1"].id)}
    assert set(STAFF_ONLY) < {_field(doc(name)) for name in DOCUMENTS}
    for name in DOCUMENTS:
        field = _field(doc(name))
        variables = customer if "$customerId" in doc(name) else {}
        body = await gql(client, doc(name), variables, key)
        if field in STAFF_ONLY:
            assert body["data"] in (None, {field: None}), name  # a non-null list field nulls the whole data
            error = body["errors"][0]
            assert error["extensions"]["code"] == "FORBIDDEN" and "报表密钥" in error["message"] and STAFF_ONLY[field] in error["message"], name
            assert "errors" not in await gql(client, doc(name), variables, staff), name  # staff still run it
        else:
            assert "errors" not in body, (name, body)
            assert body["data"][field] is not None, name


async def test_key_reads_warnings_and_collection_tasks_of_its_branch_tree_only(client, demo, vault):
    await full_book(vault)
    whole, _ = await report_key("XF000")
    fencheng, _ = await report_key("XF020", name="汾城支行报表")
    warnings = (await gql(client, doc("Warnings"), {}, whole))["data"]["warnings"]
    tasks = (await gql(client, doc("CollectionTasks"), {}, whole))["data"]["collectionTasks"]
    assert warnings["totalCount"] >= 2 and tasks["totalCount"] >= 2
    own = (await gql(client, doc("CollectionTasks"), {}, fencheng))["data"]["collectionTasks"]
    assert 0 < own["totalCount"] < tasks["totalCount"]
    assert {e["node"]["officerName"] for e in own["edges"]} == {"李卫东"}


def test_docs_name_every_reporting_document_and_each_staff_only_reason():
    for name in DOCUMENTS:
        assert f"`{name}`" in DOCS, name
    section = _staff_section()
    for field, reason in STAFF_ONLY.items():
        assert f"`{field}`" in section and reason in section, field
