"""The approver's PAD queue of referred online credit applications: the evidence, approve with a limit, decline."""

from app.domain.external_data import CreditApplicationStatus, ExternalSource
from app.models import CreditApplication
from app.services import business_date
from tests.factories import csrf_token, login
from tests.services.online_credit.test_apply import TODAY, _apply, _borrower, _consent


async def _referred(vault, media, sequence=831):
    await business_date.set_current(TODAY)
    _, actor, bank, _ = await _borrower(vault, sequence=sequence)
    await _consent(actor, bank, media, ExternalSource.HOUSING_FUND)
    return await _apply(actor, bank, media, vault, "GJJ")


async def test_the_approver_reads_the_evidence_and_approves_within_the_caps(client, demo, vault, tmp_path):
    from app.services.documents import MediaStore

    row = await _referred(vault, MediaStore(tmp_path / "media"))
    await login(client, "approver")
    queue = await client.get("/credit-applications")
    assert queue.status_code == 200 and f"credit-application-{row.id}-row" in queue.text and "公积金贷" in queue.text
    page = await client.get(f"/credit-applications/{row.id}")
    assert page.status_code == 200 and "timeout" in page.text and "王建国" in page.text
    token = await csrf_token(client)
    too_much = await client.post(f"/credit-applications/{row.id}", data={"action": "approve", "limit": "300000", "reason": "人工核实", "csrf_token": token})
    assert too_much.status_code == 422 and "200,000" in too_much.text
    assert (await CreditApplication.get(id=row.id)).status == CreditApplicationStatus.REFERRED
    done = await client.post(f"/credit-applications/{row.id}", data={"action": "approve", "limit": "50000", "reason": "人工核实缴存", "csrf_token": token})
    assert done.status_code in (302, 303)
    stored = await CreditApplication.get(id=row.id)
    assert (stored.status, stored.limit_fen) == (CreditApplicationStatus.OFFERED, 5_000_000)
    assert "credit-decision-done" in (await client.get(f"/credit-applications/{row.id}")).text


async def test_an_officer_may_not_decide_and_the_approver_may_decline(client, demo, vault, tmp_path):
    from app.services.documents import MediaStore

    row = await _referred(vault, MediaStore(tmp_path / "media"))
    await login(client, "officer1")
    assert (await client.get("/credit-applications")).status_code == 403
    await client.post("/logout", data={"csrf_token": await csrf_token(client)})
    await login(client, "approver")
    token = await csrf_token(client)
    empty = await client.post(f"/credit-applications/{row.id}", data={"action": "decline", "reason": "", "csrf_token": token})
    assert empty.status_code == 422 and "请填写审查意见" in empty.text
    declined = await client.post(f"/credit-applications/{row.id}", data={"action": "decline", "reason": "无法核实", "csrf_token": token})
    assert declined.status_code in (302, 303) and (await CreditApplication.get(id=row.id)).status == CreditApplicationStatus.REFUSED
