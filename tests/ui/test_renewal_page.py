"""无还本续贷 on the PAD (issue 17): at maturity the officer proposes on the loan page (interest still owed is refused in
Chinese in place), the approver approves the request on the 待复核 page, and both loans' pages show the link."""

import uuid

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Installment, LoanRenewal, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.repayment import repay
from tests.factories import csrf_token, login
from tests.services.lending.conftest import TODAY
from tests.services.lending.test_classification_state import _until
from tests.services.lending.test_renewal import _loan, _strategy


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
