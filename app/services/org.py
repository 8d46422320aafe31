"""The platform, its member banks and their branches; reading branches and officers within the actor's scope.

The platform is one `Branch` (level platform) above every bank's head branch; a `Bank` owns one branch
tree and every branch in it carries the bank's id (`Branch.bank_id`), so "which bank" is one lookup.
"""

from __future__ import annotations

import re
from pathlib import Path
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.error_codes import CommonCode
from app.domain.errors import Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.visit import Authority
from app.domain.vocabulary import ActorType, BankKind, BranchLevel, Role
from app.models import Bank, Branch, Loan, Officer, Product
from app.services import audit
from app.services.actor import Actor
from app.services.permissions import require

PLATFORM_CODE = "PLATFORM"
_BANK_CODE = re.compile(r"^\d{4,16}$")
_PREFIX = re.compile(r"^[A-Z][A-Z0-9]{0,15}$")
_BRANCH_CODE = re.compile(r"^[A-Z0-9]{2,16}$")


async def branches_visible(actor: Actor | None, ids: list[UUID]) -> dict[UUID, Branch]:
    if actor is None or not actor.is_officer:
        return {}
    allowed = [i for i in ids if actor.in_branch(i)]
    return {b.id: b for b in await Branch.filter(id__in=allowed)}


async def officers_visible(actor: Actor | None, ids: list[UUID]) -> dict[UUID, Officer]:
    if actor is None or not actor.is_officer:
        return {}
    rows = await Officer.filter(id__in=ids, branch_id__in=list(actor.branch_ids))
    return {o.id: o for o in rows}


async def branches_in_scope(actor: Actor | None) -> list[Branch]:
    """The branches of the actor's branch tree, by code (a report's branch filter)."""
    if actor is None or not actor.is_officer:
        return []
    return await Branch.filter(id__in=list(actor.branch_ids)).order_by("code")


async def active_staff_in_scope(actor: Actor | None) -> list[Officer]:
    """Active staff of the actor's branch tree who may sit on a panel (not auditors), by username."""
    if actor is None or not actor.is_officer:
        return []
    return await Officer.filter(branch_id__in=list(actor.branch_ids), is_active=True).exclude(role=Role.AUDITOR).order_by("username")


# --- banks ---------------------------------------------------------------------------------------


async def bank_id_of_branch(branch_id: UUID) -> UUID | None:
    """The bank whose tree the branch is in (None for the platform node or an unknown branch)."""
    return await Branch.filter(id=branch_id).first().values_list("bank_id", flat=True)


async def bank_id_of_loan(loan_id: UUID) -> UUID:
    """The bank that granted the loan (through the loan's branch)."""
    return await Loan.filter(id=loan_id).first().values_list("branch__bank_id", flat=True)


async def bank_ids() -> list[UUID]:
    """Every member bank, by code: the end-of-day books each bank's batch to its own books, one transaction per bank."""
    return list(await Bank.all().order_by("code").values_list("id", flat=True))


async def bank_of_branch(branch_id: UUID) -> Bank | None:
    bank_id = await bank_id_of_branch(branch_id)
    return await Bank.get_or_none(id=bank_id) if bank_id is not None else None


async def bank_by_code(code: str) -> Bank | None:
    """A member bank by its institution code (the code the core returns for a card)."""
    return await Bank.get_or_none(code=code.strip())


async def banks_visible(actor: Actor | None) -> list[Bank]:
    """The banks whose branches are in the actor's scope, by code: every bank for platform staff, one's own otherwise."""
    if actor is not None and actor.type == ActorType.SYSTEM:
        return await Bank.all().order_by("code")
    if actor is None or not actor.branch_ids:
        return []
    ids = await Branch.filter(id__in=list(actor.branch_ids), bank_id__not_isnull=True).distinct().values_list("bank_id", flat=True)
    return await Bank.filter(id__in=list(ids)).order_by("code")


async def platform_branch() -> Branch:
    branch = await Branch.get_or_none(level=BranchLevel.PLATFORM)
    if branch is None:
        raise NotFound("平台机构尚未建立（请先执行 cunxin migrate 或 cunxin seed-demo）", field="platform")
    return branch


