"""Officer authentication: passwords (argon2), sessions, branch scope.

A session token is random; only its sha256 is stored. The same message answers
an unknown user and a wrong password, and an unknown user costs the same hash
work, so a login page reveals nothing about who exists.
"""

from __future__ import annotations

import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from uuid import UUID

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from tortoise.transactions import in_transaction

from app.crypto import token_hash
from app.domain.error_codes import AuthCode, CommonCode
from app.domain.errors import DomainError, NotFound, ValidationError
from app.domain.permissions import Action
from app.models import Branch, Officer, OfficerSession
from app.domain.vocabulary import ActorType, Role
from app.services import audit
from app.services.auth import throttle
from app.services.actor import Actor
from app.services.permissions import require

BAD_CREDENTIALS = "用户名或密码错误"
THROTTLED = "登录尝试过于频繁，请稍后再试"

_hasher = PasswordHasher()
_DUMMY_HASH = _hasher.hash("not-a-real-password")


class LoginError(DomainError):
    code = AuthCode.BAD_CREDENTIALS


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def _password_ok(stored_hash: str, password: str) -> bool:
    try:
        return _hasher.verify(stored_hash, password)
    except (VerificationError, InvalidHashError):
        return False


@dataclass(frozen=True, slots=True)
class SessionInfo:
    session: OfficerSession
    officer: Officer
    actor: Actor


async def branch_scope(branch_id: UUID) -> frozenset[UUID]:
    """A branch and all branches below it (the branch tree is small: one query)."""
    return (await scope_and_bank(branch_id))[0]


async def scope_and_bank(branch_id: UUID) -> tuple[frozenset[UUID], UUID | None]:
    """The branch's scope (itself and all branches below it) and its bank (None at the platform), in one query."""
    rows = await Branch.all().values_list("id", "parent_id", "bank_id")
    children: dict[UUID, list[UUID]] = {}
    for bid, parent, _ in rows:
        if parent is not None:
            children.setdefault(parent, []).append(bid)
    scope, stack = set(), [branch_id]
    while stack:
        current = stack.pop()
        if current not in scope:
            scope.add(current)
            stack.extend(children.get(current, ()))
    bank_id = next((bank for bid, _, bank in rows if bid == branch_id), None)
    return frozenset(scope), bank_id


async def actor_for(officer: Officer, *, request_id: str = "", ip: str = "") -> Actor:
    scope, bank_id = await scope_and_bank(officer.branch_id)
    return Actor(
        type=ActorType.OFFICER,
        id=officer.id,
        role=officer.role,
        branch_ids=scope,
        bank_id=bank_id,
        display_name=officer.display_name,
        request_id=request_id,
        ip=ip,
    )


async def actor_by_username(username: str, *, request_id: str = "cli") -> Actor:
    """The named officer as an actor, for an operator acting as them on the server (`cunxin maker-checker --as`):
    their role, branch tree and bank, so the permission policy applies exactly as on the PAD. An unknown or
    deactivated officer is NOT_FOUND."""
    officer = await Officer.get_or_none(username=username.strip())
    if officer is None or not officer.is_active:
        raise NotFound(f"工作人员 {username.strip()} 不存在或已停用", field="username")
    return await actor_for(officer, request_id=request_id)


async def create_officer(
    *, actor: Actor, username: str, display_name: str, password: str, role: Role, branch_code: str
) -> Officer:
    require(actor, Action.OFFICER_MANAGE)
    username = username.strip()
    if not username or len(username) > 32 or not username.isascii() or not username.replace("_", "").isalnum():
        raise ValidationError("用户名只能包含字母、数字和下划线，最长 32 位", field="username")
    if len(password) < 10:
        raise ValidationError("密码至少 10 位", field="password")
    if not display_name.strip():
        raise ValidationError("请填写姓名", field="display_name")
    branch = await Branch.get_or_none(code=branch_code)
    if branch is None:
        raise ValidationError(f"机构代码 {branch_code} 不存在", field="branch", code=CommonCode.NOT_FOUND)
    async with in_transaction():
        if await Officer.exists(username=username):
            raise ValidationError("用户名已存在", field="username", code=CommonCode.DUPLICATE)
        officer = await Officer.create(
            username=username,
            display_name=display_name.strip(),
            password_hash=hash_password(password),
            role=role,
            branch=branch,
        )
        await audit.record(actor, "officer.create", "officer", officer.id, after={"username": username, "role": role.value})
    return officer


async def login(
    *, username: str, password: str, now: datetime, session_hours: int, ip: str = "", user_agent: str = "", request_id: str = ""
) -> tuple[str, SessionInfo]:
    """Check the password and open a session; return the raw token (shown once) and the session.

    Each attempt is claimed first (app/services/auth/throttle.py): while the address's or the
    account's delay runs, the password is not even checked.
    """
    officer = await Officer.get_or_none(username=username.strip()).prefetch_related("branch")
    if ip and await throttle.claim_address(ip, now=now) is None:
        raise LoginError(THROTTLED, code=AuthCode.THROTTLED, field="username")
    if officer is None or not officer.is_active:
        _password_ok(_DUMMY_HASH, password)
        raise LoginError(BAD_CREDENTIALS, field="password")
    failures = await throttle.claim_account(officer.id, now=now)
    if failures is None:
        raise LoginError(THROTTLED, code=AuthCode.THROTTLED, field="username")
    if not _password_ok(officer.password_hash, password):
        await audit.record(
            Actor(type=ActorType.SYSTEM, request_id=request_id, ip=ip),
            "officer.login_failed",
            "officer",
            officer.id,
            after={"failures": failures, "delayed": failures > throttle.ACCOUNT_FREE},
        )
        raise LoginError(BAD_CREDENTIALS, field="password")
    token = secrets.token_urlsafe(32)
    async with in_transaction():
        await throttle.account_succeeded(officer.id)
        if ip:
            await throttle.address_succeeded(ip)
        session = await OfficerSession.create(
            token_hash=token_hash(token),
            officer=officer,
            csrf_token=secrets.token_urlsafe(24),
            expires_at=now + timedelta(hours=session_hours),
            ip=ip[:64],
            user_agent=user_agent[:256],
        )
        actor = await actor_for(officer, request_id=request_id, ip=ip)
        await audit.record(actor, "officer.login", "officer_session", session.id)
    return token, SessionInfo(session=session, officer=officer, actor=actor)


async def resolve_session(token: str, *, now: datetime, request_id: str = "", ip: str = "") -> SessionInfo | None:
    if not token:
        return None
    session = (
        await OfficerSession.filter(token_hash=token_hash(token), revoked_at=None, expires_at__gt=now)
        .prefetch_related("officer__branch")
        .first()
    )
    if session is None or not session.officer.is_active:
        return None
    actor = await actor_for(session.officer, request_id=request_id, ip=ip)
    return SessionInfo(session=session, officer=session.officer, actor=actor)


async def logout(info: SessionInfo, *, now: datetime) -> None:
    async with in_transaction():
        await OfficerSession.filter(id=info.session.id, revoked_at=None).update(revoked_at=now)
        await audit.record(info.actor, "officer.logout", "officer_session", info.session.id)
