"""One rule for missing and refused objects on the PAD (ui/common.py): the 404 and 403 pages."""

import uuid

import pytest

from tests.factories import login

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
    assert "<h1>无权操作</h1>" in response.text and "<h1>未找到</h1>" not in response.text
