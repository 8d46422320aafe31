"""loanPositions(asOf:) and portfolioHistory from the close's positions and month-end snapshots (issue 16), with a report key."""

from datetime import date, timedelta

from app.models import Bank, Branch, Product
from app.services import business_date
from app.services.lending.eod import run_eod
from tests.api.reporting.helpers import doc, gid, gql, report_key
from tests.services.lending.conftest import TODAY, bank, core  # noqa: F401  (fixtures)
from tests.services.lending.test_positions import _loan


async def _close_through(core, vault, last: date) -> None:
    while await business_date.current() <= last:
        await run_eod(core=core, vault=vault)


async def test_a_key_pages_the_positions_of_a_date_by_loan(client, bank, core, vault):
    loans = [await _loan(core, vault, card="6217000010001234", sequence=357), await _loan(core, vault, card="6217000010000002", sequence=358)]
    await _close_through(core, vault, TODAY + timedelta(days=1))
    key, _ = await report_key("XF000")
    # when a reporting tool pages the 27 November positions one at a time
    first = (await gql(client, doc("LoanPositions"), {"asOf": TODAY.isoformat(), "first": 1}, key))["data"]["loanPositions"]
    assert first["totalCount"] == 2 and first["pageInfo"]["hasNextPage"]
    rest = (await gql(client, doc("LoanPositions"), {"asOf": TODAY.isoformat(), "first": 1, "after": first["pageInfo"]["endCursor"]}, key))
    rest = rest["data"]["loanPositions"]
    assert not rest["pageInfo"]["hasNextPage"]
    # then it gets each loan once, with the day's figures
    nodes = [first["edges"][0]["node"], rest["edges"][0]["node"]]
    assert sorted(n["loanId"] for n in nodes) == sorted(gid("Loan", loan.id) for loan in loans)
    assert {(n["businessDate"], n["outstandingPrincipal"], n["classification"], n["status"], n["daysPastDue"]) for n in nodes} == {
        (TODAY.isoformat(), "12000.00", "NORMAL", "ACTIVE", 0)}
    assert all(n["accruedInterest"] != "0.00" and n["offBalanceAccrued"] == "0.00" for n in nodes)
    # without asOf: the last closed date
    latest = (await gql(client, doc("LoanPositions"), {}, key))["data"]["loanPositions"]
    assert {e["node"]["businessDate"] for e in latest["edges"]} == {(TODAY + timedelta(days=1)).isoformat()}


async def test_positions_carry_the_regulatory_fields_by_join(client, bank, core, vault):
    # given a loan whose product declares its regulatory fields, and the day closed
    loan = await _loan(core, vault, card="6217000010001234", sequence=357)
    await Product.filter(id=loan.product_id).update(loan_purpose="农业生产经营", guarantee_method="guarantee", is_agricultural=True, is_inclusive=True)
    await run_eod(core=core, vault=vault)
    key, _ = await report_key("XF000")
    # when a reporting tool reads the day's positions
    body = await gql(client, doc("LoanPositions"), {"asOf": TODAY.isoformat()}, key)
    assert "errors" not in body, body
    (edge,) = body["data"]["loanPositions"]["edges"]
    node = edge["node"]
    # then each position carries its product's regulatory fields, its contract and 借据 numbers and its institution codes
    branch = await Branch.get(id=loan.branch_id)
    member = await Bank.get(id=branch.bank_id)
    assert (node["loanPurpose"], node["guaranteeMethod"], node["isAgricultural"], node["isInclusive"]) == ("农业生产经营", "GUARANTEE", True, True)
    assert (node["iouNumber"], node["contractNumber"]) == (loan.disbursement_ref, None) and loan.disbursement_ref
    assert (node["institutionCode"], node["branchCode"]) == (member.code, branch.code)


async def test_a_key_of_another_branch_sees_no_positions_and_a_bad_cursor_is_refused(client, bank, core, vault):
    await _loan(core, vault, card="6217000010001234", sequence=357)  # at 新城支行 (XF010)
    await run_eod(core=core, vault=vault)
    fencheng, _ = await report_key("XF020", name="汾城支行报表")
    body = await gql(client, doc("LoanPositions"), {"asOf": TODAY.isoformat()}, fencheng)
    assert body["data"]["loanPositions"]["totalCount"] == 0 and body["data"]["loanPositions"]["edges"] == []
    key, _ = await report_key("XF000")
    bad = await gql(client, doc("LoanPositions"), {"asOf": TODAY.isoformat(), "after": "bm9wZQ=="}, key)
    assert "分页游标无效" in str(bad)


async def test_portfolio_history_has_one_point_per_month_end(client, bank, core, vault):
    await _loan(core, vault, card="6217000010001234", sequence=357)
    await _close_through(core, vault, date(2026, 12, 1))
    key, _ = await report_key("XF000")
    points = (await gql(client, doc("PortfolioHistory"), {"from": "2026-01-01", "to": "2026-12-31"}, key))["data"]["portfolioHistory"]
    assert [p["businessDate"] for p in points] == ["2026-11-30"]
    figures = points[0]["figures"]
    assert (figures["loanCount"], figures["outstanding"], figures["nplBalance"], figures["nplPercent"]) == (1, "12000.00", "0.00", "0.0000")
    assert (await gql(client, doc("PortfolioHistory"), {"from": "2026-12-01"}, key))["data"]["portfolioHistory"] == []
