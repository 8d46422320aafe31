"""Flat reporting tables (issue 16): keyset pages with a report key, updatedAfter, masked customers, one bank per key."""

from datetime import UTC, date, datetime, timedelta

from app.models import AuditEvent, CollectionTask, Customer, EarlyWarning, Loan, LoanExtension, LoanRenewal
from tests.api.reporting.helpers import doc, gql, report_key
from tests.factories.banks import move_branch_to, second_bank
from tests.factories.reporting import full_book


async def _all(client, name: str, field: str, headers, first: int = 2, **variables) -> list[dict]:
    rows, after = [], None
    while True:
        body = await gql(client, doc(name), {"first": first, "after": after, **variables}, headers)
        assert "errors" not in body, body
        page = body["data"][field]
        rows += page["rows"]
        if not page["pageInfo"]["hasNextPage"]:
            return rows
        after = page["pageInfo"]["endCursor"]


async def test_loans_page_by_keyset_with_the_regulatory_fields(client, demo, vault):
    book = await full_book(vault)
    key, _ = await report_key("XF000")
    first = (await gql(client, doc("ReportLoans"), {"first": 2}, key))["data"]["reportLoans"]
    assert first["pageInfo"]["totalCount"] == len(book.loans) and first["pageInfo"]["hasNextPage"] is True
    rows = await _all(client, "ReportLoans", "reportLoans", key)
    assert sorted(r["id"] for r in rows) == sorted(str(loan.id) for loan in book.loans.values())
    l1 = next(r for r in rows if r["id"] == str(book.loans["L1"].id))
    assert (l1["institutionCode"], l1["productCode"], l1["loanPurpose"], l1["guaranteeMethod"], l1["isAgricultural"], l1["isInclusive"]) == (
        "14102301", "BIANLI", "农业生产经营", "CREDIT", True, True)
    assert (l1["outstandingPrincipal"], l1["classification"], l1["branchCode"]) == ("100000.00", "NORMAL", "XF010")
    # the closed sets travel as the enums' wire names
    assert (l1["method"], l1["lprTenor"], l1["status"]) == ("EQUAL_INSTALLMENT", "ONE_YEAR", "ACTIVE")
    stamps = [(r["updatedAt"], r["id"]) for r in rows]
    assert stamps == sorted(stamps)  # the keyset order
    bad = await gql(client, doc("ReportLoans"), {"after": "not-a-cursor"}, key)
    assert bad["data"] is None or bad["data"]["reportLoans"] is None
    assert bad["errors"][0]["message"] == "分页游标无效"


async def test_loans_flag_renewals_and_extensions(client, demo, vault):
    # given L1 a renewal (无还本续贷) of the settled L6, and L2 extended (展期) once: the approved records, as the lending services write them
    book = await full_book(vault)
    old, new, extended = book.loans["L6"], book.loans["L1"], book.loans["L2"]
    await LoanRenewal.create(old_loan=old, new_loan=new, business_on=date(2026, 1, 10), principal_fen=new.principal_fen, term_months=12,
                             old_maturity_on=old.maturity_on, new_maturity_on=new.maturity_on, new_rate_ppm=45_000)
    await LoanExtension.create(loan=extended, business_on=date(2027, 1, 20), months=3, original_term_months=12, old_maturity_on=extended.maturity_on,
                               new_maturity_on=date(2027, 5, 28), old_rate_ppm=45_000, new_rate_ppm=45_000, old_tenor="1y", new_tenor="1y",
                               balance_fen=extended.outstanding_principal_fen)
    key, _ = await report_key("XF000")
    # when a report key reads the loans table
    rows = {r["id"]: r for r in await _all(client, "ReportLoans", "reportLoans", key, first=100)}
    # then the renewed loan names the loan it renewed, the extended loan is flagged, and the others are neither
    assert (rows[str(new.id)]["renewedFromLoanId"], rows[str(new.id)]["isExtended"]) == (str(old.id), False)
    assert (rows[str(extended.id)]["renewedFromLoanId"], rows[str(extended.id)]["isExtended"]) == (None, True)
    assert (rows[str(old.id)]["renewedFromLoanId"], rows[str(old.id)]["isExtended"]) == (None, False)
    assert len(rows) == len(book.loans)  # the link adds no row


