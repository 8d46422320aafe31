"""Every operation under graphql/reporting/ of this issue, through HTTP, with a report key and with an officer."""

from datetime import UTC, datetime

from app.models import AuditEvent, Branch, Product, ReportKey
from app.services.actor import SYSTEM
from app.services.reporting import revoke_report_key
from tests.api.reporting.helpers import doc, gid, gql, nodes, officer, report_key
from tests.factories.reporting import full_book

REPORTS = ["PortfolioSummary", "DisbursementSeries", "RepaymentSeries", "VillageCoverage", "OfficerPerformance", "RiskSummary", "CustomerContributions"]


async def test_portfolio_summary_with_a_key_and_with_an_officer(client, demo, vault):
    await full_book(vault)
    key, _ = await report_key("XF000")
    whole = (await gql(client, doc("PortfolioSummary"), {"groupBy": "PRODUCT"}, key))["data"]["portfolioSummary"]
    assert whole["groupBy"] == "PRODUCT" and whole["groups"]["totalCount"] == 2 and whole["groups"]["pageInfo"]["hasNextPage"] is False
    bianli = nodes(whole["groups"])[0]
    assert (bianli["code"], bianli["name"], bianli["figures"]["loanCount"], bianli["figures"]["outstanding"]) == ("BIANLI", "便利贷", 3, "180000.00")
    assert bianli["key"] == gid("Product", (await Product.get(code="BIANLI")).id)
    assert bianli["figures"]["classes"] == {"normal": "100000.00", "specialMention": "50000.00", "substandard": "0.00", "doubtful": "30000.00", "loss": "0.00"}
    assert whole["total"]["nplBalance"] == "60000.00" and whole["total"]["nplPercent"] == "28.5714" and whole["total"]["overdueInterest"] == "300.00"
    mine = (await gql(client, doc("PortfolioSummary"), {}, await officer("officer1")))["data"]["portfolioSummary"]
    assert [(g["code"], g["figures"]["nplPercent"]) for g in nodes(mine["groups"])] == [("XF010", "11.7647")]
    paged = (await gql(client, doc("PortfolioSummary"), {"groupBy": "VILLAGE", "first": 2}, key))["data"]["portfolioSummary"]
    assert [g["name"] for g in nodes(paged["groups"])] == ["西街村", "南关村"] and paged["groups"]["pageInfo"]["hasNextPage"] is True
    rest = (await gql(client, doc("PortfolioSummary"), {"groupBy": "VILLAGE", "first": 2, "after": paged["groups"]["pageInfo"]["endCursor"]}, key))["data"]
    assert [g["name"] for g in nodes(rest["portfolioSummary"]["groups"])] == ["汾城村"] and rest["portfolioSummary"]["total"]["loanCount"] == 5
    xf020 = gid("Branch", (await Branch.get(code="XF020")).id)
    filtered = (await gql(client, doc("PortfolioSummary"), {"filter": {"branchId": xf020, "dateFrom": "2025-01-01"}}, key))["data"]["portfolioSummary"]
    assert filtered["total"]["loanCount"] == 1 and filtered["total"]["outstanding"] == "30000.00"


