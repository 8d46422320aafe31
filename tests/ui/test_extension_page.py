"""展期 on the PAD (issue 17): the officer proposes on the loan page (a limit is refused in Chinese in place), the
approver approves the request on the 待复核 page, the loan's maturity moves."""

import uuid
from datetime import UTC, date, datetime

from app.integrations.core_banking import SandboxCoreBanking
from app.models import Customer, GuarantorConsent, Loan, Officer, PendingCommand
from app.services import business_date
from app.services.actor import SYSTEM
from app.services.auth.officers import actor_for
from app.services.guarantees import form_group
from app.services.lending.drawdown import draw_down
from app.services.lending.extension import consents_of
from tests.factories import csrf_token, customer_with_line, login
from tests.factories.guarantees import signing_kit, households, in_household, members
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


async def test_the_loan_page_records_each_guarantors_consent_before_the_extension(client, demo, vault):
    """A borrower in a 联保 group: the loan page lists the guarantors as 尚未同意; the proposal is refused in place
    naming them; a bad entry is refused in place and records nothing; each consent recorded, the proposal goes in."""
    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    borrower = await Customer.get(id=loan.customer_id)
    await in_household(borrower, "900")
    others = await households(vault, 4)
    officer = await actor_for(await Officer.get(username="officer1"))
    await form_group(actor=officer, name="西街村联保小组", members=members([borrower, *others]), on=TODAY, now=datetime(2026, 11, 27, tzinfo=UTC), kit=signing_kit())

    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert page.text.count("尚未同意") == 4 and "联保户1" in page.text
    token = await csrf_token(client)
    refused = await client.post(f"/loans/{loan.id}/extension", data={"months": "3", "reason": "养殖周期延长", "csrf_token": token},
                                headers={"HX-Request": "true"})
    assert refused.status_code == 422 and "保证人联保户1、联保户2、联保户3、联保户4尚未书面同意本次展期" in refused.text
    guarantors = [m for m, _ in await consents_of(actor=officer, loan_id=loan.id)]
    bad = await client.post(f"/loans/{loan.id}/extension/consent", data={"member_id": str(guarantors[0].id), "months": "三",
                            "error_id": "consent-error-1", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and 'id="consent-error-1"' in bad.text and "整月数" in bad.text
    stranger = await client.post(f"/loans/{loan.id}/extension/consent", data={"member_id": str(uuid.uuid4()), "months": "3", "csrf_token": token},
                                 headers={"HX-Request": "true"})
    assert stranger.status_code == 422 and "不为这笔借据提供保证" in stranger.text
    assert await GuarantorConsent.all().count() == 0
    for member in guarantors:
        done = await client.post(f"/loans/{loan.id}/extension/consent", data={"member_id": str(member.id), "months": "3", "csrf_token": token})
        assert done.status_code == 303
    page = await client.get(f"/loans/{loan.id}")
    assert "尚未同意" not in page.text and page.text.count("不超过 3 个月") == 4
    proposed = await client.post(f"/loans/{loan.id}/extension", data={"months": "3", "reason": "养殖周期延长", "csrf_token": token})
    assert proposed.status_code == 303 and await PendingCommand.filter(kind="extension").count() == 1


async def test_the_officer_declines_a_borrowers_application_on_the_loan_page(client, demo, vault):
    from app.domain.vocabulary import ActorType, ExtensionApplicationStatus
    from app.models import ExtensionApplication
    from app.services.actor import Actor
    from app.services.lending.extension import apply_for_extension

    await business_date.set_current(TODAY)
    _, line = await customer_with_line(vault)
    loan = await draw_down(actor=SYSTEM, credit_line_id=line.id, amount_fen=600_000, term_months=6, method="equal_principal",
                           idempotency_key=uuid.uuid4(), today=TODAY, core=SandboxCoreBanking(), vault=vault)
    application = await apply_for_extension(actor=Actor(type=ActorType.CUSTOMER, id=loan.customer_id), loan_id=loan.id, months=2,
                                            reason="雨季停工", today=TODAY)
    await login(client, "officer1")
    page = await client.get(f"/loans/{loan.id}")
    assert 'id="extension-decline"' in page.text and f'value="{application.id}"' in page.text
    token = await csrf_token(client)
    empty = await client.post(f"/loans/{loan.id}/extension/decline", data={"application_id": str(application.id), "reason": "", "csrf_token": token},
                              headers={"HX-Request": "true"})
    assert empty.status_code == 422 and "请填写不予受理的原因" in empty.text
    done = await client.post(f"/loans/{loan.id}/extension/decline",
                             data={"application_id": str(application.id), "reason": "停工期间无还款来源", "csrf_token": token})
    assert done.status_code == 303 and done.headers["location"].endswith("#extension")
    stored = await ExtensionApplication.get(id=application.id)
    assert (stored.status, stored.decline_reason) == (ExtensionApplicationStatus.DECLINED, "停工期间无还款来源")
    after = await client.get(f"/loans/{loan.id}")
    assert 'id="extension-application"' not in after.text and 'id="extension-decline"' not in after.text