async def test_updated_after_gives_only_what_changed(client, demo, vault):
    book = await full_book(vault)
    key, _ = await report_key("XF000")
    since = datetime.now(UTC) + timedelta(days=1)
    await Loan.filter(id=book.loans["L2"].id).update(updated_at=since + timedelta(seconds=5))
    await Customer.filter(id=book.customers["C3"].id).update(updated_at=since + timedelta(seconds=5))
    changed = (await gql(client, doc("ReportLoans"), {"updatedAfter": since.isoformat()}, key))["data"]["reportLoans"]
    assert [r["id"] for r in changed["rows"]] == [str(book.loans["L2"].id)] and changed["pageInfo"]["totalCount"] == 1
    customers = (await gql(client, doc("ReportCustomers"), {"updatedAfter": since.isoformat()}, key))["data"]["reportCustomers"]
    assert [r["id"] for r in customers["rows"]] == [str(book.customers["C3"].id)]


async def test_customers_are_masked(client, demo, vault):
    book = await full_book(vault)
    key, _ = await report_key("XF000")
    response = await client.post("/graphql", json={"query": doc("ReportCustomers"), "variables": {"first": 100}}, headers=key)
    rows = response.json()["data"]["reportCustomers"]["rows"]
    c1 = next(r for r in rows if r["id"] == str(book.customers["C1"].id))
    assert c1["nameMasked"] == "客**" and "*" in c1["idNumberMasked"] and c1["institutionCode"] == "14102301"
    assert vault.decrypt(book.customers["C1"].id_number_enc, context=b"id_number") not in response.text
    assert (c1["name"], c1["idNumber"], c1["phone"]) == (None, None, None)
    assert not await AuditEvent.filter(action="report_customers.pii_read").exists()


async def test_a_pii_scoped_key_reads_customers_unmasked_and_every_read_is_audited(client, demo, vault):
    book = await full_book(vault)
    key, made = await report_key("XF000", name="监管报送（含个人信息）", pii=True)
    assert made.pii_scope is True
    body = await gql(client, doc("ReportCustomers"), {"first": 2}, key)
    assert "errors" not in body, body
    rows = body["data"]["reportCustomers"]["rows"]
    assert len(rows) == 2
    stored = {str(c.id): c for c in await Customer.filter(id__in=[r["id"] for r in rows])}
    for r in rows:
        c = stored[r["id"]]
        assert r["name"] == c.name and r["nameMasked"] != c.name
        assert r["idNumber"] == vault.decrypt(c.id_number_enc, context=b"id_number")
        assert r["phone"] == (vault.decrypt(c.phone_enc, context=b"phone") if c.phone_enc else None)
    events = await AuditEvent.filter(action="report_customers.pii_read").values("actor_type", "actor_id", "after")
    assert len(events) == 1
    event = events[0]
    assert (event["actor_type"], event["actor_id"]) == ("api_key", str(made.id))
    assert event["after"]["count"] == 2 and sorted(event["after"]["customer_ids"]) == sorted(stored)
    assert not any(vault.decrypt(c.id_number_enc, context=b"id_number") in str(event) for c in stored.values())
    # an empty page reveals nothing and records nothing
    since = (datetime.now(UTC) + timedelta(days=3)).isoformat()
    assert (await gql(client, doc("ReportCustomers"), {"updatedAfter": since}, key))["data"]["reportCustomers"]["rows"] == []
    assert await AuditEvent.filter(action="report_customers.pii_read").count() == 1


