"""A second member bank for tests of what is per bank (needs `demo`: the platform and bank #1).

`second_bank()` makes 翼城农商行 through the real `create_bank` (as the platform admin), with its head
branch, one sub-branch, officers of every role (usernames `yc_officer`, `yc_approver`, `yc_manager`,
`yc_admin`, `yc_auditor`, demo password), one village of the sub-branch with its officer, and a copy of
bank #1's products (same codes and settings: change them in the test to tell the banks apart).
Idempotent: a second call returns the same bank.
"""

from __future__ import annotations

from dataclasses import dataclass

from app.config import get_settings
from app.domain.vocabulary import BankKind, BranchLevel, Role
from app.models import Bank, Branch, Officer, Product, Village
from app.services.actor import Actor
from app.services.auth import officers as auth
from app.services.auth.officers import hash_password
from app.services.org import create_bank

FIRST_BANK_CODE = "14102301"  # bank #1 of the demo (襄汾农商行)
SECOND_BANK_CODE = "14102201"  # 翼城
YC_HEAD, YC_BRANCH = "YC000", "YC010"
YC_VILLAGE = "141022100201"  # 翼城县唐兴镇东关村

# username, name, role, branch
YC_OFFICERS = [
    ("yc_officer", "郭小军", Role.OFFICER, YC_BRANCH),
    ("yc_approver", "杨秀兰", Role.APPROVER, YC_BRANCH),
    ("yc_manager", "吴志刚", Role.BRANCH_MANAGER, YC_BRANCH),
    ("yc_admin", "韩冬梅", Role.ADMIN, YC_HEAD),
    ("yc_auditor", "冯丽娟", Role.AUDITOR, YC_HEAD),
]


@dataclass
class SecondBank:
    bank: Bank
    head: Branch
    branch: Branch
    officers: dict[str, Officer]  # by username
    village: Village

    async def actor(self, username: str = "yc_officer") -> Actor:
        return await auth.actor_for(self.officers[username])

    async def product(self, code: str = "BIANLI") -> Product:
        return await Product.get(bank_id=self.bank.id, code=code)


async def first_bank() -> Bank:
    return await Bank.get(code=FIRST_BANK_CODE)


async def second_bank(*, code: str = SECOND_BANK_CODE) -> SecondBank:
    bank = await Bank.get_or_none(code=code)
    if bank is None:
        platform_admin = await auth.actor_for(await Officer.get(username="platform_admin"))
        bank = await create_bank(
            actor=platform_admin, code=code, name="翼城农商行", legal_name="山西翼城农村商业银行股份有限公司",
            kind=BankKind.RURAL_COMMERCIAL, address="山西省临汾市翼城县唐兴镇", legal_representative="段建民",
            contract_prefix="YC", head_branch_code=YC_HEAD, products_from=FIRST_BANK_CODE,
        )
    head = await Branch.get(id=bank.head_branch_id)
    branch, _ = await Branch.get_or_create(
        code=YC_BRANCH, defaults={"name": "翼城农商行唐兴支行", "level": BranchLevel.BRANCH, "parent_id": head.id, "bank_id": bank.id},
    )
    branches = {YC_HEAD: head, YC_BRANCH: branch}
    password_hash = hash_password(get_settings().demo_password.get_secret_value())
    officers = {}
    for username, name, role, at in YC_OFFICERS:
        officers[username], _ = await Officer.get_or_create(
            username=username, defaults={"display_name": name, "role": role, "branch": branches[at], "password_hash": password_hash},
        )
    village, _ = await Village.get_or_create(
        division_code=YC_VILLAGE,
        defaults={"name": "东关村", "town": "唐兴镇", "county": "翼城县", "branch": branch, "officer": officers["yc_officer"],
                  "centroid_lat": 35.7386, "centroid_lng": 111.7181},
    )
    return SecondBank(bank=bank, head=head, branch=branch, officers=officers, village=village)


async def move_branch_to(second: SecondBank, code: str = "XF020") -> list:
    """Re-hang bank #1's branch `code` (with its descendants) under the second bank's head: what is recorded there
    (villages, households, customers, lines, loans, visits, warnings, tasks, appraisals) becomes the second bank's,
    lines, loans and appraisals on its copy of their products. Lets a test build data with the usual factories,
    then split it between two banks. The moved branches' ids."""
    from app.models import Appraisal, CreditLine, Customer, Loan

    ids, frontier = [], [(await Branch.get(code=code)).id]
    while frontier:
        ids += frontier
        frontier = list(await Branch.filter(parent_id__in=frontier).values_list("id", flat=True))
    await Branch.filter(code=code).update(parent_id=second.head.id)
    await Branch.filter(id__in=ids).update(bank_id=second.bank.id)
    await Customer.filter(branch_id__in=ids).update(bank_id=second.bank.id)
    ours = {p.code: p.id for p in await Product.filter(bank_id=second.bank.id)}
    theirs = {p.id: p.code for p in await Product.exclude(bank_id=second.bank.id)}
    for model, scope in ((CreditLine, {"branch_id__in": ids}), (Loan, {"branch_id__in": ids}), (Appraisal, {"village__branch_id__in": ids})):
        for row_id, product_id in await model.filter(**scope).values_list("id", "product_id"):
            if product_id in theirs:
                await model.filter(id=row_id).update(product_id=ours[theirs[product_id]])
    return ids
