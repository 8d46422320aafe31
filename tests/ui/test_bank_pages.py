"""/admin/banks: platform staff see every member bank; a platform admin adds one, with every wrong field shown at once."""

from app.models import AuditEvent, Bank
from tests.factories import csrf_token, login

FORM = {"code": "14102701", "name": "浮山农商行", "legal_name": "山西浮山农村商业银行股份有限公司", "kind": "rural_commercial",
        "address": "山西省临汾市浮山县天坛镇", "legal_representative": "贾建平", "contract_prefix": "FS", "head_branch_code": ""}


async def _as(client, username):
    client.cookies.clear()
    await login(client, username)
    return await csrf_token(client)


async def test_platform_admin_lists_and_adds_a_bank_and_sees_every_error_at_once(client, demo):
    token = await _as(client, "platform_admin")
    page = await client.get("/admin/banks")
    assert page.status_code == 200 and "襄汾农商行" in page.text and "山西襄汾农村商业银行股份有限公司" in page.text and 'id="bank-form"' in page.text
    # every wrong field at once, in Chinese, nothing created
    bad = await client.post("/admin/banks", data={**FORM, "code": "FS", "legal_name": "", "contract_prefix": "SX", "kind": "bank", "csrf_token": token})
    assert bad.status_code == 422
    for message in ("机构代码应为 4–16 位数字", "请填写法人行全称", "合同编号前缀 SX 已被其他法人行使用", "请选择法人行类型"):
        assert message in bad.text, message
    assert 'value="浮山农商行"' in bad.text and await Bank.all().count() == 1
    # a right form adds the bank under the platform, audited
    ok = await client.post("/admin/banks", data={**FORM, "csrf_token": token})
    assert ok.status_code == 303
    bank = await Bank.get(code="14102701")
    assert (bank.name, bank.contract_prefix, bank.legal_representative) == ("浮山农商行", "FS", "贾建平")
    assert await AuditEvent.filter(action="bank.create", entity_id=str(bank.id)).count() == 1
    assert "浮山农商行" in (await client.get("/admin/banks")).text


async def test_platform_auditor_reads_and_bank_staff_are_refused(client, demo):
    await _as(client, "platform_auditor")
    page = await client.get("/admin/banks")
    assert page.status_code == 200 and "襄汾农商行" in page.text and 'id="bank-form"' not in page.text
    token = await csrf_token(client)
    assert (await client.post("/admin/banks", data={**FORM, "csrf_token": token})).status_code == 403
    for username in ("admin", "officer1"):  # a bank's own admin does not administer the platform
        await _as(client, username)
        assert (await client.get("/admin/banks")).status_code == 403
    assert await Bank.all().count() == 1
