"""Customer insight: tags refreshed set-based, contribution from the ledger, the relationship graph."""

from datetime import date

import pytest

from app.domain.errors import NotFound, ValidationError
from app.domain.tags import Tag, TagRules
from app.models import AuditEvent, Customer, CustomerProfile, CustomerTag, Installment, Loan
from app.services.actor import SYSTEM
from app.services.insight import customer_contributions, refresh_customer_tags, relationship_graph, set_customer_profile
from app.services.reporting import Page, ReportFilter
from tests.factories.reporting import Y, full_book
from tests.factories.risk import actor

ON = date(2026, 3, 21)


async def _tags() -> dict:
    out: dict = {}
    for customer, tag in await CustomerTag.all().values_list("customer__name", "tag"):
        out.setdefault(customer, set()).add(Tag(tag))
    return out


async def test_tags_follow_the_rules_and_a_second_run_changes_nothing(demo, vault):
    book = await full_book(vault)
    c = book.customers
    officer1 = await actor("officer1")
    await set_customer_profile(actor=officer1, customer_id=c["C1"].id, occupation="public_servant")
    await set_customer_profile(actor=officer1, customer_id=c["C6"].id, occupation="grower", land_area_mu=60)
    await set_customer_profile(actor=SYSTEM, customer_id=c["C5"].id, manual_tags=["public_servant"])
    await Customer.filter(id=c["C1"].id).update(grade="excellent")
    report = await refresh_customer_tags(on=ON, rules=TagRules(large_borrower_fen=100_000 * Y), chunk=2)
    both = {Tag.OVERDUE_HISTORY, Tag.CURRENTLY_OVERDUE}
    assert await _tags() == {
        "客户1": {Tag.PUBLIC_SERVANT, Tag.LARGE_BORROWER, Tag.PRIME},
        "客户2": both, "客户3": both, "客户4": both, "客户5": both | {Tag.PUBLIC_SERVANT},
        "客户6": {Tag.OVERDUE_HISTORY, Tag.LARGE_GROWER},
    }
    assert (report.customers, report.added, report.removed) == (6, 14, 0)
    again = await refresh_customer_tags(on=ON, rules=TagRules(large_borrower_fen=100_000 * Y))
    assert (again.customers, again.added, again.removed) == (6, 0, 0)
    assert await AuditEvent.filter(action="customer_tags.refresh").count() == 2
    assert await AuditEvent.filter(action="customer_profile.set").count() == 3


async def test_a_cured_loan_keeps_the_history_tag_and_its_first_date(demo, vault):
    book = await full_book(vault)
    await refresh_customer_tags(on=ON)
    l2 = book.loans["L2"]
    await Loan.filter(id=l2.id).update(days_past_due=0, classification="normal", overdue_principal_fen=0)
    await Installment.filter(loan_id=l2.id).update(status="paid", paid_on=date(2026, 3, 25))
    later = date(2026, 3, 26)
    report = await refresh_customer_tags(on=later)
    assert (report.added, report.removed) == (0, 1)
    rows = await CustomerTag.filter(customer_id=book.customers["C2"].id).values_list("tag", "since_on", "refreshed_on")
    assert rows == [(Tag.OVERDUE_HISTORY, ON, later)]


async def test_profile_is_for_officers_in_scope_and_checks_its_input(demo, vault):
    book = await full_book(vault)
    officer2 = await actor("officer2")
    with pytest.raises(NotFound):
        await set_customer_profile(actor=officer2, customer_id=book.customers["C1"].id, occupation="farmer")
    with pytest.raises(ValidationError) as bad:
        await set_customer_profile(actor=officer2, customer_id=book.customers["C4"].id, occupation="astronaut")
    assert bad.value.field == "occupation"
    with pytest.raises(ValidationError) as land:
        await set_customer_profile(actor=officer2, customer_id=book.customers["C4"].id, land_area_mu=-1)
    assert land.value.field == "land_area_mu"
    assert await CustomerProfile.all().count() == 0


async def test_contribution_from_the_ledger(demo, vault):
    book = await full_book(vault)
    admin = await actor("admin")
    report = await customer_contributions(actor=admin)
    top = report.customers.rows
    assert [r.name for r in top[:2]] == ["客户1", "客户2"] and report.customers.total_count == 6
    c1, c2 = top[0].figures, top[1].figures
    assert (c1.interest_earned_fen, c1.interest_collected_fen, c1.outstanding_fen, c1.loans, c1.active_loans) == (280 * Y, 380 * Y, 100_000 * Y, 1, 1)
    assert (c2.interest_earned_fen, c2.interest_collected_fen, c2.overdue_principal_fen) == (132 * Y, 400 * Y, 5_000 * Y)
    assert top[0].village_name == "西街村" and top[0].id_number_masked.endswith(top[0].id_number_masked[-4:]) and "*" in top[0].id_number_masked
    assert (report.total.interest_earned_fen, report.total.interest_collected_fen, report.total.outstanding_fen) == (412 * Y, 780 * Y, 210_000 * Y)
    assert (c1.interest_accrued_fen, c2.interest_accrued_fen, report.total.interest_accrued_fen) == (1_250, 600, 1_850)
    march = await customer_contributions(actor=admin, filt=ReportFilter(date_from=date(2026, 3, 1)), page=Page(0, 2))
    assert [(r.name, r.figures.interest_earned_fen, r.figures.interest_collected_fen) for r in march.customers.rows] == [
        ("客户1", 30 * Y, 30 * Y), ("客户2", 12 * Y, 400 * Y)]
    assert march.customers.has_next
    one = await customer_contributions(actor=await actor("officer1"), customer_id=book.customers["C2"].id)
    assert [r.name for r in one.customers.rows] == ["客户2"]
    assert (await customer_contributions(actor=await actor("officer2"), customer_id=book.customers["C2"].id)).customers.rows == []


async def test_relationship_graph_is_cycle_safe_and_scoped(demo, vault):
    book = await full_book(vault)
    c = book.customers
    names = {v.id: k for k, v in c.items()}

    def shape(graph):
        nodes = {(names[n.customer_id], n.hops) for n in graph.nodes}
        edges = {(names[e.source], names[e.target], e.kind) for e in graph.edges}
        return nodes, edges

    officer1 = await actor("officer1")
    one_hop = await relationship_graph(actor=officer1, customer_id=c["C1"].id, hops=1)
    near = {("C1", "C3", "family"), ("C3", "C2", "family"), (*sorted(("C1", "C2"), key=lambda k: str(c[k].id)), "household")}
    assert shape(one_hop) == ({("C1", 0), ("C2", 1), ("C3", 1)}, near)
    three = await relationship_graph(actor=officer1, customer_id=c["C1"].id, hops=3)  # C4 (guarantor of C2) is in another branch
    assert shape(three) == shape(one_hop) and not three.truncated
    admin = await actor("admin")
    wide = await relationship_graph(actor=admin, customer_id=c["C1"].id, hops=3)
    assert shape(wide) == ({("C1", 0), ("C2", 1), ("C3", 1), ("C4", 2), ("C5", 3)}, near | {("C4", "C2", "guarantor"), ("C4", "C5", "co_borrower")})
    assert {e.label for e in wide.edges} == {"同户", "亲属", "担保人", "共同借款人"}
    assert await relationship_graph(actor=await actor("officer2"), customer_id=c["C1"].id) is None
    with pytest.raises(ValidationError):
        await relationship_graph(actor=officer1, customer_id=c["C1"].id, hops=4)
