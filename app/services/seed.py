"""Demo data for a newcomer's laptop and for tests: `cunxin seed-demo` (idempotent).

The platform (the city's rural-credit centre) with its auditor and admin, and bank #1: a county
rural commercial bank (襄汾农商行) with two sub-branches, three villages with households whose ID
numbers pass GB 11643, officers of every role with a known demo password, the bank's four products
and the LPR history. With `second_bank` (the CLI's default) also bank #2, 翼城农商行 (institution code
14102201: the sandbox core's cards starting 6230 open there), with its own branch, villages, officers
(`yc_*`), three products under the same codes with other limits and spreads, its own strategy version
(yc-strategy-2026.1: admission up to 55 years) and its own sandbox seal.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date
from pathlib import Path

from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import idcard
from app.domain.lpr import LPR_HISTORY
from app.models import Bank, Branch, Household, HouseholdMember, LprPublication, Officer, Product, RuleSetVersion, Village, VillageGroup
from app.domain.vocabulary import BankKind, BranchLevel, GuaranteeMethod, ProductKind, Relation, RepaymentMethod, Role, RuleSetKind
from app.services import audit, business_date
from app.services.actor import SYSTEM
from app.services.auth.officers import hash_password
from app.services.customers.identifiers import id_number_fields, phone_fields

COUNTY_CODE = "141023"  # 山西省临汾市襄汾县

PLATFORM_CODE = "PLATFORM"  # app.services.org.PLATFORM_CODE; the node migration 0022 creates
# bank #1 as migration 0022 makes it of today's data (code: CUNXIN_FIRST_BANK_CODE)
FIRST_BANK = {
    "name": "襄汾农商行", "legal_name": "山西襄汾农村商业银行股份有限公司", "kind": BankKind.RURAL_COMMERCIAL,
    "address": "山西省临汾市襄汾县新城镇", "legal_representative": "", "contract_prefix": "SX",
}

BRANCHES = [
    ("XF000", "襄汾农商行", BranchLevel.HEAD, PLATFORM_CODE),
    ("XF010", "襄汾农商行新城支行", BranchLevel.BRANCH, "XF000"),
    ("XF020", "襄汾农商行汾城支行", BranchLevel.BRANCH, "XF000"),
]

# username, name, role, branch
OFFICERS = [
    ("officer1", "张建华", Role.OFFICER, "XF010"),
    ("officer2", "李卫东", Role.OFFICER, "XF020"),
    ("approver", "王淑芳", Role.APPROVER, "XF010"),
    ("hq_approver", "马建军", Role.APPROVER, "XF000"),  # 总行审批人: checks write-offs (docs/permissions.md rule 5a)
    ("manager", "赵国强", Role.BRANCH_MANAGER, "XF010"),
    ("admin", "刘志明", Role.ADMIN, "XF000"),
    ("auditor", "陈丽", Role.AUDITOR, "XF000"),
    # platform staff: read across banks, administer the platform, never a bank's business
    ("platform_admin", "孙立平", Role.ADMIN, PLATFORM_CODE),
    ("platform_admin2", "郑永刚", Role.ADMIN, PLATFORM_CODE),  # the second platform admin: checks the first one's platform default (双人复核)
    ("platform_auditor", "周慧敏", Role.AUDITOR, PLATFORM_CODE),
]

# division code, name, town, branch, officer, centroid
VILLAGES = [
    ("141023100201", "西街村", "新城镇", "XF010", "officer1", (35.8765, 111.4421)),
    ("141023100205", "南关村", "新城镇", "XF010", "officer1", (35.8652, 111.4468)),
    ("141023103210", "汾城村", "汾城镇", "XF020", "officer2", (35.9731, 111.3012)),
]

SURNAMES = "王李张刘陈杨赵黄周吴徐孙马胡郭何高林罗梁宋郑谢韩唐冯"
GIVEN = "建国秀英志强丽华卫东淑芳国庆红梅海军春花文明玉兰永红桂珍金生小燕德胜彩霞"


# the regulatory fields each demo product declares: 贷款用途, 担保方式, 涉农, 普惠
REGULATORY = {
    "BIANLI": ("农业生产经营", True, True), "GJJ": ("个人消费", False, False), "GUOWANG": ("个体工商户经营", False, True), "BAODAN": ("个人消费", False, False),
    "BIANLI_ONLINE": ("个人消费", False, False),
}


# business-purpose products whose loans may be renewed without repaying principal (无还本续贷)
RENEWABLE = frozenset({"BIANLI", "GUOWANG"})


def _product(code, name, desc, *, max_yuan, terms, methods, spread, kind=ProductKind.TERM, grades=None):
    purpose, agricultural, inclusive = REGULATORY[code]
    return {
        "loan_purpose": purpose, "guarantee_method": GuaranteeMethod.CREDIT, "is_agricultural": agricultural, "is_inclusive": inclusive,
        "renewable": code in RENEWABLE,
        "code": code,
        "name": name,
        "description": desc,
        "kind": kind,
        "min_principal_fen": 1_000_00,
        "max_principal_fen": max_yuan * 100,
        "min_term_months": terms[0],
        "max_term_months": terms[1],
        "allowed_methods": [m.value for m in methods],
        "default_spread_bp": spread,
        "spread_bp_by_grade": grades or {"excellent": spread - 50, "good": spread, "fair": spread + 50},
    }


ALL_METHODS = [RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL, RepaymentMethod.INTEREST_FIRST]
BIANLI_METHODS = [*ALL_METHODS, RepaymentMethod.REVOLVING]  # 随借随还 on the whole-village line
AMORTISING = [RepaymentMethod.EQUAL_INSTALLMENT, RepaymentMethod.EQUAL_PRINCIPAL]

PRODUCTS = [
    _product("BIANLI", "便利贷", "整村授信农户信用贷款，一次授信、随用随贷、循环使用", max_yuan=300_000, terms=(1, 36), methods=BIANLI_METHODS, spread=150),
    _product("GJJ", "公积金贷", "面向公积金缴存客户的线上信用消费贷款", max_yuan=500_000, terms=(6, 60), methods=AMORTISING, spread=80),
    _product("GUOWANG", "国网贷", "面向按时缴纳电费的经营户的线上经营贷款", max_yuan=300_000, terms=(3, 36), methods=ALL_METHODS, spread=120),
    _product("BAODAN", "保单贷", "以寿险保单缴费记录为依据的线上信用贷款", max_yuan=200_000, terms=(6, 36), methods=AMORTISING, spread=130),
    # 便利贷 online: for the bank's own borrowers, from the credit report and their repayment record here (consumer: the online cap applies)
    _product("BIANLI_ONLINE", "线上便利贷", "面向本行有良好还款记录客户的线上信用消费贷款，依据征信报告与本行还款记录审批", max_yuan=200_000, terms=(3, 36),
             methods=ALL_METHODS, spread=140),
]


# bank #2: 翼城农商行 (the sandbox core's BIN 6230 answers its code, docs/sandbox.md); tests.factories.banks uses the same names
SECOND_BANK = {
    "code": "14102201", "name": "翼城农商行", "legal_name": "山西翼城农村商业银行股份有限公司", "kind": BankKind.RURAL_COMMERCIAL,
    "address": "山西省临汾市翼城县唐兴镇", "legal_representative": "段建民", "contract_prefix": "YC",
}
SECOND_COUNTY_CODE = "141022"  # 山西省临汾市翼城县
SECOND_BRANCHES = [
    ("YC000", "翼城农商行", BranchLevel.HEAD, PLATFORM_CODE),
    ("YC010", "翼城农商行唐兴支行", BranchLevel.BRANCH, "YC000"),
]
SECOND_OFFICERS = [
    ("yc_officer", "郭小军", Role.OFFICER, "YC010"),
    ("yc_approver", "杨秀兰", Role.APPROVER, "YC010"),
    ("yc_manager", "吴志刚", Role.BRANCH_MANAGER, "YC010"),
    ("yc_admin", "韩冬梅", Role.ADMIN, "YC000"),
    ("yc_auditor", "冯丽娟", Role.AUDITOR, "YC000"),
]
SECOND_VILLAGES = [
    ("141022100201", "东关村", "唐兴镇", "YC010", "yc_officer", (35.7386, 111.7181)),
    ("141022100204", "西关村", "唐兴镇", "YC010", "yc_officer", (35.7372, 111.7066)),
]
# the same product codes as bank #1, with this bank's own limits and spreads (no 保单贷)
SECOND_PRODUCTS = [
    _product("BIANLI", "便利贷", "整村授信农户信用贷款，一次授信、随用随贷、循环使用", max_yuan=200_000, terms=(1, 24), methods=BIANLI_METHODS, spread=180),
    _product("GJJ", "公积金贷", "面向公积金缴存客户的线上信用消费贷款", max_yuan=400_000, terms=(6, 48), methods=AMORTISING, spread=100),
    _product("GUOWANG", "国网贷", "面向按时缴纳电费的经营户的线上经营贷款", max_yuan=200_000, terms=(3, 24), methods=ALL_METHODS, spread=160),
]

# bank #2's own strategy version (replaces the platform default for its customers only): admission up to 55 years, not 60
SECOND_STRATEGY = ("version: strategy-2026.1", "version: yc-strategy-2026.1",
                   "description: 默认准入、反欺诈、额度与定价策略", "description: 翼城农商行准入、反欺诈、额度与定价策略（准入年龄 18–55 岁）",
                   "params: {min_age: 18, max_age: 60}", "params: {min_age: 18, max_age: 55}")

SealMaker = Callable[[str, str], tuple[Path, Path]]  # (bank code, bank name) -> (certificate, key) of a sandbox seal


@dataclass(frozen=True, slots=True)
class SeedReport:
    banks: int = 0
    branches: int = 0
    officers: int = 0
    villages: int = 0
    households: int = 0
    members: int = 0
    products: int = 0
    lpr_rows: int = 0


def _name(rng: random.Random, surname: str | None = None) -> str:
    return (surname or rng.choice(SURNAMES)) + "".join(rng.sample(GIVEN, rng.choice((1, 2))))


def _household_members(rng: random.Random, sequence: list[int], county_code: str = COUNTY_CODE) -> list[dict]:
    """A head, usually a spouse, and 0–2 adult children; ID sequence numbers are unique per birthday."""
    surname = rng.choice(SURNAMES)
    head_birth = date(rng.randint(1962, 1992), rng.randint(1, 12), rng.randint(1, 28))
    people = [(Relation.HEAD, _name(rng, surname), head_birth, 1)]
    if rng.random() < 0.85:
        spouse_birth = date(head_birth.year + rng.randint(-3, 3), rng.randint(1, 12), rng.randint(1, 28))
        people.append((Relation.SPOUSE, _name(rng), spouse_birth, 0))
    for _ in range(rng.choice((0, 1, 1, 2))):
        child_year = head_birth.year + rng.randint(22, 30)
        if child_year <= 2006:
            people.append((Relation.CHILD, _name(rng, surname), date(child_year, rng.randint(1, 12), rng.randint(1, 28)), rng.randint(0, 1)))
    members = []
    for relation, name, birth, parity in people:
        sequence[0] += 2
        seq = (sequence[0] % 998) // 2 * 2 + parity  # odd = male, even = female
        number = idcard.make_number(county_code, birth, seq)
        members.append({"relation": relation, "name": name, "birth": birth, "number": number, "phone": f"13{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"})
    return members


@dataclass(frozen=True, slots=True)
class _BankPlan:
    """What the demo seeds for one member bank."""

    bank: dict  # Bank fields (code included)
    branches: list
    officers: list
    villages: list
    products: list
    county_code: str
    county: str


async def seed_demo(
    *, vault: Vault, demo_password: str, today: date, households_per_village: int = 8,
    platform_name: str = "临汾市农信中心", first_bank_code: str = "14102301", second_bank: bool = False, seal_maker: SealMaker | None = None,
) -> SeedReport:
    """Create the platform and the demo bank (and with `second_bank` bank #2, sealed with `seal_maker`'s sandbox seal);
    existing rows (by their natural keys) are left as they are.

    platform_name, first_bank_code: CUNXIN_PLATFORM_NAME and CUNXIN_FIRST_BANK_CODE (as migration 0022 uses them).
    """
    rng = random.Random(20261129)
    counts = dict.fromkeys(SeedReport.__dataclass_fields__, 0)
    plans = [_BankPlan({"code": first_bank_code, **FIRST_BANK}, BRANCHES, OFFICERS, VILLAGES, PRODUCTS, COUNTY_CODE, "襄汾县")]
    if second_bank:
        plans.append(_BankPlan(SECOND_BANK, SECOND_BRANCHES, SECOND_OFFICERS, SECOND_VILLAGES, SECOND_PRODUCTS, SECOND_COUNTY_CODE, "翼城县"))
    async with in_transaction():
        platform, created = await Branch.get_or_create(
            code=PLATFORM_CODE, defaults={"name": platform_name, "level": BranchLevel.PLATFORM, "parent": None},
        )
        counts["branches"] += created
        password_hash = hash_password(demo_password)
        sequence = [100]
        for plan in plans:
            bank = await _seed_bank(plan, platform, vault, password_hash, rng, sequence, households_per_village, counts)
            if plan is not plans[0]:
                await _own_strategy(bank)
                if seal_maker is not None and not bank.seal_cert_path:
                    cert, key = seal_maker(bank.code, bank.name)
                    await Bank.filter(id=bank.id).update(seal_cert_path=str(cert), seal_key_path=str(key))
        for rate in LPR_HISTORY:
            _, created = await LprPublication.get_or_create(published_on=rate.published_on, tenor=rate.tenor, defaults={"rate_ppm": rate.rate_ppm})
            counts["lpr_rows"] += created
        await business_date.current(default=today)
        report = SeedReport(**counts)
        if any(counts.values()):
            await audit.record(SYSTEM, "demo.seed", "system", None, after=counts)
    return report


async def _own_strategy(bank: Bank) -> None:
    """Bank #2's own active strategy version: the shipped one with a narrower age window (loaded to check it)."""
    from app.services.risk.rulesets import load_kind, shipped_ruleset_text

    text = shipped_ruleset_text(RuleSetKind.STRATEGY)
    for old, new in zip(SECOND_STRATEGY[::2], SECOND_STRATEGY[1::2], strict=True):
        if old not in text:
            raise RuntimeError(f"the shipped strategy changed: {old!r} not found (update SECOND_STRATEGY)")
        text = text.replace(old, new)
    ruleset = load_kind(RuleSetKind.STRATEGY, text)
    await RuleSetVersion.get_or_create(
        bank_id=bank.id, version=ruleset.version,
        defaults={"kind": RuleSetKind.STRATEGY, "yaml_text": text, "description": ruleset.description[:256], "is_active": True},
    )


async def _seed_bank(
    plan: _BankPlan, platform: Branch, vault: Vault, password_hash: str, rng: random.Random, sequence: list[int], households_per_village: int, counts: dict,
) -> Bank:
    """One member bank: its branch tree under the platform, officers, villages with households, products."""
    branches, bank = {PLATFORM_CODE: platform}, None
    for code, name, level, parent in plan.branches:
        branch, created = await Branch.get_or_create(
            code=code, defaults={"name": name, "level": level, "parent": branches[parent], "bank_id": bank.id if bank else None},
        )
        branches[code] = branch
        counts["branches"] += created
        if level == BranchLevel.HEAD:
            bank, created = await Bank.get_or_create(head_branch_id=branch.id, defaults=dict(plan.bank))
            counts["banks"] += created
            if branch.bank_id != bank.id:
                await Branch.filter(id=branch.id).update(bank_id=bank.id)
    officers = {}
    for username, name, role, branch in plan.officers:
        officer, created = await Officer.get_or_create(
            username=username,
            defaults={"display_name": name, "role": role, "branch": branches[branch], "password_hash": password_hash},
        )
        officers[username] = officer
        counts["officers"] += created
    for code, name, town, branch, officer, (lat, lng) in plan.villages:
        village, created = await Village.get_or_create(
            division_code=code,
            defaults={"name": name, "town": town, "county": plan.county, "branch": branches[branch], "officer": officers[officer], "centroid_lat": lat, "centroid_lng": lng},
        )
        counts["villages"] += created
        groups = [(await VillageGroup.get_or_create(village=village, number=n, defaults={"name": f"第{n}村民小组"}))[0] for n in (1, 2, 3)]
        for h in range(1, households_per_village + 1):
            members = _household_members(rng, sequence, plan.county_code)
            household, created = await Household.get_or_create(
                village=village,
                household_no=f"{h:03d}",
                defaults={"group": groups[h % 3], "address": f"山西省临汾市{plan.county}{town}{name}{h}号"},
            )
            if not created:
                continue
            counts["households"] += 1
            for m in members:
                info = idcard.parse(m["number"])
                await HouseholdMember.create(
                    household=household, bank_id=bank.id, name=m["name"], relation=m["relation"], sex=info.sex, birth_on=info.birth_date,
                    **id_number_fields(vault, m["number"]), **phone_fields(vault, m["phone"]),
                )
                counts["members"] += 1
    for spec in plan.products:
        _, created = await Product.get_or_create(bank=bank, code=spec["code"], defaults={k: v for k, v in spec.items() if k != "code"})
        counts["products"] += created
    return bank