async def test_a_key_of_one_bank_sees_only_that_bank(client, demo, vault):
    book = await full_book(vault)
    second = await second_bank()
    await move_branch_to(second)  # XF020 and its loans L4, L5 become 翼城农商行's
    xiangfen, _ = await report_key("XF000")
    yicheng, _ = await report_key("YC000", name="翼城报表")
    theirs = await _all(client, "ReportLoans", "reportLoans", yicheng)
    assert sorted(r["id"] for r in theirs) == sorted(str(book.loans[n].id) for n in ("L4", "L5"))
    assert {r["institutionCode"] for r in theirs} == {"14102201"}
    ours = await _all(client, "ReportLoans", "reportLoans", xiangfen)
    assert not {r["id"] for r in ours} & {r["id"] for r in theirs} and {r["institutionCode"] for r in ours} == {"14102301"}
    for name, field in (("ReportCustomers", "reportCustomers"), ("ReportCreditLines", "reportCreditLines")):
        rows = await _all(client, name, field, yicheng, first=50)
        assert rows and {r["institutionCode"] for r in rows} == {"14102201"}, name
    installments = await _all(client, "ReportInstallments", "reportInstallments", xiangfen, first=50)
    assert installments and {r["loanId"] for r in installments} <= {r["id"] for r in ours}
    dims = (await gql(client, doc("ReportDimensions"), {}, yicheng))["data"]
    for field in ("reportBranches", "reportVillages", "reportOfficers", "reportProducts"):
        assert dims[field]["rows"] and {r["institutionCode"] for r in dims[field]["rows"]} == {"14102201"}, field
    branch_key, _ = await report_key("XF010", name="新城支行报表")
    products = (await gql(client, doc("ReportDimensions"), {}, branch_key))["data"]["reportProducts"]["rows"]
    assert {p["code"] for p in products} >= {"BIANLI", "GJJ"} and {p["institutionCode"] for p in products} == {"14102301"}
    assert {(p["kind"], p["guaranteeMethod"]) for p in products if p["code"] == "BIANLI"} == {("TERM", "CREDIT")}


async def test_warnings_and_collection_tasks_tables(client, demo, vault):
    book = await full_book(vault)
    whole, _ = await report_key("XF000")
    fencheng, _ = await report_key("XF020", name="汾城支行报表")
    data = (await gql(client, doc("ReportWarningsAndCollections"), {}, whole))["data"]
    warnings, tasks = data["reportWarnings"], data["reportCollections"]
    assert warnings["pageInfo"]["totalCount"] == await EarlyWarning.all().count() == len(warnings["rows"])
    assert {r["institutionCode"] for r in warnings["rows"]} == {"14102301"}
    by_loan = {r["loanId"]: r for r in tasks["rows"]}
    assert set(by_loan) == {str(t) for t in await CollectionTask.all().values_list("loan_id", flat=True)}
    open_task = by_loan[str(book.loans["L2"].id)]
    assert (open_task["status"], open_task["openedOn"], open_task["openedDpd"], open_task["actionCount"]) == ("OPEN", "2026-03-16", 30, 2)
    assert (open_task["source"], open_task["closeReason"]) == ("EOD", None)
    warning = next(r for r in warnings["rows"] if r["loanId"] == str(book.loans["L2"].id))
    assert (warning["status"], warning["severity"]) == ("OPEN", (await EarlyWarning.get(id=warning["id"])).severity.name)
    own = (await gql(client, doc("ReportWarningsAndCollections"), {}, fencheng))["data"]
    assert [r["loanId"] for r in own["reportCollections"]["rows"]] == [str(book.loans["L4"].id)]
    assert {r["branchCode"] for r in own["reportWarnings"]["rows"]} <= {"XF020"}
    paged = (await gql(client, doc("ReportWarningsAndCollections"), {"first": 1}, whole))["data"]["reportWarnings"]
    rest = (await gql(client, doc("ReportWarningsAndCollections"), {"first": 100, "warningsAfter": paged["pageInfo"]["endCursor"]}, whole))["data"]
    assert [r["id"] for r in paged["rows"] + rest["reportWarnings"]["rows"]] == [r["id"] for r in warnings["rows"]]


