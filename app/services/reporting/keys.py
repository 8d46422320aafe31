"""Report API keys: made, listed and revoked by admins (audited); resolved on every reporting request.

A key is `rk_` + 43 random URL-safe characters, shown once; only its sha256 is kept.
A key acts as an `API_KEY` actor whose scope is its branch and the branches below it.
Keys are read-only: the GraphQL schema refuses every mutation for them
(app/api/reporting/readonly.py) and `IsSignedIn` does not accept them.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from tortoise.transactions import in_transaction

from app.crypto import token_hash
from app.domain.error_codes import AuthCode
from app.domain.errors import Forbidden, NotFound, ValidationError
from app.domain.permissions import Action
from app.models import Branch, ReportKey
from app.domain.vocabulary import ActorType
from app.services import audit
from app.services.actor import Actor
from app.services.permissions import require
from app.services.auth.officers import scope_and_bank

KEY_PREFIX = "rk_"
PREFIX_LENGTH = 10  # what lists show: "rk_" and 7 characters
TOUCH_EVERY = timedelta(minutes=1)  # last_used_at is written at most this often per key
MAX_NAME = 64


@dataclass(frozen=True, slots=True)
class NewReportKey:
    key: ReportKey
    token: str  # the only time the key is seen whole


def is_report_key(token: str) -> bool:
    return token.startswith(KEY_PREFIX)


def _require_admin(actor: Actor) -> None:
    require(actor, Action.REPORT_KEY_MANAGE)


def _officer_id(actor: Actor) -> UUID | None:
    return actor.id if actor.is_officer else None


async def create_report_key(*, actor: Actor, name: str, branch_code: str, pii: bool = False) -> NewReportKey:
    """A new key for `branch_code` and the branches below it; `pii`: the key reads customers unmasked (audited per read)."""
    _require_admin(actor)
    name = (name or "").strip()
    if not name or len(name) > MAX_NAME:
        raise ValidationError(f"请填写密钥名称（最多 {MAX_NAME} 字）", field="name")
    branch = await Branch.get_or_none(code=(branch_code or "").strip())
    if branch is None:
        raise NotFound(f"机构代码 {branch_code} 不存在", field="branch")
    if actor.is_officer and not actor.in_branch(branch.id):
        raise Forbidden("不能为辖外机构创建报表密钥", field="branch")
    token = KEY_PREFIX + secrets.token_urlsafe(32)
    async with in_transaction():
        key = await ReportKey.create(
            name=name, key_hash=token_hash(token), prefix=token[:PREFIX_LENGTH], branch=branch, created_by_id=_officer_id(actor),
            pii_scope=pii,
        )
        await audit.record(actor, "report_key.create", "report_key", key.id,
                           after={"name": name, "branch": branch.code, "prefix": key.prefix, "pii_scope": pii})
    return NewReportKey(key=key, token=token)


async def list_report_keys(*, actor: Actor, include_revoked: bool = False) -> list[ReportKey]:
    _require_admin(actor)
    query = ReportKey.all().prefetch_related("branch").order_by("-created_at", "id")
    if not include_revoked:
        query = query.filter(revoked_at__isnull=True)
    return list(await query)


async def _find(key_ref: str) -> ReportKey:
    """A key by its id or by its shown prefix (unique among keys)."""
    ref = (key_ref or "").strip()
    try:
        key = await ReportKey.get_or_none(id=UUID(ref))
    except ValueError:
        key = None
    if key is not None:
        return key
    rows = await ReportKey.filter(prefix=ref).limit(2) if ref else []
    if len(rows) != 1:
        raise NotFound("报表密钥不存在（请给出密钥 ID 或列表中显示的前缀）", field="key")
    return rows[0]


async def revoke_report_key(*, actor: Actor, key_ref: str, now: datetime) -> ReportKey:
    """Revoke a key (by id or prefix); revoking twice is refused. Requests with it fail from now on."""
    _require_admin(actor)
    key = await _find(key_ref)
    if key.revoked_at is not None:
        raise ValidationError("该报表密钥已吊销", code=AuthCode.ALREADY_REVOKED, field="key")
    async with in_transaction():
        updated = await ReportKey.filter(id=key.id, revoked_at__isnull=True).update(revoked_at=now, revoked_by_id=_officer_id(actor))
        if not updated:
            raise ValidationError("该报表密钥已吊销", code=AuthCode.ALREADY_REVOKED, field="key")
        await audit.record(actor, "report_key.revoke", "report_key", key.id, before={"revoked": False}, after={"revoked": True})
    return await ReportKey.get(id=key.id)


async def resolve_report_key(token: str, *, now: datetime, request_id: str = "", ip: str = "") -> Actor | None:
    """The key's actor, or None for an unknown or revoked key (the attempt is audited)."""
    key = await ReportKey.get_or_none(key_hash=token_hash(token))
    if key is None or key.revoked_at is not None:
        who = Actor(type=ActorType.API_KEY, id=key.id if key else None, request_id=request_id, ip=ip[:64])
        reason = "revoked" if key else "unknown"
        await audit.record(who, "report_key.rejected", "report_key", key.id if key else None, after={"reason": reason, "prefix": token[:PREFIX_LENGTH]})
        return None
    if key.last_used_at is None or now - key.last_used_at >= TOUCH_EVERY:
        await ReportKey.filter(id=key.id).update(last_used_at=now)
    scope, bank_id = await scope_and_bank(key.branch_id)
    return Actor(
        type=ActorType.API_KEY, id=key.id, branch_ids=scope, bank_id=bank_id, pii_scope=key.pii_scope, display_name=key.name, request_id=request_id, ip=ip[:64],
    )
