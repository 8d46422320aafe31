import re
from datetime import timedelta

from app.models import Appraisal, Approval, Objection, PanelMember, ReviewDecision, Vote
from app.services import business_date
from app.services.appraisal.common import link_token, load_rules
from app.services.appraisal.review import close_round
from tests.factories import csrf_token, login
from tests.factories.villages import NOW, TODAY, actor, households, open_appraisal, village, vote


def _link(page: str) -> str:
    return re.search(r'id="panel-member-[^"]+-link">([^<]+)<', page).group(1)


async def test_set_up_an_appraisal_through_the_pages(client, demo):
    await login(client)
    token = await csrf_token(client)
    xijie = await village()
    made = await client.post(f"/villages/{xijie.id}/appraisals", data={"csrf_token": token})
    appraisal = await Appraisal.get(village_id=xijie.id)
    assert made.status_code == 303 and made.headers["location"] == f"/appraisals/{appraisal.id}"
    again = await client.post(f"/villages/{xijie.id}/appraisals", data={"csrf_token": token})
    assert again.status_code == 422 and "已有一次未结束的评议" in again.text
    bad = await client.post(f"/appraisals/{appraisal.id}/panel", data={"role": "villager_rep", "name": "", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "请填写姓名" in bad.text and 'id="panel"' in bad.text and "<html" not in bad.text
    added = await client.post(f"/appraisals/{appraisal.id}/panel", data={"role": "village_cadre", "name": "李村长", "csrf_token": token})
    assert added.status_code == 303
    too_small = await client.post(f"/appraisals/{appraisal.id}/open", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert too_small.status_code == 422 and "至少需要 2 名成员" in too_small.text and 'id="appraisal-actions"' in too_small.text
    page = await client.get(f"/appraisals/{appraisal.id}")
    assert "李村长" in page.text and "/vote/" in _link(page.text)
    member = await PanelMember.get(appraisal_id=appraisal.id)
    assert _link(page.text).endswith(f"/vote/{member.id}/{link_token(client._transport.app.state.vault, member.id, member.link_nonce)}")


async def test_a_villager_votes_through_the_link_and_never_sees_other_votes(client, demo):
    appraisal, members = await open_appraisal()
    h1, h2, _ = await households()
    await vote(members[2], h1, grade="fair", amount="12345")  # officer1's vote
    vault = client._transport.app.state.vault
    url = f"/vote/{members[0].id}/{link_token(vault, members[0].id, members[0].link_nonce)}"
    page = await client.get(url)
    assert page.status_code == 200 and "李村长" in page.text and "提交本户评议" in page.text
    assert "12,345" not in page.text and "一般，建议" not in page.text
    token = re.search(r'name="csrf_token" value="([^"]+)"', page.text).group(1)
    cast = await client.post(url, data={"household_id": str(h1.id), "knows": "1", "grade": "excellent", "amount": "88000", "reasons": [], "csrf_token": token})
    assert cast.status_code == 303 and cast.headers["location"] == f"{url}#household-{h1.id}-ballot"
    again = await client.post(url, data={"household_id": str(h1.id), "knows": "1", "grade": "fair", "amount": "1", "csrf_token": token}, headers={"HX-Request": "true"})
    assert again.status_code == 422 and "不能修改或重复提交" in again.text and f'id="household-{h1.id}-ballot"' in again.text
    row = await client.post(url, data={"household_id": str(h2.id), "knows": "0", "csrf_token": token}, headers={"HX-Request": "true"})
    assert row.status_code == 200 and "不了解该户" in row.text and "<html" not in row.text
    votes = await Vote.filter(member_id=members[0].id).order_by("submitted_at")
    assert [(v.household_id, v.grade, v.suggested_amount_fen) for v in votes] == [(h1.id, "excellent", 8_800_000), (h2.id, None, None)]


async def test_a_bad_or_renewed_link_is_not_found(client, demo):
    _, members = await open_appraisal()
    assert (await client.get(f"/vote/{members[0].id}/not-the-token")).status_code == 404
    assert (await client.get("/vote/not-a-uuid/x")).status_code == 404


async def test_the_officers_ballot_and_voting_after_the_round_closed(client, demo):
    appraisal, members = await open_appraisal()
    h1 = (await households())[0]
    await vote(members[0], h1, grade="excellent", amount="77000")
    await login(client)
    token = await csrf_token(client)
    mine = await client.get("/ballots")
    assert f'id="appraisal-{appraisal.id}-seat"' in mine.text
    page = await client.get(f"/appraisals/{appraisal.id}/vote")
    assert page.status_code == 200 and "77,000" not in page.text and page.text.count("提交本户评议") == 3
    await close_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    late = await client.post(f"/appraisals/{appraisal.id}/vote", data={"household_id": str(h1.id), "knows": "1", "grade": "good", "csrf_token": token})
    assert late.status_code == 422 and "初评已结束，不能再提交评议" in late.text
    await login(client, username="manager")
    assert (await client.get(f"/appraisals/{appraisal.id}/vote")).status_code == 403


async def test_review_approval_publication_through_the_pages(client, demo):
    await business_date.set_current(TODAY)
    appraisal, members = await open_appraisal()
    h1, h2, h3 = await households()
    for m in members:
        await vote(m, h1, grade="good", amount="60000")
        await vote(m, h2, grade="good", amount="50000", reasons=["drugs"] if m is members[0] else ())
        await vote(m, h3, grade="fair", amount="20000")
    await login(client)
    token = await csrf_token(client)
    closed = await client.post(f"/appraisals/{appraisal.id}/close-round", data={"csrf_token": token})
    assert closed.status_code == 303
    review = await client.get(f"/appraisals/{appraisal.id}/review")
    assert review.status_code == 200 and "吸毒×1" in review.text and "有严重不予授信情形" in review.text
    over_cap = await client.post(f"/appraisals/{appraisal.id}/review/{h3.id}", data={"grade": "fair", "amount": "90000", "csrf_token": token}, headers={"HX-Request": "true"})
    assert over_cap.status_code == 422 and "超过该等级上限 50,000 元" in over_cap.text and 'id="review-form"' in over_cap.text
    reviewed = await client.post(f"/appraisals/{appraisal.id}/review/{h3.id}", data={"grade": "fair", "amount": "30000", "note": "走访核实", "csrf_token": token})
    assert reviewed.status_code == 303 and (await ReviewDecision.get(household_id=h3.id)).amount_fen == 3_000_000
    early = await client.post(f"/appraisals/{appraisal.id}/review/submit", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert early.status_code == 422 and "还有 2 户未复评" in early.text
    assert (await client.post(f"/appraisals/{appraisal.id}/review/accept-all", data={"csrf_token": token})).status_code == 303
    assert (await client.post(f"/appraisals/{appraisal.id}/review/submit", data={"csrf_token": token})).status_code == 303
    officer_view = await client.get(f"/appraisals/{appraisal.id}/approval")
    assert "只有审批人或支行行长可以审定" in officer_view.text and "确认审定" not in officer_view.text
    await login(client, username="approver")
    token = await csrf_token(client)
    bad = await client.post(f"/appraisals/{appraisal.id}/approval", data={f"amount_{h2.id}": "5000", "csrf_token": token}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "只能为 0" in bad.text and await Approval.all().count() == 0
    ok = await client.post(f"/appraisals/{appraisal.id}/approval", data={f"amount_{h1.id}": "55000", "csrf_token": token})
    assert ok.status_code == 303
    amounts = {a.household_id: a.pre_credit_amount_fen for a in await Approval.all()}
    assert amounts == {h1.id: 5_500_000, h2.id: 0, h3.id: 3_000_000}
    await login(client)
    token = await csrf_token(client)
    assert (await client.post(f"/appraisals/{appraisal.id}/publish", data={"csrf_token": token})).status_code == 303
    listing = await client.get(f"/appraisals/{appraisal.id}/publication")
    assert "¥55,000.00" in listing.text and (TODAY + timedelta(days=7)).isoformat() in listing.text
    missing = await client.post(f"/appraisals/{appraisal.id}/objections", data={"household_id": str(h2.id), "raised_by": "王五", "content": "", "csrf_token": token}, headers={"HX-Request": "true"})
    assert missing.status_code == 422 and "请填写异议内容" in missing.text and 'id="objection-form"' in missing.text
    filed = await client.post(f"/appraisals/{appraisal.id}/objections", data={"household_id": str(h2.id), "raised_by": "王五", "content": "要求复核", "csrf_token": token})
    assert filed.status_code == 303 and await Objection.all().count() == 1
    too_early = await client.post(f"/appraisals/{appraisal.id}/close", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert too_early.status_code == 422 and "期满后才能结束" in too_early.text
    await login(client, username="approver")
    token = await csrf_token(client)
    objection = await Objection.first()
    resolved = await client.post(f"/objections/{objection.id}/resolve", data={"upheld": "0", "resolution": "经核实维持", "amount": "", "csrf_token": token})
    assert resolved.status_code == 303 and (await Objection.get(id=objection.id)).status == "dismissed"


async def test_zero_amounts_are_flagged_at_approval_and_never_published_as_declines(client, demo):
    # given 一般 capped at ¥0 by the rules (not a decline), and a panel that gave no amounts
    await business_date.set_current(TODAY)
    rules = load_rules(None)
    rules["grade_caps_yuan"] = {**rules["grade_caps_yuan"], "fair": 0}
    rules["grade_defaults_yuan"] = {**rules["grade_defaults_yuan"], "fair": 0}
    appraisal, members = await open_appraisal(rules=rules)
    h1, h2, h3 = await households()
    for m in members:
        await vote(m, h1, grade="good", amount="")
        await vote(m, h2, grade="excellent", amount="")
        await vote(m, h3, grade="fair", amount="")
    await login(client)
    token = await csrf_token(client)
    await close_round(actor=await actor("officer1"), appraisal_id=appraisal.id, now=NOW)
    assert (await client.post(f"/appraisals/{appraisal.id}/review/accept-all", data={"csrf_token": token})).status_code == 303
    assert (await client.post(f"/appraisals/{appraisal.id}/review/submit", data={"csrf_token": token})).status_code == 303
    await login(client, username="approver")
    token = await csrf_token(client)
    # the approval page proposes the grades' defaults and flags the ¥0 row
    page = await client.get(f"/appraisals/{appraisal.id}/approval")
    assert 'id="approval-zero-warning"' in page.text and "有 1 户未被评为不予授信，但建议额度为 ¥0" in page.text
    assert f'id="household-{h3.id}-zero"' in page.text and f'id="household-{h1.id}-zero"' not in page.text
    assert "¥50,000.00" in page.text and "¥100,000.00" in page.text
    # blank on the ¥0 row is refused; an explicit 0 declines it
    blank = await client.post(f"/appraisals/{appraisal.id}/approval", data={"csrf_token": token}, headers={"HX-Request": "true"})
    assert blank.status_code == 422 and "建议额度为 ¥0，请填写预授信额度" in blank.text and await Approval.all().count() == 0
    ok = await client.post(f"/appraisals/{appraisal.id}/approval", data={f"amount_{h3.id}": "0", "csrf_token": token})
    assert ok.status_code == 303
    await login(client)
    token = await csrf_token(client)
    assert (await client.post(f"/appraisals/{appraisal.id}/publish", data={"csrf_token": token})).status_code == 303
    listing = await client.get(f"/appraisals/{appraisal.id}/publication")
    rows = {hid: re.search(rf'id="household-{hid}-published">(.*?)</tr>', listing.text, re.S).group(1) for hid in (h1.id, h2.id, h3.id)}
    assert "较好" in rows[h1.id] and "¥50,000.00" in rows[h1.id] and "不予授信" not in rows[h1.id]
    assert "优秀" in rows[h2.id] and "¥100,000.00" in rows[h2.id] and "不予授信" not in rows[h2.id]
    assert "不予授信" in rows[h3.id] and "¥0.00" in rows[h3.id]
