"""One rule for missing and refused objects on the PAD (ui/common.py): the 404 and 403 pages."""

import uuid

import pytest

from app.services import business_date
from tests.factories import csrf_token, login
from tests.factories.villages import TODAY, households, open_appraisal, vote

MALFORMED = ["/loans/not-a-uuid", "/visits/123", "/villages/x/households", "/appraisals/zz/review", "/identity/idcard/0000-1",
             "/customers/1234/archive", "/risk/warnings/abc", "/officers/nobody/day"]


@pytest.mark.parametrize("path", MALFORMED)
async def test_a_malformed_id_is_the_chinese_404_page(client, demo, path):
    await login(client)
    response = await client.get(path)
    assert response.status_code == 404
    assert "<h1>未找到</h1>" in response.text and "页面不存在或您无权查看。" in response.text


async def test_a_missing_object_is_the_404_page_with_the_service_message(client, demo):
    await login(client)
    response = await client.get(f"/loans/{uuid.uuid4()}")
    assert response.status_code == 404 and "<h1>未找到</h1>" in response.text and "借据不存在" in response.text
    line = await client.get(f"/lines/{uuid.uuid4()}")
    assert line.status_code == 404 and "额度不存在" in line.text


async def test_a_refusal_is_the_403_page_whatever_the_page(client, demo):
    """The dead-letter list refused an officer with the not-found page and status 403; now the one forbidden page."""
    await login(client)
    response = await client.get("/admin/outbox")
    assert response.status_code == 403
    assert "<h1>无权访问</h1>" in response.text and "<title>无权访问" in response.text and "未找到" not in response.text


async def test_the_approvals_link_only_for_who_can_open_it(client, demo):
    """/officers linked 待审批授信 for every role; an officer opening it got a 403 (issue 19 #8e)."""
    await login(client)
    page = await client.get("/officers")
    assert page.status_code == 200 and "待审批授信" not in page.text
    refused = await client.get("/approvals")
    assert refused.status_code == 403 and "<title>无权访问" in refused.text and "未找到" not in refused.text
    await login(client, username="manager")
    page = await client.get("/officers")
    assert 'id="approvals-link"' in page.text and (await client.get("/approvals")).status_code == 200


async def test_yuan_typed_into_a_form_is_parsed_by_the_page_with_a_chinese_message(client, demo):
    """The review form hands the service Money: a malformed amount is refused on the amount field, as before."""
    await business_date.set_current(TODAY)
    appraisal, members = await open_appraisal()
    h1, _, _ = await households()
    for m in members:
        await vote(m, h1, grade="good", amount="60000")
    await login(client)
    token = await csrf_token(client)
    assert (await client.post(f"/appraisals/{appraisal.id}/close-round", data={"csrf_token": token})).status_code == 303
    for text, message in (("12.345", "金额最多保留两位小数"), ("一万", "金额格式不正确"), ("-5", "金额不能为负数")):
        response = await client.post(f"/appraisals/{appraisal.id}/review/{h1.id}", data={"grade": "good", "amount": text, "csrf_token": token},
                                     headers={"HX-Request": "true"})
        assert response.status_code == 422 and message in response.text and 'id="review-form"' in response.text
