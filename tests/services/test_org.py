"""The platform and its member banks: create_bank, the bank lookups, Actor.bank_id and platform staff."""

from __future__ import annotations

import pytest

from app.domain.errors import Forbidden, ValidationError
from app.domain.permissions import Action
from app.domain.vocabulary import BankKind, BranchLevel
from app.models import AuditEvent, Bank, Branch, Product, ReportKey
from app.services import org
from app.services.actor import SYSTEM
from app.services.auth.officers import actor_for
from app.services.permissions import require
from app.services.reporting.keys import resolve_report_key
from app.services.risk.common import institution_name
from tests.factories import officer
from tests.factories.banks import first_bank, second_bank

NEW_BANK = {
    "code": "14102901", "name": "洪洞农商行", "legal_name": "山西洪洞农村商业银行股份有限公司", "kind": BankKind.RURAL_COMMERCIAL,
    "address": "山西省临汾市洪洞县", "legal_representative": "郭明", "contract_prefix": "HT",
}


async def test_a_platform_admin_creates_a_bank_under_the_platform_with_copied_products(demo):
    # given the platform admin
    admin = await actor_for(await officer("platform_admin"))
    # when they add a bank copying bank #1's products
    bank = await org.create_bank(actor=admin, products_from="14102301", **NEW_BANK)
    # then the bank heads a new HEAD branch under the platform, carrying the bank
    head = await Branch.get(id=bank.head_branch_id)
    platform = await Branch.get(code="PLATFORM")
    assert (head.code, head.level, head.parent_id, head.bank_id, head.name) == ("B14102901", BranchLevel.HEAD, platform.id, bank.id, "洪洞农商行")
    assert (bank.legal_name, bank.contract_prefix, bank.seal_cert_path) == ("山西洪洞农村商业银行股份有限公司", "HT", None)
    # and has its own copy of every product (same codes, its own rows)
    first = await org.bank_by_code("14102301")
    theirs = {p.code: p for p in await Product.filter(bank_id=first.id)}
    ours = {p.code: p for p in await Product.filter(bank_id=bank.id)}
    assert set(ours) == set(theirs) == {"BIANLI", "BIANLI_ONLINE", "GJJ", "GUOWANG", "BAODAN"}
    assert all(ours[c].id != theirs[c].id and ours[c].max_principal_fen == theirs[c].max_principal_fen for c in ours)
    [event] = await AuditEvent.filter(action="bank.create")
    assert event.after["products_copied"] == sorted(ours)
    # and the lookups find it
    assert (await org.bank_of_branch(head.id)).id == bank.id
    assert await institution_name(head.id) == "洪洞农商行"
    assert [b.code for b in await org.banks_visible(await actor_for(await officer("platform_admin")))] == ["14102301", "14102901"]
    assert [b.code for b in await org.banks_visible(await actor_for(await officer("admin")))] == ["14102301"]


async def test_a_bank_admin_may_not_create_a_bank(demo):
    # given bank #1's own admin (role admin, but of a bank)
    admin = await actor_for(await officer("admin"))
    # when / then
    with pytest.raises(Forbidden) as refused:
        await org.create_bank(actor=admin, **NEW_BANK)
    assert refused.value.message == "只有平台管理员可以新建法人行"
    assert await Bank.all().count() == 1


async def test_platform_auditor_and_bank_staff_are_refused_bank_manage(demo):
    for username in ("platform_auditor", "officer1"):
        with pytest.raises(Forbidden):
            await org.create_bank(actor=await actor_for(await officer(username)), **NEW_BANK)
    assert await Bank.all().count() == 1


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"code": "14-10"}, "code", "机构代码应为 4–16 位数字"),
        ({"code": "14102301"}, "code", "机构代码 14102301 已被其他法人行使用"),
        ({"contract_prefix": "sx"}, "contract_prefix", "合同编号前缀 SX 已被其他法人行使用"),
        ({"contract_prefix": "1X"}, "contract_prefix", "合同编号前缀应为大写字母开头的字母数字，最长 16 位"),
        ({"name": " "}, "name", "请填写法人行简称（最长 64 字）"),
        ({"head_branch_code": "XF010"}, "head_branch_code", "机构号 XF010 已存在"),
        ({"products_from": "99999999"}, "products_from", "要复制产品的法人行 99999999 不存在"),
        ({"seal_cert_path": "/nonexistent/seal.pem"}, "seal_cert_path", "印章证书与私钥须同时提供（或都不提供，使用本系统的签章配置）"),
    ],
)
async def test_create_bank_refuses_invalid_or_duplicate_fields(demo, change, field, message):
    with pytest.raises(ValidationError) as refused:
        await org.create_bank(actor=SYSTEM, **{**NEW_BANK, **change})
    assert (refused.value.field, refused.value.message) == (field, message)
    assert await Bank.all().count() == 1
    assert not await Branch.exists(level=BranchLevel.HEAD, code__not="XF000")


async def test_actor_bank_is_the_branchs_bank_and_none_at_the_platform(demo):
    bank = await org.bank_by_code("14102301")
    assert (await actor_for(await officer("officer1"))).bank_id == bank.id
    assert (await actor_for(await officer("admin"))).bank_id == bank.id
    assert (await actor_for(await officer("platform_admin"))).bank_id is None
    assert (await actor_for(await officer("platform_auditor"))).bank_id is None
    # platform staff see every branch of every bank
    platform_scope = (await actor_for(await officer("platform_auditor"))).branch_ids
    assert platform_scope == set(await Branch.all().values_list("id", flat=True))


