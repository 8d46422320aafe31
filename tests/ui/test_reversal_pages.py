"""提出冲正 on the PAD loan page (issue 17): an officer proposes a same-day reversal of a prepayment, a wrong 借据号 or a
missing reason changes nothing (Chinese message), the branch approver approves it on the request page and the loan is
back as before."""

import html
import re
import uuid

from app.domain.maker_checker import CommandStatus
from app.integrations.core_banking import SandboxCoreBanking
from app.models import LedgerTransaction, Loan, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.lending.drawdown import draw_down
from app.services.lending.ledger import ledger_check
from app.services.lending.repayment import prepay
from tests.factories import csrf_token, customer_with_line, login
from tests.services.lending.conftest import TODAY

PAYS = "6217000010009999"


async def test_propose_and_approve_a_reversal_through_the_pages(client, demo, vault):
    await business_date.set_current(TODAY)
    core = SandboxCoreBanking()
    _, line = await customer_with_line(vault, card=PAYS)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=1_200_000, term_months=12, method="equal_installment",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    await prepay(actor=SYSTEM, loan_id=loan.id, amount_fen=300_000, idempotency_key=uuid.uuid4(), today=TODAY, core=core, vault=vault)
    booking = await LedgerTransaction.get(loan_id=loan.id, kind="prepayment")

    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="reversal-propose"' in page.text and "提出冲正" in page.text and "¥3,000.00" in page.text
    token = await csrf_token(client)
    form = {"transaction_id": str(booking.id), "mode": "reapply", "target": "NO-SUCH", "reason": "记错借据", "csrf_token": token}
    wrong = await client.post(f"/loans/{loan.id}/reversal", data=form, headers={"HX-Request": "true"})
    assert wrong.status_code == 422 and "调入借据号不存在" in wrong.text
    empty = await client.post(f"/loans/{loan.id}/reversal", data={**form, "mode": "refund", "reason": " "}, headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "请填写申请理由" in empty.text
    assert not await PendingCommand.exists()
    proposed = await client.post(f"/loans/{loan.id}/reversal", data={**form, "mode": "refund", "reason": "柜员误操作"})
    assert proposed.status_code == 303
    command = await PendingCommand.get()
    await client.post("/logout", data={"csrf_token": token})

    await login(client, "approver")
    request = await client.get(proposed.headers["location"])
    assert "冲正" in request.text and "¥9,000.00" in request.text and "¥12,000.00" in request.text
    seen = re.search(r'name="seen" value="([^"]+)"', request.text).group(1)
    token = await csrf_token(client)
    approved = await client.post(f"/checks/{command.id}/approve", data={"csrf_token": token, "seen": html.unescape(seen), "note": "同意"})
    assert approved.status_code == 303
    assert (await PendingCommand.get(id=command.id)).status == CommandStatus.APPROVED
    assert (await Loan.get(id=loan.id)).outstanding_principal_fen == 1_200_000
    assert await ledger_check(today=TODAY) == []
