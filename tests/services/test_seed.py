from datetime import date

import pytest

from app.domain import idcard
from app.models import Bank, Branch, Household, HouseholdMember, LprPublication, Officer, Product, Village
from app.domain.vocabulary import Role
from app.services import business_date
from app.services.seed import seed_demo


async def test_seed_creates_the_demo_bank(demo, vault):
    assert await Branch.all().count() == 4  # the platform node, the head office, two sub-branches
    assert {o.role for o in await Officer.all()} == set(Role)
    assert sorted(await Product.all().values_list("name", flat=True)) == sorted(["便利贷", "公积金贷", "国网贷", "保单贷", "线上便利贷"])
    assert await Village.all().count() == 3
    assert await Household.all().count() == 9
    assert await business_date.current() == date(2026, 11, 27)
    five_year = await LprPublication.filter(tenor="5y", published_on=date(2024, 2, 20)).first()
    assert five_year.rate_ppm == 39500  # the 25 bp cut of 2024-02-20 (docs/domain-facts.md#lpr)


async def test_seed_puts_bank_one_under_the_platform_with_platform_staff(demo):
    platform = await Branch.get(code="PLATFORM")
    [bank] = await Bank.all()
    head = await Branch.get(id=bank.head_branch_id)
    assert (platform.level, platform.parent_id, platform.bank_id) == ("platform", None, None)
    assert (bank.name, bank.code, bank.contract_prefix, head.code, head.parent_id) == ("襄汾农商行", "14102301", "SX", "XF000", platform.id)
    assert set(await Branch.exclude(id=platform.id).values_list("bank_id", flat=True)) == {bank.id}
    assert set(await Product.all().values_list("bank_id", flat=True)) == {bank.id}
    staff = {o.username: o.role for o in await Officer.filter(branch_id=platform.id)}
    assert staff == {"platform_admin": Role.ADMIN, "platform_admin2": Role.ADMIN, "platform_auditor": Role.AUDITOR}


async def test_member_id_numbers_are_valid_encrypted_and_masked(demo, vault):
    members = await HouseholdMember.all()
    assert members
    for m in members:
        number = vault.decrypt(m.id_number_enc, context=b"id_number")
        info = idcard.parse(number)
        assert (info.birth_date, info.sex) == (m.birth_on, m.sex)
        assert m.id_number_masked == idcard.mask(number)
        assert number.encode() not in m.id_number_enc
        assert m.id_number_hash == vault.lookup_hash(number)


async def test_seed_is_idempotent(demo, vault, settings):
    again = await seed_demo(vault=vault, demo_password="x" * 12, today=date(2030, 1, 1), households_per_village=3)
    assert not any(getattr(again, f) for f in again.__dataclass_fields__)
    assert await HouseholdMember.all().count() == sum([await h.members.all().count() for h in await Household.all()])
    assert await business_date.current() == date(2026, 11, 27)


async def test_the_two_bank_demo_adds_yicheng_with_its_own_products_people_and_seal(demo, vault, settings, tmp_path):
    # given the one-bank demo; when seed-demo runs with the second bank and a sandbox seal maker
    from app.services.contracts.pki import issue_sandbox_seal, load_bank_seal
    from app.services.documents import MediaStore
    from app.wiring import signing_kit
    from tests.services.contracts.helpers import NOW

    pki = signing_kit(settings, media=MediaStore(settings.media_dir), now=NOW).pki
    made = await seed_demo(vault=vault, demo_password="x" * 12, today=date(2026, 11, 27), households_per_village=2, second_bank=True,
                           seal_maker=lambda code, name: issue_sandbox_seal(pki, directory=tmp_path / code, bank_name=name, now=NOW))
    assert (made.banks, made.branches, made.officers, made.villages, made.households, made.products) == (1, 2, 5, 2, 4, 3)
    # then 翼城农商行 hangs under the platform with its own tree, officers and villages
    xf, yc = await Bank.get(code="14102301"), await Bank.get(code="14102201")
    head = await Branch.get(id=yc.head_branch_id)
    assert (yc.name, yc.contract_prefix, head.code, head.parent_id) == ("翼城农商行", "YC", "YC000", (await Branch.get(code="PLATFORM")).id)
    assert set(await Branch.filter(code__startswith="YC").values_list("bank_id", flat=True)) == {yc.id}
    assert {o.username for o in await Officer.filter(branch__bank_id=yc.id)} == {"yc_officer", "yc_approver", "yc_manager", "yc_admin", "yc_auditor"}
    members = await HouseholdMember.filter(bank_id=yc.id)
    assert members and all(vault.decrypt(m.id_number_enc, context=b"id_number").startswith("141022") for m in members)
    # and the same product codes with other limits and spreads
    ours = {p.code: (p.max_principal_fen, p.default_spread_bp) for p in await Product.filter(bank_id=yc.id)}
    theirs = {p.code: (p.max_principal_fen, p.default_spread_bp) for p in await Product.filter(bank_id=xf.id)}
    assert set(ours) == {"BIANLI", "GJJ", "GUOWANG"} and all(ours[c] != theirs[c] for c in ours)
    # and its own sandbox seal, which loads; bank #1 keeps the installation's
    assert xf.seal_cert_path is None and yc.seal_cert_path == str(tmp_path / "14102201" / "seal.pem")
    assert "翼城农商行 合同专用章（沙箱）" in load_bank_seal(pki, tmp_path / "14102201" / "seal.pem", tmp_path / "14102201" / "seal.key").bank_cert.subject.rfc4514_string()
    # and its own strategy version applies to its customers, the platform default to bank #1's
    from app.models.risk import RuleSetVersion
    from app.services.risk.rulesets import active_ruleset
    from app.domain.vocabulary import RuleSetKind
    from app.services.actor import SYSTEM

    own, rules = await active_ruleset(actor=SYSTEM, kind=RuleSetKind.STRATEGY, bank_id=yc.id)
    assert (own.version, own.bank_id) == ("yc-strategy-2026.1", yc.id) and "18–55" in own.description
    default, _ = await active_ruleset(actor=SYSTEM, kind=RuleSetKind.STRATEGY, bank_id=xf.id)
    assert default.bank_id is None and default.version == "strategy-2026.1"
    assert await RuleSetVersion.filter(bank_id=yc.id).count() == 1
    # and a second run adds nothing
    again = await seed_demo(vault=vault, demo_password="x" * 12, today=date(2026, 11, 27), households_per_village=2, second_bank=True,
                            seal_maker=lambda code, name: pytest.fail("the seal is made once"))
    assert not any(getattr(again, f) for f in again.__dataclass_fields__)
