"""联保 on the PAD (issue 17): an officer forms a group from the village's households (a refusal shows in place, in
Chinese, and stores nothing), the group shows on the household and customer pages, a member's release and the group's
dissolution are refused while a loan is owed, and only the roles the policy names may change a group."""

import re

from app.models import GuaranteeGroup, GuaranteeMember, Loan, Village
from app.services import business_date
from tests.factories import csrf_token, login
from tests.factories.guarantees import WEST, households, in_household
from tests.factories.worklists import TODAY, drawn_loan


def pick(customers, amount: str = "50000") -> dict[str, list[str] | str]:
    data: dict[str, list[str] | str] = {"member": [str(c.id) for c in customers]}
    data.update({f"amount.{c.id}": amount for c in customers})
    return data


async def test_form_a_group_then_see_it_on_the_household_and_customer_pages(client, demo, vault):
    # given five households of 西街村 each with a customer who signs for it
    await business_date.set_current(TODAY)
    customers = await households(vault, 5)
    west = await Village.get(division_code=WEST)
    await login(client, "officer1")
    village_page = await client.get(f"/villages/{west.id}")
    assert f'/villages/{west.id}/guarantee-groups/new"' in village_page.text
    form = await client.get(f"/villages/{west.id}/guarantee-groups/new")
    assert form.status_code == 200 and form.headers["vary"] == "HX-Request" and "组建联保小组" in form.text
    assert all(f'id="candidate-{c.id}-row"' in form.text and c.id_number_masked in form.text for c in customers)
    assert not re.search(r"\d{17}[\dX]", form.text)  # no whole ID number
    token = await csrf_token(client)
    # when four households are sent, then the size rule refuses it in place
    few = await client.post(f"/villages/{west.id}/guarantee-groups/new", data={"name": "西街村第一联保小组", "origin": "visit", "csrf_token": token,
                                                                              **pick(customers[:4])}, headers={"HX-Request": "true"})
    assert few.status_code == 422 and "<html" not in few.text and "联保小组至少需要 5 户，现有 4 户" in few.text
    assert 'id="guarantee-group-new"' in few.text
    assert re.search(rf'id="candidate-{customers[0].id}-pick"[^>]*checked', few.text)  # the ticks are kept
    assert not re.search(rf'id="candidate-{customers[4].id}-pick"[^>]*checked', few.text)
    # when an amount is not money, then the error is at that household's amount
    bad = await client.post(f"/villages/{west.id}/guarantee-groups/new", data={
        "name": "西街村第一联保小组", "origin": "visit", "csrf_token": token, **pick(customers), f"amount.{customers[2].id}": "五万"})
    assert bad.status_code == 422 and f'id="candidate-{customers[2].id}-amount-error"' in bad.text and "<html" in bad.text
    assert await GuaranteeGroup.all().count() == 0
    # when five households are sent
    made = await client.post(f"/villages/{west.id}/guarantee-groups/new", data={"name": "西街村第一联保小组", "origin": "appraisal", "csrf_token": token,
                                                                               **pick(customers, "50,000.00")})
    # then the group is formed and its page lists the five guarantees
    group = await GuaranteeGroup.get(name="西街村第一联保小组")
    assert made.status_code == 303 and made.headers["location"] == f"/guarantee-groups/{group.id}"
    assert group.origin == "appraisal" and await GuaranteeMember.filter(group_id=group.id, amount_fen=50_000_00).count() == 5
    page = await client.get(f"/guarantee-groups/{group.id}")
    assert page.status_code == 200 and page.text.count('id="guarantee-member-') >= 5 and "¥50,000.00" in page.text
    assert 'id="guarantee-group-dissolve"' in page.text
    member = await GuaranteeMember.get(group_id=group.id, customer_id=customers[0].id)
    assert f'/documents/{member.document_id}/download"' in page.text  # each member's signed contract PDF, from the group's page
    pdf = await client.get(f"/documents/{member.document_id}/download")
    assert pdf.status_code == 200 and pdf.content.startswith(b"%PDF")
    household = await client.get(f"/households/{member.household_id}")
    assert f'/guarantee-groups/{group.id}"' in household.text and member.contract_no in household.text
    customer = await client.get(f"/customers/{customers[0].id}")
    assert 'id="customer-guarantees"' in customer.text and "西街村第一联保小组" in customer.text
    # the household is now in an active group: a second group with it is refused
    again = await client.post(f"/villages/{west.id}/guarantee-groups/new", data={"name": "第二组", "origin": "visit", "csrf_token": token,
                                                                                **pick(customers)}, headers={"HX-Request": "true"})
    assert again.status_code == 422 and "已在有效的联保小组「西街村第一联保小组」中" in again.text


