"""Post-loan pages: the due list and monitoring by officer, a check (photos, the form with every error at once), the review."""

from app.domain.postloan import CheckStatus
from app.models import PostLoanCheck
from tests.factories import csrf_token, login
from tests.factories.postloan import jpeg, loan_with_check

FORM = {"lat": "35.8770", "lng": "111.4425", "accuracy": "12", "funds_use": "consistent", "household": "stable", "repayment": "sufficient",
        "guarantee": "none", "conclusion": "watch", "note": "家中有人生病"}


async def _logout(client):
    client.cookies.clear()


async def test_officer_sees_own_checks_and_others_get_404(client, demo, vault):
    customer, _, check = await loan_with_check(vault)
    await login(client)
    page = await client.get("/postloan")
    assert page.status_code == 200 and f'id="check-{check.id}-row"' in page.text and customer.name in page.text and "首次检查" in page.text
    assert 'id="postloan-officers"' not in page.text  # officers see their own list, not the table by officer
    detail = await client.get(f"/postloan/checks/{check.id}")
    assert detail.status_code == 200 and 'id="check-form"' in detail.text and "资金用途是否与约定一致" in detail.text and "data-geolocate" in detail.text
    await _logout(client)
    await login(client, "officer2")
    assert f'id="check-{check.id}-row"' not in (await client.get("/postloan")).text
    assert (await client.get(f"/postloan/checks/{check.id}")).status_code == 404


async def test_manager_sees_the_branch_by_officer(client, demo, vault):
    _, _, check = await loan_with_check(vault)
    await login(client, "manager")
    page = await client.get("/postloan")
    assert page.status_code == 200 and 'id="postloan-officers"' in page.text and "张建华" in page.text and f'id="check-{check.id}-row"' in page.text


async def test_submit_shows_every_error_at_once_then_303(client, demo, vault):
    _, _, check = await loan_with_check(vault)
    await login(client)
    token = await csrf_token(client)
    url = f"/postloan/checks/{check.id}"
    bad = await client.post(url, data={"csrf_token": token, "conclusion": "reclassify"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "<html" not in bad.text and 'id="check-form"' in bad.text
    for message in ("未取得位置", "请至少拍摄一张照片", "请选择资金用途是否与约定一致", "请选择家庭经营状况", "请选择还款能力", "请选择担保情况",
                    "建议调整分类时请选择建议的分类", "请填写检查说明"):
        assert message in bad.text, message
    assert (await PostLoanCheck.get(id=check.id)).status == CheckStatus.DUE
    photo = await client.post(f"{url}/photos", data={"csrf_token": token}, files={"photo": ("shop.jpg", jpeg(), "image/jpeg")})
    assert photo.status_code == 303
    ok = await client.post(url, data={**FORM, "csrf_token": token, "risk_signals": ["family_event"]})
    assert ok.status_code == 303 and ok.headers["location"] == url
    check = await PostLoanCheck.get(id=check.id)
    assert check.status == CheckStatus.SUBMITTED and check.answers["riskSignals"] == ["family_event"]
    page = await client.get(url)
    assert 'id="check-record"' in page.text and "家中有人生病" in page.text and 'id="review-form"' not in page.text


async def test_manager_returns_then_approves(client, demo, vault):
    _, _, check = await loan_with_check(vault)
    await login(client)
    token = await csrf_token(client)
    url = f"/postloan/checks/{check.id}"
    await client.post(f"{url}/photos", data={"csrf_token": token}, files={"photo": ("shop.jpg", jpeg(), "image/jpeg")})
    await client.post(url, data={**FORM, "csrf_token": token})
    await _logout(client)
    await login(client, "manager")
    token = await csrf_token(client)
    page = await client.get(url)
    assert 'id="review-form"' in page.text
    bad = await client.post(f"{url}/review", data={"csrf_token": token, "decision": "return"}, headers={"HX-Request": "true"})
    assert bad.status_code == 422 and "退回时请写明" in bad.text and "<html" not in bad.text
    approved = await client.post(f"{url}/review", data={"csrf_token": token, "decision": "approve", "review_note": "同意"})
    assert approved.status_code == 303
    done = await PostLoanCheck.get(id=check.id)
    assert done.status == CheckStatus.CONFIRMED and "warningId" in done.effects and done.record_document_id is not None
    assert "已复核" in (await client.get(url)).text
    archive = await client.get(f"/customers/{done.customer_id}/archive")
    assert archive.status_code == 200 and "贷后检查记录" in archive.text  # the confirmed record is in the e-archive


async def test_an_officer_may_not_post_a_review(client, demo, vault):
    _, _, check = await loan_with_check(vault)
    await login(client)
    token = await csrf_token(client)
    refused = await client.post(f"/postloan/checks/{check.id}/review", data={"csrf_token": token, "decision": "approve"})
    assert refused.status_code == 403 and "复核贷后检查" in refused.text


async def test_every_staff_role_opens_the_pages_without_an_action_it_may_not_take(client, demo, vault):
    _, _, check = await loan_with_check(vault)
    for who in ("approver", "admin", "auditor"):
        await _logout(client)
        await login(client, who)
        listing = await client.get("/postloan")
        page = await client.get(f"/postloan/checks/{check.id}")
        assert listing.status_code == 200 and page.status_code == 200, who
        assert 'id="check-form"' not in page.text and 'id="review-form"' not in page.text and 'id="check-photo-form"' not in page.text, who