async def create_bank(
    *, actor: Actor, code: str, name: str, legal_name: str, kind: BankKind | str, address: str, legal_representative: str,
    contract_prefix: str, head_branch_code: str | None = None, seal_cert_path: str | None = None, seal_key_path: str | None = None,
    products_from: str | None = None,
) -> Bank:
    """A new member bank: the Bank row and its HEAD branch under the platform, optionally with a copy of another bank's products.

    Platform admins only (BANK_MANAGE, and the actor must be platform staff: no bank of their own).
    `head_branch_code` defaults to "B" + the institution code.
    """
    require(actor, Action.BANK_MANAGE)
    if actor.bank_id is not None:
        raise Forbidden("只有平台管理员可以新建法人行", code=CommonCode.FORBIDDEN)
    code, name, legal_name, prefix = code.strip(), name.strip(), legal_name.strip(), contract_prefix.strip().upper()
    head_code = (head_branch_code or f"B{code}").strip().upper()
    errors = _bank_field_errors(code=code, name=name, legal_name=legal_name, prefix=prefix, head_code=head_code, address=address,
                                legal_representative=legal_representative, seal_cert_path=seal_cert_path, seal_key_path=seal_key_path)
    if not head_branch_code and "code" in errors:
        errors.pop("head_branch_code", None)  # derived from the wrong code: one message is enough
    if kind not in {k.value for k in BankKind}:
        errors["kind"] = "请选择法人行类型（农商行或农信联社）"
    else:
        kind = BankKind(kind)
    async with in_transaction():
        platform = await platform_branch()
        if "code" not in errors and await Bank.exists(code=code):
            errors["code"] = f"机构代码 {code} 已被其他法人行使用"
        if "contract_prefix" not in errors and await Bank.exists(contract_prefix=prefix):
            errors["contract_prefix"] = f"合同编号前缀 {prefix} 已被其他法人行使用"
        if "head_branch_code" not in errors and await Branch.exists(code=head_code):
            errors["head_branch_code"] = f"机构号 {head_code} 已存在"
        if errors:
            raise BankInvalid(errors)
        source = None
        if products_from:
            source = await Bank.get_or_none(code=products_from.strip())
            if source is None:
                raise ValidationError(f"要复制产品的法人行 {products_from} 不存在", field="products_from", code=CommonCode.NOT_FOUND)
        head = await Branch.create(code=head_code, name=name, level=BranchLevel.HEAD, parent_id=platform.id)
        bank = await Bank.create(
            code=code, name=name, legal_name=legal_name, kind=kind, address=address.strip(), legal_representative=legal_representative.strip(),
            contract_prefix=prefix, head_branch_id=head.id, seal_cert_path=seal_cert_path or None, seal_key_path=seal_key_path or None,
        )
        await Branch.filter(id=head.id).update(bank_id=bank.id)
        copied = await _copy_products(source.id, bank.id) if source else []
        await audit.record(
            actor, "bank.create", "bank", bank.id,
            after={"code": code, "name": name, "kind": kind.value, "contract_prefix": prefix, "head_branch": head_code, "products_copied": copied},
        )
    return bank


async def set_bank_seal(*, actor: Actor, bank_id: UUID, seal_cert_path: str | None, seal_key_path: str | None) -> Bank:
    """A bank's own seal certificate and key (PEM paths on the server), or both None for the installation's seal.

    Platform admins only, audited. Whether the pair can sign is checked when the bank's next contract is sealed
    (app/services/contracts: a clear refusal, nothing half-signed).
    """
    require(actor, Action.BANK_MANAGE)
    if actor.bank_id is not None:
        raise Forbidden("只有平台管理员可以设置法人行印章", code=CommonCode.FORBIDDEN)
    _check_seal_paths(seal_cert_path, seal_key_path)
    bank = await Bank.get_or_none(id=bank_id)
    if bank is None:
        raise NotFound("法人行不存在", field="bank_id")
    before = {"seal_cert_path": bank.seal_cert_path, "seal_key_path": bank.seal_key_path}
    async with in_transaction():
        await Bank.filter(id=bank.id).update(seal_cert_path=seal_cert_path or None, seal_key_path=seal_key_path or None)
        await audit.record(actor, "bank.seal", "bank", bank.id, before=before,
                           after={"seal_cert_path": seal_cert_path or None, "seal_key_path": seal_key_path or None})
    return await Bank.get(id=bank.id)


def _check_seal_paths(seal_cert_path: str | None, seal_key_path: str | None) -> None:
    if bool(seal_cert_path) != bool(seal_key_path):
        raise ValidationError("印章证书与私钥须同时提供（或都不提供，使用本系统的签章配置）", field="seal_cert_path")
    for field, path in (("seal_cert_path", seal_cert_path), ("seal_key_path", seal_key_path)):
        if path and not Path(path).is_file():
            raise ValidationError(f"文件不存在：{path}", field=field)