async def test_release_and_dissolve_are_refused_while_a_loan_is_owed_then_allowed(client, demo, vault):
    # given a group of six, one of whom has a loan not yet repaid
    await business_date.set_current(TODAY)
    borrower, _, loan = await drawn_loan(vault)
    await in_household(borrower, "357")
    others = await households(vault, 5)
    west = await Village.get(division_code=WEST)
    await login(client, "officer1")
    token = await csrf_token(client)
    await client.post(f"/villages/{west.id}/guarantee-groups/new", data={"name": "六户组", "origin": "visit", "csrf_token": token,
                                                                        **pick([borrower, *others])})
    group = await GuaranteeGroup.get(name="六户组")
    leaving = await GuaranteeMember.get(group_id=group.id, customer_id=others[0].id)
    # when the officer releases a member, then it is refused in place, naming the borrower
    refused = await client.post(f"/guarantee-groups/{group.id}/members/{leaving.id}/release", data={"reason": "外出务工", "csrf_token": token},
                                headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "<html" not in refused.text and "仍为王建国未结清的借款承担连带保证责任" in refused.text
    dissolve = await client.post(f"/guarantee-groups/{group.id}/dissolve", data={"reason": "协商解散", "csrf_token": token}, headers={"HX-Request": "true"})
    assert dissolve.status_code == 422 and 'id="guarantee-group-dissolve-error"' in dissolve.text
    assert (await GuaranteeMember.get(id=leaving.id)).status == "active" and (await GuaranteeGroup.get(id=group.id)).status == "active"
    # once the loan is settled the member leaves, then the group is dissolved
    await Loan.filter(id=loan.id).update(status="settled")
    released = await client.post(f"/guarantee-groups/{group.id}/members/{leaving.id}/release", data={"reason": "外出务工", "csrf_token": token})
    assert released.status_code == 303 and (await GuaranteeMember.get(id=leaving.id)).status == "released"
    done = await client.post(f"/guarantee-groups/{group.id}/dissolve", data={"reason": "协商解散", "csrf_token": token})
    assert done.status_code == 303 and (await GuaranteeGroup.get(id=group.id)).status == "dissolved"
    page = await client.get(f"/guarantee-groups/{group.id}")
    assert "该联保小组已解散" in page.text and 'id="guarantee-group-dissolve"' not in page.text


async def test_an_approver_sees_the_group_but_may_not_change_it_and_another_branch_cannot_open_it(client, demo, vault):
    await business_date.set_current(TODAY)
    customers = await households(vault, 5)
    west = await Village.get(division_code=WEST)
    await login(client, "officer1")
    token = await csrf_token(client)
    await client.post(f"/villages/{west.id}/guarantee-groups/new", data={"name": "五户组", "origin": "visit", "csrf_token": token, **pick(customers)})
    group = await GuaranteeGroup.get(name="五户组")
    await client.post("/logout", data={"csrf_token": token})
    await login(client, "approver")
    page = await client.get(f"/guarantee-groups/{group.id}")
    assert page.status_code == 200 and 'id="guarantee-group-dissolve"' not in page.text and "-release\"" not in page.text
    token = await csrf_token(client)
    forbidden = await client.post(f"/guarantee-groups/{group.id}/dissolve", data={"reason": "越权", "csrf_token": token})
    assert forbidden.status_code == 403 and (await GuaranteeGroup.get(id=group.id)).status == "active"
    await client.post("/logout", data={"csrf_token": token})
    await login(client, "officer2")
    assert (await client.get(f"/guarantee-groups/{group.id}")).status_code == 404
    assert (await client.get(f"/villages/{west.id}/guarantee-groups/new")).status_code == 404