async def test_series_coverage_officers_risk_and_contributions(client, demo, vault):
    await full_book(vault)
    key, stored = await report_key("XF000")
    disbursed = (await gql(client, doc("DisbursementSeries"), {"interval": "MONTH"}, key))["data"]["disbursementSeries"]
    assert [(p["period"], p["count"], p["amount"]) for p in nodes(disbursed["points"])][-2:] == [("2026-01", 1, "120000.00"), ("2026-02", 1, "55000.00")]
    assert disbursed["total"] == {"count": 6, "amount": "243000.00"}
    repaid = (await gql(client, doc("RepaymentSeries"), {"interval": "DAY", "first": 2}, key))["data"]["repaymentSeries"]
    assert [p["period"] for p in nodes(repaid["points"])] == ["2026-02-10", "2026-02-20"] and repaid["points"]["totalCount"] == 5
    assert repaid["total"] == {"count": 3, "total": "16780.00", "principal": "16000.00", "interest": "730.00", "penalty": "50.00"}
    coverage = (await gql(client, doc("VillageCoverage"), {}, key))["data"]["villageCoverage"]
    west = nodes(coverage["villages"])[0]
    assert (west["name"], west["officerName"], west["figures"]["appraised"], west["figures"]["grantedPercent"], west["figures"]["lineLimit"]) == (
        "西街村", "张建华", 3, "33.3333", "300000.00")
    assert coverage["total"]["households"] == 9
    officers = (await gql(client, doc("OfficerPerformance"), {}, key))["data"]["officerPerformance"]
    assert [(o["username"], o["role"], o["figures"]["loans"]) for o in nodes(officers["officers"])] == [
        ("hq_approver", "APPROVER", 0), ("approver", "APPROVER", 0), ("manager", "BRANCH_MANAGER", 0), ("officer1", "OFFICER", 2), ("officer2", "OFFICER", 2)]
    assert officers["total"]["nplBalance"] == "40000.00"
    risk = (await gql(client, doc("RiskSummary"), {"groupBy": "OFFICER"}, key))["data"]["riskSummary"]
    assert [(g["code"], g["counts"]["warningsOpen"], g["counts"]["collectionActions"]) for g in nodes(risk["groups"])] == [
        ("officer1", 1, 2), ("officer2", 0, 1), ("", 1, 0)]
    contributions = (await gql(client, doc("CustomerContributions"), {"first": 1}, key))["data"]["customerContributions"]
    top = nodes(contributions["customers"])[0]
    assert (top["name"], top["contribution"]["interestEarned"], top["contribution"]["interestCollected"]) == ("客户1", "280.00", "380.00")
    assert contributions["total"]["interestEarned"] == "412.00" and contributions["customers"]["totalCount"] == 6
    assert (await ReportKey.get(id=stored.id)).last_used_at is not None


