"""展期 on the PAD (issue 17): the officer proposes on the loan page (a limit is refused in Chinese in place), the
approver approves the request on the 待复核 page, the loan's maturity moves."""

import uuid
from datetime import date

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Loan, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from tests.factories import csrf_token, customer_with_line, login
from tests.services.lending.conftest import TODAY


async def test_propose_and_approve_an_extension_through_the_pages(client, demo, vault):
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="extension-propose"' in page.text
    token = await csrf_token(client)
    too_long = await client.post(f"/loans/{loan.id}/extension", data={"months": "7", "reason": "借款人申请", "csrf_token": token},
                                 headers={"HX-Request": "true"})
    assert too_long.status_code == 422 and "短期贷款展期累计不得超过原贷款期限" in too_long.text
    assert await PendingCommand.filter(kind="extension").count() == 0
    proposed = await client.post(f"/loans/{loan.id}/extension", data={"months": "3", "reason": "养殖周期延长", "csrf_token": token})
    assert proposed.status_code == 303
    command = await PendingCommand.get(kind="extension")
    await client.post("/logout", data={"csrf_token": token})
    await login(client, "approver")
    request_page = await client.get(f"/checks/{command.id}")
    assert "2027-08-27" in request_page.text and 'id="command-approve"' in request_page.text
    token = await csrf_token(client)
    approved = await client.post(f"/checks/{command.id}/approve", data={"csrf_token": token})
    assert approved.status_code in (200, 303)
    assert (await Loan.get(id=loan.id)).maturity_on == date(2027, 8, 27)


async def test_a_borrowers_application_shows_on_the_workbench_and_the_loan_page(client, demo, vault):
    from app.domain.vocabulary import ActorType
    from app.models import ExtensionApplication
    from app.services.actor import Actor
    from app.services.lending.extension import apply_for_extension

    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    await apply_for_extension(actor=Actor(type=ActorType.CUSTOMER, id=loan.customer_id), loan_id=loan.id, months=2, reason="雨季停工",
                              today=TODAY)
    await login(client, "officer1")
    home = await client.get("/")
    assert "展期申请" in home.text and f"/loans/{loan.id}" in home.text and "申请展期 2 个月" in home.text
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="extension-application"' in page.text and "雨季停工" in page.text and 'value="2"' in page.text
    token = await csrf_token(client)
    proposed = await client.post(f"/loans/{loan.id}/extension", data={"months": "2", "reason": "借款人申请：雨季停工", "csrf_token": token})
    assert proposed.status_code == 303
    assert (await ExtensionApplication.get(loan_id=loan.id)).command_id == (await PendingCommand.get(kind="extension")).id
    assert 'id="extension-application"' not in (await client.get(f"/loans/{loan.id}")).text
