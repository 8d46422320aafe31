"""allowanceReport (issue 17): the bank's allowance, 拨备覆盖率, NPL ratio now and as if not written off, written-off stock
and recoveries over GraphQL, for the bank's head office only (a branch officer gets null, a report key FORBIDDEN)."""

from decimal import ROUND_HALF_UP, Decimal

from app.domain.allowance import DEFAULT_POLICY
from app.domain.money import yuan_str
from app.models import Bank
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.write_off import allowance_of, balances_by_class, provide_allowance
from tests.api.reporting.helpers import doc, gql, officer, report_key
from tests.factories.reporting import full_book


async def test_the_allowance_report_over_graphql(client, demo, vault):
    await full_book(vault)
    bank = await Bank.get(code="14102301")
    await provide_allowance(actor=SYSTEM, bank_id=bank.id, today=await business_date.current(), policy=DEFAULT_POLICY)
    allowance = await allowance_of(bank.id)
    balances = await balances_by_class(bank.id)
    npl = sum(b for c, b in balances.items() if c.value in ("substandard", "doubtful", "loss"))
    total = sum(balances.values())
    assert allowance > 0 and npl > 0
    report = (await gql(client, doc("AllowanceReport"), {}, await officer("hq_approver")))["data"]["allowanceReport"]
    four = Decimal("0.0001")
    assert report["bankName"] == bank.name
    assert (report["loanBalance"], report["nplBalance"], report["allowance"]) == (yuan_str(total), yuan_str(npl), yuan_str(allowance))
    assert report["coveragePercent"] == str((Decimal(allowance) * 100 / npl).quantize(four, ROUND_HALF_UP))
    assert report["nplPercent"] == report["nplPercentBeforeWriteOffs"] == str((Decimal(npl) * 100 / total).quantize(four, ROUND_HALF_UP))
    assert (report["writtenOffCount"], report["stockPrincipal"], report["recoveredPrincipal"]) == (0, "0.00", "0.00")
    # a branch officer sees no whole-bank figures; a report key is refused, with the reason
    assert (await gql(client, doc("AllowanceReport"), {}, await officer("officer1")))["data"]["allowanceReport"] is None
    key, _ = await report_key("XF000")
    refused = await gql(client, doc("AllowanceReport"), {}, key)
    assert refused["data"] == {"allowanceReport": None} and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN"
