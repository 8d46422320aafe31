"""联保 through GraphQL (issue 17): an officer forms a group with guaranteeGroupForm (a size or amount problem is a typed
error in Chinese, nothing stored), reads it (guaranteeGroup, customerGuarantees, Loan.guarantees), and a release or a
dissolution is refused while a member's loan is owed; another branch reads nothing and an approver forms nothing."""

import base64

from app.models import GuaranteeGroup, GuaranteeMember, Loan
from app.services import business_date
from tests.api.lending.test_classification_api import _run, _token
from tests.factories.guarantees import households, in_household
from tests.factories.worklists import TODAY, drawn_loan

FORM = """mutation($input: GuaranteeGroupFormInput!) { guaranteeGroupForm(input: $input) {
  group { id name status origin formedDate villageName members { id contractNo amount status guarantorName groupName } }
  errors { code field message } } }"""
RELEASE = """mutation($input: GuaranteeMemberReleaseInput!) { guaranteeMemberRelease(input: $input) {
  group { status members { status } } errors { code field message } } }"""
DISSOLVE = """mutation($input: GuaranteeGroupDissolveInput!) { guaranteeGroupDissolve(input: $input) {
  group { status members { status } } errors { code field message } } }"""
READ = """query($group: ID!, $customer: ID!, $loan: ID!) {
  guaranteeGroup(groupId: $group) { name members { guarantorName amount } }
  customerGuarantees(customerId: $customer) { contractNo groupName groupStatus status amount }
  node(id: $loan) { ... on Loan { guarantees { guarantorName contractNo amount } } } }"""


def gid(kind: str, value) -> str:
    return base64.b64encode(f"{kind}:{value}".encode()).decode()


def members(customers, amount: str = "50000.00") -> list[dict]:
    return [{"customerId": gid("Customer", c.id), "amount": amount} for c in customers]


async def test_form_read_and_end_a_group_through_graphql(client, demo, vault):
    # given a borrower with a live loan and five other households of 西街村
    await business_date.set_current(TODAY)
    borrower, _, loan = await drawn_loan(vault)
    await in_household(borrower, "357")
    others = await households(vault, 5)
    officer = await _token("officer1")
    # when too few households are sent, or an amount is not money, then a typed error and nothing stored
    few = (await _run(client, FORM, {"input": {"name": "西街村联保小组", "members": members(others[:4])}}, officer))["guaranteeGroupForm"]
    assert few == {"group": None, "errors": [{"code": "INVALID", "field": "members", "message": "联保小组至少需要 5 户，现有 4 户"}]}
    bad = members(others)
    bad[2]["amount"] = "1.234"
    refused = (await _run(client, FORM, {"input": {"name": "西街村联保小组", "members": bad}}, officer))["guaranteeGroupForm"]
    assert refused["group"] is None and [(e["code"], e["field"]) for e in refused["errors"]] == [("INVALID_AMOUNT", "members.2.amount")]
    wrong_id = (await _run(client, FORM, {"input": {"name": "小组", "members": [{"customerId": "x", "amount": "1.00"}]}}, officer))["guaranteeGroupForm"]
    assert [(e["code"], e["field"]) for e in wrong_id["errors"]] == [("NOT_FOUND", "members.0.customerId")]
    assert await GuaranteeGroup.all().count() == 0
    # when six households are sent
    made = (await _run(client, FORM, {"input": {"name": "西街村联保小组", "origin": "APPRAISAL", "members": members([borrower, *others])}},
                       officer))["guaranteeGroupForm"]
    # then the group and its six signed guarantees come back
    assert made["errors"] == [] and made["group"]["status"] == "ACTIVE" and made["group"]["origin"] == "APPRAISAL"
    assert made["group"]["villageName"] == "西街村" and made["group"]["formedDate"] == TODAY.isoformat()
    assert len(made["group"]["members"]) == 6 and {m["amount"] for m in made["group"]["members"]} == {"50000.00"}
    group = await GuaranteeGroup.get(name="西街村联保小组")
    # and it reads back: the group, a customer's guarantees, the guarantees behind the loan
    read = await _run(client, READ, {"group": made["group"]["id"], "customer": gid("Customer", others[0].id), "loan": gid("Loan", loan.id)}, officer)
    assert read["guaranteeGroup"]["name"] == "西街村联保小组" and len(read["guaranteeGroup"]["members"]) == 6
    contract = (await GuaranteeMember.get(group_id=group.id, customer_id=others[0].id)).contract_no
    assert read["customerGuarantees"] == [{"contractNo": contract, "groupName": "西街村联保小组", "groupStatus": "ACTIVE", "status": "ACTIVE",
                                           "amount": "50000.00"}]
    assert sorted(g["guarantorName"] for g in read["node"]["guarantees"]) == [f"联保户{i}" for i in range(1, 6)]
    # another branch's officer reads nothing
    other = await _token("officer2")
    hidden = await _run(client, READ, {"group": made["group"]["id"], "customer": gid("Customer", others[0].id), "loan": gid("Loan", loan.id)}, other)
    assert hidden["guaranteeGroup"] is None and hidden["customerGuarantees"] == []
    # when a member is released while the borrower owes, then refused; once settled, released; then dissolved
    leaving = next(m for m in made["group"]["members"] if m["guarantorName"] == "联保户1")
    owed = (await _run(client, RELEASE, {"input": {"guaranteeId": leaving["id"], "reason": "外出务工"}}, officer))["guaranteeMemberRelease"]
    assert owed == {"group": None, "errors": [{"code": "CONFLICT", "field": "guaranteeId",
                                               "message": "联保户1仍为王建国未结清的借款承担连带保证责任，不能退出联保小组"}]}
    no_reason = (await _run(client, DISSOLVE, {"input": {"groupId": made["group"]["id"], "reason": " "}}, officer))["guaranteeGroupDissolve"]
    assert no_reason["errors"] == [{"code": "REASON_REQUIRED", "field": "reason", "message": "请填写解散原因"}]
    await Loan.filter(id=loan.id).update(status="settled")
    released = (await _run(client, RELEASE, {"input": {"guaranteeId": leaving["id"], "reason": "外出务工"}}, officer))["guaranteeMemberRelease"]
    assert released["errors"] == [] and sorted(m["status"] for m in released["group"]["members"]) == ["ACTIVE"] * 5 + ["RELEASED"]
    dissolved = (await _run(client, DISSOLVE, {"input": {"groupId": made["group"]["id"], "reason": "协商解散"}}, officer))["guaranteeGroupDissolve"]
    assert dissolved["errors"] == [] and dissolved["group"]["status"] == "DISSOLVED"
    assert {m["status"] for m in dissolved["group"]["members"]} == {"RELEASED"}


async def test_an_approver_may_not_form_a_group(client, demo, vault):
    await business_date.set_current(TODAY)
    customers = await households(vault, 5)
    response = await client.post("/graphql", json={"query": FORM, "variables": {"input": {"name": "小组", "members": members(customers)}}},
                                 headers=await _token("approver"))
    body = response.json()
    assert body["data"] is None and body["errors"][0]["extensions"]["code"] == "FORBIDDEN"
    assert await GuaranteeGroup.all().count() == 0
