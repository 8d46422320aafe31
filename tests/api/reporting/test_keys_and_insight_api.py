"""Report keys are read-only; customer insight is for officers; statements per request do not grow with the data."""

import uuid
from datetime import UTC, date, datetime, timedelta

import pytest

from app.domain import idcard
from app.domain.errors import Forbidden, NotFound, ValidationError
from app.domain.ledger import Account, Posting
from app.models import AuditEvent, Branch, CreditLine, Customer, EarlyWarning, LedgerTransaction, Loan, LoginCode, Officer, Product, ReportKey, Village
from app.services.actor import SYSTEM
from app.services.insight import refresh_customer_tags, set_customer_profile
from app.services.lending.ledger import post
from app.services.customers.identifiers import id_number_fields
from app.services.reporting import create_report_key, list_report_keys, revoke_report_key
from tests.api.reporting.helpers import count_statements, doc, gid, gql, officer, report_key
from tests.api.reporting.test_reporting_api import REPORTS
from tests.factories.reporting import full_book
from tests.factories.risk import actor

REPAY = """mutation R($input: LoanRepayInput!) { loanRepay(input: $input) { loan { id } errors { code message } } }"""


async def test_report_keys_cannot_mutate_nor_use_signed_in_fields(client, demo, vault):
    book = await full_book(vault)
    key, stored = await report_key()
    before = await LedgerTransaction.all().count()
    repay = await gql(client, REPAY, {"input": {"loanId": gid("Loan", book.loans["L1"].id), "amount": "100.00", "idempotencyKey": str(uuid.uuid4())}}, key)
    assert repay["data"] is None and repay["errors"] == [{"message": "报表密钥只能查询，不能修改数据", "extensions": {"code": "FORBIDDEN"}}]
    sign_in = await gql(client, doc("SignInRequestCode", "mobile"), {"input": {"phone": "13800000000"}}, key)
    assert sign_in["data"] is None and sign_in["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await LedgerTransaction.all().count() == before and await LoginCode.all().count() == 0
    refused = await AuditEvent.filter(action="report_key.mutation_refused").order_by("at").values_list("actor_id", "after")
    assert refused == [(str(stored.id), {"operation": "R"}), (str(stored.id), {"operation": "SignInRequestCode"})]
    loans = await gql(client, "{ loans(first: 5) { totalCount } }", None, key)
    assert loans["data"] is None and loans["errors"][0]["extensions"]["code"] == "FORBIDDEN"  # a report key is signed in, but reaches only the reports
    node = await gql(client, "query N($id: ID!) { node(id: $id) { id } }", {"id": gid("Loan", book.loans["L1"].id)}, key)
    assert node["data"] == {"node": None}
    viewer = await gql(client, "{ viewer { username } }", None, key)
    assert viewer["data"] == {"viewer": None}
    officer_repay = await gql(client, REPAY, {"input": {"loanId": gid("Loan", book.loans["L1"].id), "amount": "0.00", "idempotencyKey": str(uuid.uuid4())}},
                              await officer())
    assert officer_repay["data"]["loanRepay"]["errors"]  # officers still reach the mutation (refused by the service on the amount)


async def test_customer_insight_and_graph_are_for_officers(client, demo, vault):
    book = await full_book(vault)
    c = book.customers
    await set_customer_profile(actor=SYSTEM, customer_id=c["C6"].id, occupation="grower", land_area_mu=80)
    await refresh_customer_tags(on=date(2026, 3, 21))
    headers = await officer("officer1")
    card = (await gql(client, doc("CustomerInsight"), {"customerId": gid("Customer", c["C6"].id)}, headers))["data"]["customerInsight"]
    assert (card["name"], card["occupation"], card["landAreaMu"]) == ("客户6", "种植户", 80)
    assert card["tags"] == [{"code": "LARGE_GROWER", "label": "种植大户"}, {"code": "OVERDUE_HISTORY", "label": "有逾期历史"}]
    assert card["contribution"] == {"loans": 1, "activeLoans": 0, "outstanding": "0.00", "overduePrincipal": "0.00", "interestEarned": "0.00",
                                    "interestCollected": "0.00", "interestAccrued": "0.00"}
    c1 = (await gql(client, doc("CustomerInsight"), {"customerId": gid("Customer", c["C1"].id)}, headers))["data"]["customerInsight"]
    assert (c1["contribution"]["interestEarned"], c1["contribution"]["interestAccrued"], c1["occupation"]) == ("280.00", "12.50", None)
    # updatedAt: the customer record's last business event (UTC), as in the reporting tables
    stamp = datetime(2026, 3, 20, 8, 30, tzinfo=UTC)
    await Customer.filter(id=c["C1"].id).update(updated_at=stamp)
    c1 = (await gql(client, doc("CustomerInsight"), {"customerId": gid("Customer", c["C1"].id)}, headers))["data"]["customerInsight"]
    assert datetime.fromisoformat(c1["updatedAt"]) == stamp
    graph = (await gql(client, doc("CustomerGraph"), {"customerId": gid("Customer", c["C1"].id), "hops": 3}, headers))["data"]["customerGraph"]
    assert graph["root"] == gid("Customer", c["C1"].id) and graph["truncated"] is False
    assert sorted((n["name"], n["hops"]) for n in graph["nodes"]) == [("客户1", 0), ("客户2", 1), ("客户3", 1)]
    assert [datetime.fromisoformat(n["updatedAt"]) for n in graph["nodes"] if n["name"] == "客户1"] == [stamp]
    assert all(n["updatedAt"] for n in graph["nodes"])
    assert sorted((e["kind"], e["label"]) for e in graph["edges"]) == [("FAMILY", "亲属"), ("FAMILY", "亲属"), ("HOUSEHOLD", "同户")]
    too_deep = await gql(client, doc("CustomerGraph"), {"customerId": gid("Customer", c["C1"].id), "hops": 4}, headers)
    assert too_deep["data"] == {"customerGraph": None} and too_deep["errors"][0]["message"] == "关系层数应在 1 到 3 之间"
    other = await officer("officer2")
    assert (await gql(client, doc("CustomerInsight"), {"customerId": gid("Customer", c["C1"].id)}, other))["data"] == {"customerInsight": None}
    assert (await gql(client, doc("CustomerGraph"), {"customerId": gid("Customer", c["C1"].id)}, other))["data"] == {"customerGraph": None}
    assert (await gql(client, doc("CustomerGraph"), {"customerId": "garbage"}, headers))["data"] == {"customerGraph": None}
    key, _ = await report_key()
    for name in ("CustomerInsight", "CustomerGraph"):
        refused = await gql(client, doc(name), {"customerId": gid("Customer", c["C1"].id)}, key)
        field = name[0].lower() + name[1:]
        assert refused["data"] == {field: None} and refused["errors"][0]["extensions"]["code"] == "FORBIDDEN", name


async def test_key_services_are_for_admins_and_audited(demo):
    admin, manager = await actor("admin"), await actor("manager")
    with pytest.raises(Forbidden):
        await create_report_key(actor=manager, name="x", branch_code="XF010")
    with pytest.raises(ValidationError):
        await create_report_key(actor=admin, name=" ", branch_code="XF010")
    with pytest.raises(NotFound):
        await create_report_key(actor=admin, name="x", branch_code="XF999")
    assert await ReportKey.all().count() == 0
    made = await create_report_key(actor=admin, name="监管报送", branch_code="XF010")
    assert made.token.startswith("rk_") and len(made.token) == 46 and made.key.prefix == made.token[:10]
    assert made.key.key_hash != made.token and made.token not in str(await AuditEvent.filter(action="report_key.create").values_list("after", flat=True))
    assert [k.name for k in await list_report_keys(actor=admin)] == ["监管报送"]
    with pytest.raises(Forbidden):
        await list_report_keys(actor=manager)
    with pytest.raises(Forbidden):
        await revoke_report_key(actor=manager, key_ref=str(made.key.id), now=datetime.now(UTC))
    await revoke_report_key(actor=admin, key_ref=str(made.key.id), now=datetime.now(UTC))
    with pytest.raises(ValidationError) as twice:
        await revoke_report_key(actor=admin, key_ref=made.key.prefix, now=datetime.now(UTC))
    assert twice.value.code == "ALREADY_REVOKED"
    assert await list_report_keys(actor=admin) == [] and len(await list_report_keys(actor=admin, include_revoked=True)) == 1
    events = await AuditEvent.filter(entity_type="report_key").order_by("at").values_list("action", "actor_id")
    assert events == [("report_key.create", str(admin.id)), ("report_key.revoke", str(admin.id))]
    with pytest.raises(NotFound):
        await revoke_report_key(actor=admin, key_ref="rk_nothing", now=datetime.now(UTC))


async def _grow(vault, n: int) -> None:
    """More of everything the reports group by: villages, products, officers' lines, loans in every class, ledger days, warnings."""
    branches = [await Branch.get(code="XF010"), await Branch.get(code="XF020")]
    products = list(await Product.all().order_by("code"))
    officers = list(await Officer.filter(role="officer"))
    officers += [await Officer.create(username=f"grow{i}", display_name=f"新经理{i}", role="officer", branch=branches[i % 2], password_hash="x")
                 for i in range(n // 5)]
    classes = ["normal", "special_mention", "substandard", "doubtful", "loss"]
    for i in range(n):
        branch = branches[i % 2]
        village = await Village.create(division_code=f"1410239{i:05d}", name=f"新村{i}", town="新城镇", county="襄汾县", branch=branch, officer=officers[i % len(officers)])
        number = idcard.make_number("141023", date(1960, 1, 1) + timedelta(days=i), 700 + 2 * i)
        customer = await Customer.create(name=f"新客户{i}", sex="男", birth_on=date(1960, 1, 1), branch=branch, bank_id=branch.bank_id, village=village, **id_number_fields(vault, number))
        product = products[i % len(products)]
        line = await CreditLine.create(customer=customer, product=product, branch=branch, officer=officers[i % len(officers)], limit_fen=5_000_000,
                                       valid_from=date(2025, 1, 1), valid_until=date(2027, 1, 1), allowed_methods=["equal_installment"], max_term_months=12, spread_bp=100)
        start = date(2025, 1, 1) + timedelta(days=17 * i)
        loan = await Loan.create(credit_line=line, customer=customer, product=product, branch=branch, principal_fen=1_000_000, annual_rate_ppm=40_000,
                                 lpr_tenor="1y", spread_bp=100, method="equal_installment", term_months=12, start_on=start, first_due_on=start,
                                 maturity_on=start, outstanding_principal_fen=900_000, classification=classes[i % 5], days_past_due=(i % 5) * 100)
        await post(kind="disbursement", business_on=start, loan_id=loan.id,
                   postings=[Posting(Account.LOAN_PRINCIPAL, debit_fen=1_000_000), Posting(Account.CLEARING, credit_fen=1_000_000)])
        await post(kind="repayment", business_on=start + timedelta(days=30), loan_id=loan.id,
                   postings=[Posting(Account.CLEARING, debit_fen=100_000), Posting(Account.LOAN_PRINCIPAL, credit_fen=100_000)])
        await EarlyWarning.create(kind="rising_dpd", severity="high", customer=customer, loan=loan, subject_id=loan.id, branch=branch,
                                  officer=officers[i % len(officers)], business_on=start, message="测试", evidence={})


async def test_statements_per_request_do_not_grow_with_rows_or_groups(client, demo, vault, monkeypatch):
    await full_book(vault)
    key, _ = await report_key()
    staff = await officer("admin")
    counted = count_statements(monkeypatch)
    variables = {"PortfolioSummary": {"groupBy": "VILLAGE"}, "RiskSummary": {"groupBy": "PRODUCT"}, "RepaymentSeries": {"interval": "DAY"},
                 "DisbursementSeries": {"interval": "DAY"}}

    async def cost(headers) -> dict[str, tuple[int, int]]:
        out = {}
        for name in REPORTS:
            counted.clear()
            body = await gql(client, doc(name), variables.get(name, {}), headers)
            assert "errors" not in body, body
            result = next(iter(body["data"].values()))
            rows = next(v["edges"] for v in result.values() if isinstance(v, dict) and "edges" in v)
            out[name] = (len(counted), len(rows))
        return out

    await gql(client, doc("PortfolioSummary"), {}, key)  # the key's first use records last_used_at; later ones within a minute do not
    small_key, small_staff = await cost(key), await cost(staff)
    await _grow(vault, 25)
    big_key, big_staff = await cost(key), await cost(staff)
    for name in REPORTS:
        assert big_key[name][1] > small_key[name][1], name  # more groups / periods / customers on the page
        assert big_key[name][0] == small_key[name][0] and big_staff[name][0] == small_staff[name][0], name
    # a report key: the key, its branch tree, the report (+ the tags of the page's customers)
    assert {name: c for name, (c, _) in big_key.items()} == {**dict.fromkeys(REPORTS, 3), "CustomerContributions": 4}