async def test_warnings_and_collections_sync_by_updated_after(client, demo, vault):
    from app.services.risk.collections import record_collection_action
    from app.services.risk.warnings import handle_warning
    from tests.factories.risk import actor

    book = await full_book(vault)
    key, _ = await report_key("XF000")
    whole = (await gql(client, doc("ReportWarningsAndCollections"), {}, key))["data"]
    for field in ("reportWarnings", "reportCollections"):
        stamps = [(r["updatedAt"], r["id"]) for r in whole[field]["rows"]]
        assert stamps and all(u for u, _ in stamps) and stamps == sorted(stamps), field  # the keyset order
    since = datetime.now(UTC)
    nothing = (await gql(client, doc("ReportWarningsAndCollections"), {"updatedAfter": since.isoformat()}, key))["data"]
    assert nothing["reportWarnings"]["rows"] == [] and nothing["reportCollections"]["rows"] == []
    officer = await actor("officer1")
    warning = await EarlyWarning.get(loan_id=book.loans["L2"].id)
    await handle_warning(actor=officer, warning_id=warning.id, action="handle", note="客户已还清逾期款项", now=datetime.now(UTC))
    task = await CollectionTask.get(loan_id=book.loans["L2"].id)
    today = (await Loan.get(id=book.loans["L2"].id)).start_on
    await record_collection_action(actor=officer, task_id=task.id, kind="call", outcome="电话无人接听", today=today, now=datetime.now(UTC))
    changed = (await gql(client, doc("ReportWarningsAndCollections"), {"updatedAfter": since.isoformat()}, key))["data"]
    assert [(r["id"], r["status"]) for r in changed["reportWarnings"]["rows"]] == [(str(warning.id), "HANDLED")]
    assert [(r["id"], r["actionCount"]) for r in changed["reportCollections"]["rows"]] == [(str(task.id), 3)]
    assert changed["reportWarnings"]["pageInfo"]["totalCount"] == 1 and changed["reportWarnings"]["rows"][0]["updatedAt"] > since.isoformat()


async def test_loans_credit_lines_and_installments_show_updated_at_to_officers(client, demo, vault):
    from tests.api.reporting.helpers import officer

    book = await full_book(vault)
    query = "{ loans(first: 20) { edges { node { id updatedAt installments { number updatedAt } } } } creditLines(first: 20) { edges { node { updatedAt } } } }"
    data = (await gql(client, query, None, await officer("admin")))["data"]
    loans = [e["node"] for e in data["loans"]["edges"]]
    assert loans and all(n["updatedAt"] for n in loans) and all(e["node"]["updatedAt"] for e in data["creditLines"]["edges"])
    stored = (await Loan.get(id=book.loans["L1"].id)).updated_at
    l1 = next(n for n in loans if n["updatedAt"] and datetime.fromisoformat(n["updatedAt"]) == stored)
    assert all(i["updatedAt"] for i in l1["installments"])


# the closed sets of every flat table and the positions, and the enum each is typed with (issue 16)
CLOSED_SETS = {
    "ReportLoanRow": {"guaranteeMethod": "GuaranteeMethod", "lprTenor": "LprTenor", "method": "RepaymentMethod", "status": "LoanStatus",
                      "classification": "LoanClassification"},
    "ReportInstallmentRow": {"status": "InstallmentStatus"},
    "ReportCustomerRow": {"grade": "AppraisalGrade"},
    "ReportCreditLineRow": {"status": "CreditLineStatus"},
    "ReportWarningRow": {"kind": "WarningKind", "severity": "WarningSeverity", "status": "WarningStatus"},
    "ReportCollectionRow": {"status": "CollectionTaskStatus", "closeReason": "CollectionCloseReason", "source": "CollectionSource"},
    "ReportBranchRow": {"level": "BranchLevel"},
    "ReportOfficerRow": {"role": "Role"},
    "ReportProductRow": {"kind": "ProductKind", "guaranteeMethod": "GuaranteeMethod"},
    "LoanPosition": {"status": "LoanStatus", "classification": "LoanClassification", "guaranteeMethod": "GuaranteeMethod"},
}


def test_the_closed_sets_are_enums_with_upper_case_values_described_in_chinese():
    from graphql import GraphQLEnumType, get_named_type

    from app.api.schema import schema

    # given the published schema
    for type_name, fields in CLOSED_SETS.items():
        for field, enum_name in fields.items():
            # when a flat table's closed set is looked up
            named = get_named_type(schema._schema.get_type(type_name).fields[field].type)
            # then it is the enum, its values UPPER_CASE and each described in Chinese
            assert isinstance(named, GraphQLEnumType) and named.name == enum_name, (type_name, field)
            assert all(v == v.upper() and value.description and any("\u4e00" <= ch <= "\u9fff" for ch in value.description)
                       for v, value in named.values.items()), enum_name