class BankInvalid(ValidationError):
    """Several fields of a new bank are wrong: `errors` maps each field to its message (all of them, at once)."""

    def __init__(self, errors: dict[str, str]) -> None:
        field_name = next(iter(errors))
        code = CommonCode.DUPLICATE if any("已被" in m or "已存在" in m for m in errors.values()) else None
        super().__init__("；".join(errors.values()), field=field_name, code=code)
        self.errors = errors


def _bank_field_errors(
    *, code: str, name: str, legal_name: str, prefix: str, head_code: str, address: str, legal_representative: str,
    seal_cert_path: str | None, seal_key_path: str | None,
) -> dict[str, str]:
    errors = {}
    if not _BANK_CODE.match(code):
        errors["code"] = "机构代码应为 4–16 位数字"
    if not name or len(name) > 64:
        errors["name"] = "请填写法人行简称（最长 64 字）"
    if not legal_name or len(legal_name) > 128:
        errors["legal_name"] = "请填写法人行全称（最长 128 字）"
    if not _PREFIX.match(prefix):
        errors["contract_prefix"] = "合同编号前缀应为大写字母开头的字母数字，最长 16 位"
    if not _BRANCH_CODE.match(head_code):
        errors["head_branch_code"] = "总行机构号应为 2–16 位大写字母或数字"
    if len(address.strip()) > 256:
        errors["address"] = "地址最长 256 字"
    if len(legal_representative.strip()) > 32:
        errors["legal_representative"] = "法定代表人姓名最长 32 字"
    try:
        _check_seal_paths(seal_cert_path, seal_key_path)
    except ValidationError as exc:
        errors[exc.field or "seal_cert_path"] = exc.message
    return errors


_NOT_COPIED = {"id", "bank_id", "created_at"}


async def _copy_products(source_bank_id: UUID, bank_id: UUID) -> list[str]:
    """Copies of the source bank's products (same codes and settings) for the new bank; their codes."""
    codes = []
    for product in await Product.filter(bank_id=source_bank_id).order_by("code"):
        values = {f: getattr(product, f) for f in product._meta.db_fields if f not in _NOT_COPIED}
        await Product.create(bank_id=bank_id, **values)
        codes.append(product.code)
    return codes


# --- the authority matrix (授信权限) per bank ------------------------------------------------------

_AUTHORITY_KEYS = ("officer_fen", "approver_fen", "branch_manager_fen")


async def authority_of_branch(branch_id: UUID, default: Authority) -> Authority:
    """The credit authority in force at the branch: its bank's own matrix, else `default` (the platform's settings)."""
    rows = await Branch.filter(id=branch_id).values_list("bank__authority", flat=True)
    return _authority(rows[0] if rows else None, default)


def _authority(stored: dict | None, default: Authority) -> Authority:
    if not stored:
        return default
    return Authority(**{k: int(stored[k]) for k in _AUTHORITY_KEYS})


async def set_bank_authority(
    *, actor: Actor, bank_id: UUID, officer_fen: int | None, approver_fen: int | None, branch_manager_fen: int | None,
) -> Bank:
    """Set the bank's own authority matrix (all three limits), or clear it (all None: the platform's settings apply again).

    The bank's admin for their own bank, a platform admin for any bank (BANK_MANAGE); audited with the matrix before and after.
    """
    require(actor, Action.BANK_MANAGE)
    if actor.bank_id is not None and actor.bank_id != bank_id:
        raise Forbidden("只能设置本行的授信权限", code=CommonCode.FORBIDDEN)
    values = (officer_fen, approver_fen, branch_manager_fen)
    if all(v is None for v in values):
        matrix = None
    elif any(v is None for v in values):
        raise ValidationError("请同时填写客户经理、审批人和支行行长的授信权限（或都不填，使用平台默认）", field="officer_fen")
    else:
        try:
            Authority(*values)  # type: ignore[arg-type]
        except ValueError:
            raise ValidationError("授信权限应为不小于 0 的金额", field="officer_fen") from None
        if not officer_fen <= approver_fen <= branch_manager_fen:  # type: ignore[operator]
            raise ValidationError("授信权限应逐级不减：客户经理 ≤ 审批人 ≤ 支行行长", field="approver_fen")
        matrix = dict(zip(_AUTHORITY_KEYS, values, strict=True))
    async with in_transaction():
        bank = await Bank.select_for_update().get_or_none(id=bank_id)
        if bank is None:
            raise NotFound("法人行不存在", field="bank_id")
        before = bank.authority
        await Bank.filter(id=bank.id).update(authority=matrix)
        bank.authority = matrix
        await audit.record(actor, "bank.authority", "bank", bank.id, before={"authority": before}, after={"authority": matrix})
    return bank