async def test_a_report_key_acts_for_its_branchs_bank_or_the_platform(demo, vault):
    from datetime import UTC, datetime

    from app.services.reporting import create_report_key

    now = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
    bank_key = await create_report_key(actor=SYSTEM, name="行内报表", branch_code="XF010")
    platform_key = await create_report_key(actor=SYSTEM, name="平台报表", branch_code="PLATFORM")
    bank = await org.bank_by_code("14102301")
    assert (await resolve_report_key(bank_key.token, now=now)).bank_id == bank.id
    assert (await resolve_report_key(platform_key.token, now=now)).bank_id is None
    assert await ReportKey.all().count() == 2


async def test_platform_staff_are_refused_a_banks_money_and_credit_actions(demo):
    # given the platform admin, whose role alone would allow census, collections and the outbox
    admin = await actor_for(await officer("platform_admin"))
    for action in (Action.CENSUS_MANAGE, Action.COLLECTION_RECORD, Action.OUTBOX_RESEND, Action.LIST_MANAGE):
        with pytest.raises(Forbidden) as refused:
            require(admin, action)
        assert refused.value.message == "平台人员不能办理法人行业务", action
    # while bank #1's admin may, and the platform admin still administers the platform and reads
    require(await actor_for(await officer("admin")), Action.CENSUS_MANAGE)
    require(admin, Action.BANK_MANAGE)
    require(admin, Action.REPORT_READ)


async def test_second_bank_factory_makes_a_bank_with_its_tree_officers_and_products(demo):
    # when
    yc = await second_bank()
    again = await second_bank()

    # then
    assert again.bank.id == yc.bank.id
    assert yc.head.bank_id == yc.branch.bank_id == yc.bank.id and yc.branch.parent_id == yc.head.id
    assert {(await yc.actor(u)).bank_id for u in yc.officers} == {yc.bank.id}
    assert (await yc.actor()).in_branch(yc.village.branch_id)
    first = await first_bank()
    assert await _codes(yc.bank) == await _codes(first) != []


def _codes(bank: Bank):
    return Product.filter(bank_id=bank.id).order_by("code").values_list("code", flat=True)


async def test_a_bank_admin_sets_its_own_authority_matrix_and_no_other_banks(demo):
    # given
    from app.domain.visit import Authority

    yc = await second_bank()
    first = await first_bank()
    default = Authority(officer_fen=10_000_000, approver_fen=30_000_000, branch_manager_fen=50_000_000)
    admin = await actor_for(await officer("admin"))
    # when 襄汾's admin sets 襄汾's matrix
    await org.set_bank_authority(actor=admin, bank_id=first.id, officer_fen=5_000_000, approver_fen=20_000_000, branch_manager_fen=40_000_000)
    # then it applies at 襄汾's branches only, and is audited
    xf010 = await Branch.get(code="XF010")
    assert await org.authority_of_branch(xf010.id, default) == Authority(5_000_000, 20_000_000, 40_000_000)
    assert await org.authority_of_branch(yc.branch.id, default) == default
    event = await AuditEvent.get(action="bank.authority", entity_id=str(first.id))
    assert event.before == {"authority": None} and event.after["authority"]["officer_fen"] == 5_000_000
    # and 襄汾's admin cannot set 翼城's; a platform admin can, and clearing it restores the platform's
    with pytest.raises(Forbidden):
        await org.set_bank_authority(actor=admin, bank_id=yc.bank.id, officer_fen=1, approver_fen=1, branch_manager_fen=1)
    platform_admin = await actor_for(await officer("platform_admin"))
    await org.set_bank_authority(actor=platform_admin, bank_id=first.id, officer_fen=None, approver_fen=None, branch_manager_fen=None)
    assert await org.authority_of_branch(xf010.id, default) == default


@pytest.mark.parametrize(("values", "field"), [
    ((5_000_000, None, 1), "officer_fen"),  # all three or none
    ((-1, 0, 0), "officer_fen"),
    ((30_000_000, 20_000_000, 40_000_000), "approver_fen"),  # officer above approver
])
async def test_a_bad_authority_matrix_is_refused_and_nothing_changes(demo, values, field):
    first = await first_bank()
    with pytest.raises(ValidationError) as err:
        await org.set_bank_authority(actor=await actor_for(await officer("admin")), bank_id=first.id, officer_fen=values[0], approver_fen=values[1],
                                     branch_manager_fen=values[2])
    assert err.value.field == field
    assert (await Bank.get(id=first.id)).authority is None


@pytest.mark.parametrize("username", ["officer1", "manager", "auditor", "platform_auditor"])
async def test_only_admins_set_an_authority_matrix(demo, username):
    first = await first_bank()
    with pytest.raises(Forbidden):
        await org.set_bank_authority(actor=await actor_for(await officer(username)), bank_id=first.id, officer_fen=1, approver_fen=1, branch_manager_fen=1)
    assert (await Bank.get(id=first.id)).authority is None
