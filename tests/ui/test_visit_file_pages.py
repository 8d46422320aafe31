"""The visit pages read the visit's file typed (VisitFile), also from rows stored before some keys existed."""

from app.models import Visit
from app.services.visits import abandon_visit, check_person_identity, decide
from app.integrations.identity import SandboxIdentityCheck
from tests.factories import login
from tests.services.visits.helpers import NOW, TODAY, authorise, ctx_for, family, id_card, person, photos, pre_credit, start, walk_to_decision


async def test_a_file_waiting_for_approval_shows_also_in_its_older_shape(client, demo, vault, settings):
    fam = await family(vault, spouse_seq=None)
    await pre_credit(fam.household.id, 300_000)
    c = await ctx_for(vault, settings, fam)
    await walk_to_decision(c)
    await decide(actor=c.who, visit_id=c.visit_id, requested_fen=None, policy=c.policy, media=c.media, vault=c.vault, today=TODAY, now=NOW)
    visit = await Visit.get(id=c.visit_id)
    # as stored before the strategy and the income were kept with the visit
    older = {k: v for k, v in visit.data.items() if k != "strategy"}
    older["decision"] = {"route": "approval", "amountFen": 30_000_000, "why": "above_authority", "key": ""}
    await Visit.filter(id=visit.id).update(data=older)
    await login(client)
    page = await client.get(f"/visits/{visit.id}")
    assert page.status_code == 200 and 'id="visit-awaiting"' in page.text and "超出您的授信权限" in page.text
    await login(client, "approver")
    file = await client.get(f"/approvals/{visit.id}")
    assert file.status_code == 200 and "超出客户经理授信权限" in file.text and "借款人：通过（距离 0.0300）" in file.text
    assert "本户档案中没有借款人的配偶，无需共同借款人" in file.text  # the co-borrower's skip reason
    assert (await Visit.get(id=visit.id)).data == older  # reading never rewrites the row


async def test_the_step_pages_show_the_files_parts(client, demo, vault, settings):
    fam = await family(vault, head_seq=883, spouse_seq=None)  # sandbox identity check: 姓名与号码不一致
    c = await ctx_for(vault, settings, fam)
    await start(c, at=(35.9765, 111.4421))
    await id_card(c)
    await check_person_identity(actor=c.who, visit_id=c.visit_id, who="borrower", identity_check=SandboxIdentityCheck(), vault=vault, media=c.media, now=NOW)
    await login(client)
    page = await client.get(f"/visits/{c.visit_id}")
    assert 'id="visit-far"' in page.text and "超过 5.0 公里（已记录）" in page.text
    assert 'id="identity-result">上次核查结果：不一致（姓名与号码不一致）' in page.text
    await abandon_visit(actor=c.who, visit_id=c.visit_id, reason="身份核验未通过", now=NOW)
    assert 'id="visit-abandoned">已终止：身份核验未通过' in (await client.get(f"/visits/{c.visit_id}")).text


async def test_the_credit_check_step_shows_the_authorisations_validity(client, demo, vault, settings):
    c = await ctx_for(vault, settings, await family(vault, spouse_seq=None))
    await start(c)
    await person(c)
    await photos(c)
    await authorise(c)
    await login(client)
    page = await client.get(f"/visits/{c.visit_id}")
    assert 'data-step="credit_check"' in page.text and "有效期至 2027-11-27" in page.text
