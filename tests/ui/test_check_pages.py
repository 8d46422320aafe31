"""Maker-checker pages: the branch proposes a write-off on the loan page, the head-office approver sees the request with
its effect before and after in the 待复核 queue and approves it; the maker cannot; a recovery is booked on the loan page
and the report shows it."""

import re
import uuid

from app.domain.allowance import DEFAULT_POLICY
from app.domain.maker_checker import CommandStatus
from app.integrations.core_banking import SandboxCoreBanking
from app.models import Bank, Loan, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.auth.officers import actor_for
from app.services.lending.classification import set_floor
from app.services.lending.drawdown import draw_down
from app.services.lending.write_off import provide_allowance
from app.models import Officer
from tests.factories import csrf_token, customer_with_line, login
from tests.services.lending.conftest import TODAY

PAYS = "6217000010009999"


async def loss_loan(vault) -> Loan:
    """A loan an officer has classified 损失 (manual floor), with the month's allowance provided."""
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault, card=PAYS)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    await set_floor(actor=await actor_for(await Officer.get(username="officer1")), loan_id=loan.id, floor="loss", reason="借款人死亡", today=TODAY)
    await provide_allowance(actor=SYSTEM, bank_id=(await Bank.get(code="14102301")).id, today=TODAY, policy=DEFAULT_POLICY)
    return await Loan.get(id=loan.id)


async def test_propose_check_and_recover_through_the_pages(client, demo, vault):
    loan = await loss_loan(vault)
    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="write-off-propose"' in page.text
    token = await csrf_token(client)
    empty = await client.post(f"/loans/{loan.id}/write-off", data={"reason": " ", "csrf_token": token}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "请填写申请理由" in empty.text
    proposed = await client.post(f"/loans/{loan.id}/write-off", data={"reason": "借款人死亡，无财产", "csrf_token": token})
    assert proposed.status_code == 303
    command = await PendingCommand.get()
    own = await client.get(proposed.headers["location"])
    assert "¥12,000.00" in own.text and 'id="command-approve"' not in own.text and 'id="command-why-not"' in own.text
    refused = await client.post(f"/checks/{command.id}/approve", data={"csrf_token": token})
    assert refused.status_code == 403
    # a branch approver: the role, not the place
    await client.post("/logout", data={"csrf_token": token})
    await login(client, "approver")
    branch = await client.get(f"/checks/{command.id}")
    assert "须由总行人员办理" in branch.text and 'id="command-approve"' not in branch.text
    token = await csrf_token(client)
    await client.post("/logout", data={"csrf_token": token})
    # the head-office approver
    await login(client, "hq_approver")
    queue = await client.get("/checks")
    assert f'id="command-{command.id}-row"' in queue.text
    request = await client.get(f"/checks/{command.id}")
    assert 'id="effect-now"' in request.text and "本行不良贷款率" in request.text
    seen = re.search(r'name="seen" value="([^"]+)"', request.text).group(1)
    import html

    token = await csrf_token(client)
    approved = await client.post(f"/checks/{command.id}/approve", data={"csrf_token": token, "seen": html.unescape(seen), "note": "同意"})
    assert approved.status_code == 303
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.APPROVED
    assert (await Loan.get(id=loan.id)).status == "written_off"
    await client.post("/logout", data={"csrf_token": token})
    # the recovery on the loan page
    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="written-off"' in page.text
    key = re.search(r'name="idempotency_key" value="([^"]+)"', page.text[page.text.index('id="written-off"'):]).group(1)
    token = await csrf_token(client)
    recovered = await client.post(f"/loans/{loan.id}/recover", data={"amount": "5000.00", "idempotency_key": key, "csrf_token": token})
    assert recovered.status_code == 303
    page = await client.get(f"/loans/{loan.id}")
    assert "¥5,000.00 / ¥0.00" in page.text
    await client.post("/logout", data={"csrf_token": token})
    await login(client, "hq_approver")
    report = await client.get("/reports")
    section = report.text[report.text.index('id="write-off-report"'):]
    assert "¥5,000.00 / ¥0.00" in section and "¥7,000.00" in section  # recovered; the stock left
