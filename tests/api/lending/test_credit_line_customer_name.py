"""CreditLine.customerName is the line's customer's name in every door that returns lines: staff read the
full name of lines in their scope, a borrower reads their own; the names come in one batched read."""

from __future__ import annotations

from app.models import Customer
from app.services import business_date
from tests.api.reporting.helpers import count_statements, doc, gid, gql, officer
from tests.factories import customer_with_line
from tests.factories.borrower import borrower, other_borrower, sign_in
from tests.factories.borrower import gql as mobile_gql
from tests.factories.worklists import TODAY

NODE = """query N($id: ID!) { node(id: $id) { ... on CreditLine { id customerName } } }"""
ME = """{ me { creditLines { edges { node { id customerName } } } } }"""


async def _names(body: dict, field: str = "creditLines") -> dict[str, str]:
    assert "errors" not in body, body
    return {e["node"]["id"]: e["node"]["customerName"] for e in body["data"][field]["edges"]}


async def test_staff_read_each_lines_customer_name_in_one_batched_read(client, demo, vault, monkeypatch):
    # given one customer with a line in officer1's branch
    await business_date.set_current(TODAY)
    first, line = await customer_with_line(vault)
    headers = await officer()
    counted = count_statements(monkeypatch)
    one = await _names(await gql(client, doc("CreditLines", "mobile"), {}, headers))
    cost_of_one = len(counted)
    # when two more customers, named apart, get lines and the list is read again
    more = [await customer_with_line(vault, sequence=s, card=f"62170000100{s}99") for s in (359, 361)]
    for (customer, _), name in zip(more, ("李秀英", "赵德明")):
        await Customer.filter(id=customer.id).update(name=name)
        customer.name = name
    counted.clear()
    names = await _names(await gql(client, doc("CreditLines", "mobile"), {}, headers))
    # then each line carries its customer's full name, and three lines cost the statements one did
    assert one == {gid("CreditLine", line.id): first.name}
    assert names == {gid("CreditLine", l.id): c.name for c, l in [(first, line), *more]}
    assert all(names.values()) and len(set(names.values())) == 3
    assert len(counted) == cost_of_one
    # and a line read by its id carries the name too
    node = (await gql(client, NODE, {"id": gid("CreditLine", line.id)}, headers))["data"]["node"]
    assert node == {"id": gid("CreditLine", line.id), "customerName": first.name}


async def test_a_borrower_reads_their_own_name_on_their_lines(client, app, demo, vault):
    # given a borrower and another customer, each with a line
    await business_date.set_current(TODAY)
    customer, line = await borrower(vault)
    await other_borrower(vault)
    token = (await sign_in(client, app))["accessToken"]
    own = {gid("CreditLine", line.id): (await Customer.get(id=customer.id)).name}
    # when the borrower lists lines and reads their home
    listed = await _names(await mobile_gql(client, "CreditLines", {}, token=token))
    home = (await gql(client, ME, {}, {"Authorization": f"Bearer {token}"}))
    # then both show the borrower's own line with their own name, and nothing of the other customer
    assert listed == own
    assert "errors" not in home, home
    assert {e["node"]["id"]: e["node"]["customerName"] for e in home["data"]["me"]["creditLines"]["edges"]} == own