async def test_every_report_for_an_officer_and_refused_without_credentials(client, demo, vault):
    await full_book(vault)
    headers = await officer("manager")
    for name in REPORTS:
        body = await gql(client, doc(name), {}, headers)
        assert "errors" not in body, (name, body)
        anonymous = await gql(client, doc(name))
        assert anonymous["data"] is None and anonymous["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name


async def test_wrong_and_revoked_keys_are_refused_and_recorded(client, demo, vault):
    await full_book(vault)
    key, stored = await report_key("XF010", "新城支行")
    assert "errors" not in await gql(client, doc("PortfolioSummary"), {}, key)
    wrong = {"Authorization": "Bearer rk_AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA"}
    for name in REPORTS:
        refused = await gql(client, doc(name), {}, wrong)
        assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED", name  # an unknown key signs nobody in
    unknown = await AuditEvent.filter(action="report_key.rejected").order_by("at")
    assert len(unknown) == len(REPORTS) and unknown[0].after == {"reason": "unknown", "prefix": "rk_AAAAAAA"} and unknown[0].entity_id is None
    await revoke_report_key(actor=SYSTEM, key_ref=stored.prefix, now=datetime.now(UTC))
    revoked = await gql(client, doc("PortfolioSummary"), {}, key)
    assert revoked["data"] is None and revoked["errors"][0]["extensions"]["code"] == "UNAUTHENTICATED"
    last = await AuditEvent.filter(action="report_key.rejected").order_by("-at").first()
    assert (last.entity_id, last.after["reason"], last.actor_type) == (str(stored.id), "revoked", "api_key")


async def test_a_key_asking_beyond_its_branches_gets_nothing_and_it_is_recorded(client, demo, vault):
    await full_book(vault)
    key, stored = await report_key("XF020", "汾城支行")
    xf010 = await Branch.get(code="XF010")
    mine = (await gql(client, doc("PortfolioSummary"), {}, key))["data"]["portfolioSummary"]
    assert [g["code"] for g in nodes(mine["groups"])] == ["XF020"] and mine["total"]["outstanding"] == "40000.00"
    for name in REPORTS:
        body = await gql(client, doc(name), {"filter": {"branchId": gid("Branch", xf010.id)}}, key)
        assert "errors" not in body, name
        report = next(iter(body["data"].values()))
        result = next(value for value in report.values() if isinstance(value, dict) and "edges" in value)
        assert result["totalCount"] == 0 and result["edges"] == [] and result["pageInfo"] == {"hasNextPage": False, "hasPreviousPage": False, "startCursor": None, "endCursor": None}, name
    denied = await AuditEvent.filter(action="report.scope_denied")
    assert len(denied) == len(REPORTS)
    assert {(e.actor_type, e.actor_id, e.entity_type, e.entity_id) for e in denied} == {("api_key", str(stored.id), "branch", str(xf010.id))}
    assert {e.after["report"] for e in denied} == {"portfolio", "disbursements", "repayments", "village_coverage", "officer_performance", "risk_summary",
                                                  "customer_contribution"}


async def test_bad_filters_and_paging_are_top_level_errors(client, demo, vault):
    key, _ = await report_key()
    bad_id = await gql(client, doc("PortfolioSummary"), {"filter": {"branchId": "garbage"}}, key)
    assert bad_id["data"] is None and bad_id["errors"][0]["message"] == "对象不存在"
    too_many = await gql(client, doc("PortfolioSummary"), {"first": 101}, key)
    assert too_many["data"] is None and "first" in too_many["errors"][0]["message"]
    backwards = await gql(client, doc("DisbursementSeries"), {"filter": {"dateFrom": "2026-02-01", "dateTo": "2026-01-01"}}, key)
    assert backwards["data"] is None and backwards["errors"][0]["message"] == "开始日期不能晚于结束日期"


async def test_portfolio_by_bank_and_filtered_to_a_bank_through_the_api(client, demo, vault):
    from app.integrations.core_banking import SandboxCoreBanking
    from tests.factories.banks import SECOND_BANK_CODE, YC_BRANCH, second_bank
    from tests.services.lending.test_books_per_bank import loan_at
    from tests.services.lending.test_classification_state import PAYS

    # given two banks with a loan each, and a platform key
    await full_book(vault)
    yc = await second_bank()
    await loan_at(vault, SandboxCoreBanking(), branch_code=YC_BRANCH, sequence=358, card=PAYS)
    key, _ = await report_key("PLATFORM")
    # when the platform groups the portfolio by bank and filters it to the second bank
    grouped = (await gql(client, doc("PortfolioSummary"), {"groupBy": "BANK"}, key))["data"]["portfolioSummary"]
    theirs = (await gql(client, doc("PortfolioSummary"), {"filter": {"bankId": gid("Bank", yc.bank.id)}}, key))["data"]["portfolioSummary"]
    # then one group per bank, keyed by Bank ids, adding up to the consolidated total; the filter keeps the second bank
    assert grouped["groupBy"] == "BANK" and [g["code"] for g in nodes(grouped["groups"])] == [SECOND_BANK_CODE, "14102301"]
    assert nodes(grouped["groups"])[0]["key"] == gid("Bank", yc.bank.id)
    assert sum(g["figures"]["loanCount"] for g in nodes(grouped["groups"])) == grouped["total"]["loanCount"] == 6
    assert theirs["total"]["loanCount"] == 1 and theirs["total"]["outstanding"] == "12000.00"
    plain = (await gql(client, doc("PortfolioSummary"), {"filter": {"bankId": str(yc.bank.id)}}, key))["data"]["portfolioSummary"]
    assert plain["total"] == theirs["total"]  # the id the banks query gives is taken too
    # and bank #1's key filtered to the second bank reads nothing
    ours, _ = await report_key("XF000")
    nothing = (await gql(client, doc("PortfolioSummary"), {"filter": {"bankId": gid("Bank", yc.bank.id)}}, ours))["data"]["portfolioSummary"]
    assert nothing["total"]["loanCount"] == 0 and nothing["groups"]["edges"] == []
