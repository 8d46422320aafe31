"""无还本续贷 on the PAD (issue 17): at maturity the officer proposes on the loan page (interest still owed is refused in
Chinese in place), the approver approves the request on the 待复核 page, and both loans' pages show the link."""

import uuid
from datetime import UTC, datetime

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Customer, GuaranteeRenewal, Installment, LoanRenewal, Officer, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.auth.officers import actor_for
from app.services.guarantees import form_group
from app.services.lending.renewal import renewal_guarantees_of
from app.services.lending.repayment import repay
from tests.factories import csrf_token, login
from tests.factories.guarantees import households, in_household, members, signing_kit
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_classification_state import _until
from tests.services.lending.test_renewal import _loan, _strategy

SIGNED = datetime(2026, 11, 27, 3, 0, tzinfo=UTC)  # a signature's moment: not after the wall clock


async def test_propose_and_approve_a_renewal_through_the_pages(client, demo, vault):
    # given a one-month 便利贷 loan at its maturity date with a fresh strategy pass, its interest not yet paid
    await business_date.set_current(TODAY)
    core = SandboxCoreBanking()
    loan = await _loan(core, vault)
    await _until(core, vault, loan.maturity_on)
    today = await business_date.current()
    await _strategy(loan, "pass", today)
    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="renewal-propose"' in page.text
    token = await csrf_token(client)
    # when the officer proposes before the interest is paid, then the refusal shows in place and nothing is stored
    owed = await client.post(f"/loans/{loan.id}/renewal", data={"term_months": "12", "reason": "经营周转", "csrf_token": token},
                             headers={"HX-Request": "true"})
    assert owed.status_code == 422 and "须先以现金结清（不得计入新贷款）" in owed.text
    assert await PendingCommand.filter(kind="renewal").count() == 0
    # when the borrower has paid the interest in cash and the officer proposes again
    interest = (await Installment.get(loan_id=loan.id, number=1)).interest_fen
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=interest, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    proposed = await client.post(f"/loans/{loan.id}/renewal", data={"term_months": "12", "reason": "经营周转", "csrf_token": token})
    assert proposed.status_code == 303
    command = await PendingCommand.get(kind="renewal")
    await client.post("/logout", data={"csrf_token": token})
    # then the approver sees the effect and approves it on the 待复核 page
    await login(client, "approver")
    request_page = await client.get(f"/checks/{command.id}")
    assert "新借据本金" in request_page.text and 'id="command-approve"' in request_page.text
    token = await csrf_token(client)
    approved = await client.post(f"/checks/{command.id}/approve", data={"csrf_token": token})
    assert approved.status_code in (200, 303)
    # and both loans' pages show the renewal
    record = await LoanRenewal.get(old_loan_id=loan.id)
    assert 'id="loan-renewed-by"' in (await client.get(f"/loans/{loan.id}")).text
    new_page = await client.get(f"/loans/{record.new_loan_id}")
    assert 'id="loan-renewal-of"' in new_page.text and 'id="renewal-propose"' not in new_page.text


async def test_each_guarantor_signs_for_the_new_loan_on_the_loan_page_before_the_renewal(client, demo, vault):
    # given a loan at maturity whose borrower is in a 联保 group of five, its interest paid and a fresh strategy pass
    await business_date.set_current(TODAY)
    core = SandboxCoreBanking()
    loan = await _loan(core, vault)
    await _until(core, vault, loan.maturity_on)
    today = await business_date.current()
    await _strategy(loan, "pass", today)
    interest = (await Installment.get(loan_id=loan.id, number=1)).interest_fen
    await repay(actor=SYSTEM, loan_id=loan.id, amount_fen=interest, idempotency_key=uuid.uuid4(), today=today, core=core, vault=vault)
    borrower = await Customer.get(id=loan.customer_id)
    await in_household(borrower, "900")
    others = await households(vault, 4)
    officer = await actor_for(await Officer.get(username="officer1"))
    await form_group(actor=officer, name="西街村联保小组", members=members([borrower, *others]), on=today, now=SIGNED, kit=signing_kit())
    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="renewal-guarantees"' in page.text and page.text.count("尚未签订") == 4
    token = await csrf_token(client)
    # when the officer proposes before the guarantors have signed: refused in place, naming them
    refused = await client.post(f"/loans/{loan.id}/renewal", data={"term_months": "12", "reason": "经营周转", "csrf_token": token},
                                headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "保证人联保户1、联保户2、联保户3、联保户4尚未为续贷的新借据（12 个月）签订保证合同" in refused.text
    # a term that is not a number is refused in that guarantor's row
    guarantors = [m for m, _ in await renewal_guarantees_of(actor=officer, loan_id=loan.id)]
    bad = await client.post(f"/loans/{loan.id}/renewal/guarantee", data={"member_id": str(guarantors[0].id), "term_months": "十二",
                            "error_id": "renewal-guarantee-error-1", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and 'id="renewal-guarantee-error-1"' in bad.text and "整月数" in bad.text
    # each guarantor signs on the page; the page links each signed contract; then the proposal goes in
    for member in guarantors:
        signed = await client.post(f"/loans/{loan.id}/renewal/guarantee", data={"member_id": str(member.id), "term_months": "12", "csrf_token": token})
        assert signed.status_code == 303
    page = await client.get(f"/loans/{loan.id}")
    assert "尚未签订" not in page.text and page.text.count("/download") >= 4
    assert await GuaranteeRenewal.filter(old_loan_id=loan.id).count() == 4
    proposed = await client.post(f"/loans/{loan.id}/renewal", data={"term_months": "12", "reason": "经营周转", "csrf_token": token})
    assert proposed.status_code == 303 and await PendingCommand.filter(kind="renewal").count() == 1
