"""Borrower sign-in for the mobile app: SMS code → bound device → access token + rotating refresh token.

- Codes: 6 digits, valid `code_ttl`, stored as an HMAC (keyed by the session key,
  so a database copy cannot be brute-forced offline); only the newest code of a
  phone counts; `max_attempts` wrong entries lock it. Rate limits per phone (per
  minute and per hour) and per IP (per hour) count every request, including those
  for phones of no customer — the answer never says whether a phone is a customer.
- Access token: `cxa1.<payload>.<signature>`, HMAC-SHA256 over the payload with a key
  derived from `Vault.session_key`; the payload names the customer, device and
  refresh family and expires after `access_ttl`. Each request also checks (one
  indexed query) that the family and the device are still live, so signing out
  everywhere or a replayed refresh token ends access at once, not in 15 minutes.
- Refresh token: random, stored as SHA-256, one use: using it returns a new pair in
  the same family; a second use of a used token (a replay: someone kept a copy)
  revokes the whole family.
Every failure is audited; none changes anything but the attempt counters.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import re
import secrets
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from uuid import UUID

from tortoise.expressions import F
from tortoise.transactions import in_transaction

from app.crypto import Vault, token_hash
from app.domain.error_codes import AuthCode, CommonCode, SmsCode
from app.domain.errors import DomainError, Forbidden, ValidationError
from app.integrations.sms import SmsError, SmsSender
from app.models import AuditEvent, Customer, CustomerDevice, LoginCode, RefreshToken
from app.domain.vocabulary import ActorType
from app.services import audit
from app.services.actor import Actor
from app.services.customers.identifiers import mask_phone

ACCESS_PREFIX = "cxa1."
REFRESH_PREFIX = "cxr1."
_PHONE = re.compile(r"^1[3-9]\d{9}$")
_CODE = re.compile(r"^\d{6}$")


class SignInError(DomainError):
    code = CommonCode.INVALID


@dataclass(frozen=True, slots=True)
class SignInPolicy:
    code_ttl: timedelta = timedelta(minutes=5)
    max_attempts: int = 5
    per_phone_minute: int = 1
    per_phone_hour: int = 5
    per_ip_hour: int = 20
    access_ttl: timedelta = timedelta(minutes=15)
    refresh_ttl: timedelta = timedelta(days=30)


@dataclass(frozen=True, slots=True)
class CodeRequest:
    phone_masked: str
    expires_at: datetime
    resend_after_seconds: int


@dataclass(frozen=True, slots=True)
class TokenPair:
    customer_id: UUID
    access_token: str
    access_expires_at: datetime
    refresh_token: str
    refresh_expires_at: datetime


@dataclass(frozen=True, slots=True)
class AccessClaims:
    customer_id: UUID
    device_id: UUID
    family_id: UUID
    expires_at: datetime


# --- keys, hashes, tokens -----------------------------------------------------------------------


def keyed_hash(vault: Vault, purpose: str, value: str) -> str:
    """HMAC-SHA256 with the session key, separated by purpose (codes, device ids)."""
    return hmac.new(vault.session_key, f"{purpose}\x00{value}".encode(), hashlib.sha256).hexdigest()


def new_code() -> str:
    return f"{secrets.randbelow(10**6):06d}"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode()


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def _signature(vault: Vault, body: str) -> str:
    return _b64(hmac.new(vault.session_key, b"borrower-access-v1\x00" + body.encode(), hashlib.sha256).digest())


def sign_access_token(vault: Vault, claims: AccessClaims, *, issued_at: datetime) -> str:
    payload = {
        "sub": str(claims.customer_id),
        "dev": str(claims.device_id),
        "fam": str(claims.family_id),
        "iat": int(issued_at.timestamp()),
        "exp": int(claims.expires_at.timestamp()),
    }
    body = _b64(json.dumps(payload, separators=(",", ":"), sort_keys=True).encode())
    return f"{ACCESS_PREFIX}{body}.{_signature(vault, body)}"


def read_access_token(vault: Vault, token: str, *, now: datetime) -> AccessClaims | None:
    """The claims of a well-signed, unexpired access token; None for anything else."""
    if not token.startswith(ACCESS_PREFIX):
        return None
    body, _, signature = token[len(ACCESS_PREFIX) :].partition(".")
    if not body or not signature or not hmac.compare_digest(signature, _signature(vault, body)):
        return None
    try:
        payload = json.loads(_unb64(body))
        claims = AccessClaims(
            customer_id=UUID(payload["sub"]),
            device_id=UUID(payload["dev"]),
            family_id=UUID(payload["fam"]),
            expires_at=datetime.fromtimestamp(int(payload["exp"]), UTC),
        )
    except (ValueError, KeyError, TypeError):
        return None
    return claims if claims.expires_at > now else None


def is_access_token(token: str) -> bool:
    return token.startswith(ACCESS_PREFIX)


def customer_actor(customer_id: UUID | None, *, request_id: str = "", ip: str = "", records: frozenset[UUID] = frozenset()) -> Actor:
    return Actor(type=ActorType.CUSTOMER, id=customer_id, customer_ids=records, request_id=request_id, ip=ip[:64])


async def person_records(customer_id: UUID) -> frozenset[UUID]:
    """The customer records of the same person (same ID number) at every member bank, this one included."""
    id_hash = await Customer.filter(id=customer_id).first().values_list("id_number_hash", flat=True)
    if id_hash is None:
        return frozenset({customer_id})
    return frozenset(await Customer.filter(id_number_hash=id_hash).values_list("id", flat=True))


async def accounts_for_phone(phone_hash: str) -> list[UUID]:
    """The app accounts of a phone: one per person (ID number) whose records carry it, the person's first record.

    Two banks serving one person hold two records with the same phone: still one account (one sign-in)."""
    rows = await Customer.filter(phone_hash=phone_hash).order_by("created_at", "id").limit(20).values_list("id", "id_number_hash")
    first: dict[str, UUID] = {}
    for customer_id, id_hash in rows:
        first.setdefault(id_hash, customer_id)
    return list(first.values())[:2]


async def resolve_access_token(token: str, *, vault: Vault, now: datetime, request_id: str = "", ip: str = "") -> Actor | None:
    """The customer behind a live access token (signature, expiry, family and device not revoked)."""
    claims = read_access_token(vault, token, now=now)
    if claims is None:
        return None
    live = await RefreshToken.filter(
        family_id=claims.family_id,
        customer_id=claims.customer_id,
        device_id=claims.device_id,
        revoked_at__isnull=True,
        used_at__isnull=True,
        device__revoked_at__isnull=True,
    ).exists()
    if not live:
        return None
    return customer_actor(claims.customer_id, request_id=request_id, ip=ip, records=await person_records(claims.customer_id))


# --- codes --------------------------------------------------------------------------------------


def check_phone(phone: str) -> str:
    phone = (phone or "").strip().replace(" ", "")
    if phone.startswith("+86"):
        phone = phone[3:]
    if not _PHONE.match(phone):
        raise ValidationError("请输入 11 位手机号码", code=AuthCode.INVALID_PHONE, field="phone")
    return phone


async def _count_since(since: datetime, **filters) -> tuple[int, datetime | None]:
    rows = await LoginCode.filter(requested_at__gt=since, **filters).order_by("requested_at").values_list("requested_at", flat=True)
    return len(rows), (rows[0] if rows else None)


async def _rate_limit(phone_hash: str, ip: str, now: datetime, policy: SignInPolicy) -> tuple[str, int] | None:
    """(which limit, seconds to wait) when a new code would break a limit."""
    windows = [("phone_minute", timedelta(minutes=1), policy.per_phone_minute, {"phone_hash": phone_hash}),
               ("phone_hour", timedelta(hours=1), policy.per_phone_hour, {"phone_hash": phone_hash})]
    if ip:
        windows.append(("ip_hour", timedelta(hours=1), policy.per_ip_hour, {"requested_ip": ip[:64]}))
    for name, window, limit, filters in windows:
        count, oldest = await _count_since(now - window, **filters)
        if count >= limit:
            wait = (oldest + window - now).total_seconds() if oldest else window.total_seconds()
            return name, max(1, math.ceil(wait))
    return None


def _wait_text(seconds: int) -> str:
    return f"{seconds} 秒" if seconds < 120 else f"{math.ceil(seconds / 60)} 分钟"


async def request_code(
    *, phone: str, ip: str, now: datetime, vault: Vault, sms: SmsSender, policy: SignInPolicy, request_id: str = ""
) -> CodeRequest:
    """Send a sign-in code to the phone if it belongs to a customer; the answer is the same either way."""
    phone = check_phone(phone)
    phone_hash = vault.lookup_hash(phone)
    anonymous = customer_actor(None, request_id=request_id, ip=ip)
    limited = await _rate_limit(phone_hash, ip, now, policy)
    if limited is not None:
        name, wait = limited
        await audit.record(anonymous, "borrower.code_rate_limited", "login_code", None, after={"phone": mask_phone(phone), "limit": name})
        raise SignInError(f"获取验证码过于频繁，请 {_wait_text(wait)}后再试", code=SmsCode.RATE_LIMITED, field="phone")
    customers = await accounts_for_phone(phone_hash)
    code = new_code()
    async with in_transaction():
        row = await LoginCode.create(
            phone_hash=phone_hash, code_hash=keyed_hash(vault, "login-code", f"{phone_hash}:{code}"),
            customer_id=customers[0] if len(customers) == 1 else None, requested_at=now, requested_ip=ip[:64],
            expires_at=now + policy.code_ttl,
        )
        actor = customer_actor(customers[0] if len(customers) == 1 else None, request_id=request_id, ip=ip)
        await audit.record(actor, "borrower.code_request", "login_code", row.id, after={"phone": mask_phone(phone), "sent": bool(customers)})
    if customers:
        minutes = max(1, int(policy.code_ttl.total_seconds() // 60))
        text = f"【村信】您的登录验证码为 {code}，{minutes} 分钟内有效。请勿将验证码告诉他人。"
        try:
            await sms.send(phone=phone, text=text, code=code)
        except SmsError:
            await audit.record(anonymous, "borrower.code_not_sent", "login_code", row.id)
            raise SignInError("短信发送失败，请稍后重试", code=SmsCode.SMS_UNAVAILABLE, field="phone") from None
    return CodeRequest(phone_masked=mask_phone(phone), expires_at=row.expires_at, resend_after_seconds=60)


def _check_device(device_id: str) -> str:
    device_id = (device_id or "").strip()
    if not 8 <= len(device_id) <= 128 or not device_id.isascii():
        raise ValidationError("设备标识无效", code=AuthCode.INVALID_DEVICE, field="device_id")
    return device_id


async def _fail_code(row: LoginCode, actor: Actor, policy: SignInPolicy) -> SignInError:
    """Count a wrong code (atomically) and say how many tries are left."""
    await LoginCode.filter(id=row.id, attempts__lt=policy.max_attempts).update(attempts=F("attempts") + 1)
    attempts = (await LoginCode.get(id=row.id)).attempts
    left = max(0, policy.max_attempts - attempts)
    await audit.record(actor, "borrower.code_failed", "login_code", row.id, after={"attempts": attempts, "locked": left == 0})
    if left == 0:
        return SignInError("验证码错误次数过多，已失效，请重新获取验证码", code=SmsCode.CODE_LOCKED, field="code")
    return SignInError(f"验证码错误，还可尝试 {left} 次", code=SmsCode.BAD_CODE, field="code")


async def _issue(customer_id: UUID, device: CustomerDevice, family_id: UUID, *, now: datetime, vault: Vault, policy: SignInPolicy) -> TokenPair:
    refresh = REFRESH_PREFIX + secrets.token_urlsafe(32)
    row = await RefreshToken.create(
        family_id=family_id, token_hash=token_hash(refresh), customer_id=customer_id, device=device,
        issued_at=now, expires_at=now + policy.refresh_ttl,
    )
    access_expires = now + policy.access_ttl
    access = sign_access_token(vault, AccessClaims(customer_id, device.id, family_id, access_expires), issued_at=now)
    return TokenPair(customer_id, access, access_expires, refresh, row.expires_at)


async def verify_code(
    *, phone: str, code: str, device_id: str, device_label: str = "", ip: str, now: datetime, vault: Vault, policy: SignInPolicy, request_id: str = ""
) -> TokenPair:
    """Check the newest code of the phone; on success bind the device and open a token family."""
    phone = check_phone(phone)
    device_id = _check_device(device_id)
    code = (code or "").strip()
    phone_hash = vault.lookup_hash(phone)
    anonymous = customer_actor(None, request_id=request_id, ip=ip)
    row = await LoginCode.filter(phone_hash=phone_hash).order_by("-requested_at").first()
    if row is None or row.used_at is not None or row.expires_at <= now:
        await audit.record(anonymous, "borrower.code_failed", "login_code", row.id if row else None, after={"reason": "expired", "phone": mask_phone(phone)})
        raise SignInError("验证码已失效，请重新获取", code=SmsCode.CODE_EXPIRED, field="code")
    if row.attempts >= policy.max_attempts:
        await audit.record(anonymous, "borrower.code_failed", "login_code", row.id, after={"reason": "locked"})
        raise SignInError("验证码错误次数过多，已失效，请重新获取验证码", code=SmsCode.CODE_LOCKED, field="code")
    expected = keyed_hash(vault, "login-code", f"{phone_hash}:{code}")
    customers = await accounts_for_phone(phone_hash)
    if not _CODE.match(code) or not hmac.compare_digest(row.code_hash, expected) or not customers:
        raise await _fail_code(row, anonymous, policy)
    if len(customers) > 1:
        await LoginCode.filter(id=row.id).update(used_at=now)
        await audit.record(anonymous, "borrower.sign_in_refused", "login_code", row.id, after={"reason": "phone_shared"})
        raise SignInError("该手机号登记在多位客户名下，无法登录，请联系客户经理", code=AuthCode.PHONE_AMBIGUOUS, field="phone")
    customer_id = customers[0]
    actor = customer_actor(customer_id, request_id=request_id, ip=ip)
    async with in_transaction():
        used = await LoginCode.filter(id=row.id, used_at__isnull=True, attempts__lt=policy.max_attempts).update(used_at=now)
        if used == 1:
            device_hash = keyed_hash(vault, "device", device_id)
            device = await CustomerDevice.get_or_none(customer_id=customer_id, device_hash=device_hash)
            if device is None:
                device = await CustomerDevice.create(customer_id=customer_id, device_hash=device_hash, label=device_label[:64], bound_at=now, last_seen_at=now)
            else:
                rebound = device.revoked_at is not None
                device.revoked_at, device.last_seen_at, device.label = None, now, device_label[:64] or device.label
                if rebound:
                    device.bound_at = now
                await device.save(update_fields=["revoked_at", "last_seen_at", "label", "bound_at"])
            pair = await _issue(customer_id, device, uuid.uuid4(), now=now, vault=vault, policy=policy)
            await audit.record(actor, "borrower.sign_in", "customer_device", device.id, after={"loginCode": str(row.id)})
    if used != 1:  # another request used (or locked) this code a moment ago
        await audit.record(anonymous, "borrower.code_failed", "login_code", row.id, after={"reason": "used"})
        raise SignInError("验证码已失效，请重新获取", code=SmsCode.CODE_EXPIRED, field="code")
    return pair


# --- refresh and sign-out -----------------------------------------------------------------------


async def _revoke_family(family_id: UUID, actor: Actor, action: str, now: datetime, **after) -> None:
    async with in_transaction():
        count = await RefreshToken.filter(family_id=family_id, revoked_at__isnull=True).update(revoked_at=now)
        await audit.record(actor, action, "refresh_token_family", family_id, after={"revoked": count, **after})


async def refresh_tokens(
    *, refresh_token: str, device_id: str, ip: str, now: datetime, vault: Vault, policy: SignInPolicy, request_id: str = ""
) -> TokenPair:
    """Rotate: a live refresh token gives a new pair; a used one revokes its family (replay)."""
    expired = SignInError("登录已失效，请重新登录", code=AuthCode.INVALID_TOKEN, field="refresh_token")
    row = None
    if (refresh_token or "").startswith(REFRESH_PREFIX):
        row = await RefreshToken.get_or_none(token_hash=token_hash(refresh_token)).prefetch_related("device")
    if row is None:
        await audit.record(customer_actor(None, request_id=request_id, ip=ip), "borrower.refresh_failed", "refresh_token", None, after={"reason": "unknown"})
        raise expired
    actor = customer_actor(row.customer_id, request_id=request_id, ip=ip)
    if row.revoked_at is not None:
        await audit.record(actor, "borrower.refresh_failed", "refresh_token", row.id, after={"reason": "revoked"})
        raise expired
    if row.used_at is not None:
        await _revoke_family(row.family_id, actor, "borrower.refresh_replayed", now, token=str(row.id))
        raise SignInError("登录凭证被重复使用，为保护账户安全已退出登录，请重新登录", code=AuthCode.TOKEN_REUSED, field="refresh_token")
    if row.expires_at <= now:
        await audit.record(actor, "borrower.refresh_failed", "refresh_token", row.id, after={"reason": "expired"})
        raise SignInError("登录已过期，请重新登录", code=AuthCode.TOKEN_EXPIRED, field="refresh_token")
    device = row.device
    if device.revoked_at is not None or not hmac.compare_digest(device.device_hash, keyed_hash(vault, "device", (device_id or "").strip())):
        await _revoke_family(row.family_id, actor, "borrower.refresh_wrong_device", now, token=str(row.id))
        raise expired
    async with in_transaction():
        moved = await RefreshToken.filter(id=row.id, used_at__isnull=True, revoked_at__isnull=True).update(used_at=now)
        if moved == 1:
            pair = await _issue(row.customer_id, device, row.family_id, now=now, vault=vault, policy=policy)
            await CustomerDevice.filter(id=device.id).update(last_seen_at=now)
            await audit.record(actor, "borrower.refresh", "refresh_token", row.id)
    if moved != 1:  # used concurrently: a replay
        await _revoke_family(row.family_id, actor, "borrower.refresh_replayed", now, token=str(row.id))
        raise SignInError("登录凭证被重复使用，为保护账户安全已退出登录，请重新登录", code=AuthCode.TOKEN_REUSED, field="refresh_token")
    return pair


async def sign_out_everywhere(*, actor: Actor, now: datetime) -> int:
    """Revoke every refresh token and device binding of the customer; returns the devices signed out."""
    if actor is None or actor.type != ActorType.CUSTOMER or actor.id is None:
        raise Forbidden("仅限借款客户本人操作")
    async with in_transaction():
        await RefreshToken.filter(customer_id=actor.id, revoked_at__isnull=True).update(revoked_at=now)
        devices = await CustomerDevice.filter(customer_id=actor.id, revoked_at__isnull=True).update(revoked_at=now)
        await audit.record(actor, "borrower.sign_out_everywhere", "customer", actor.id, after={"devices": devices})
    return devices


async def record_refused_document(*, actor: Actor | None, reason: str, document_hash: str, request_id: str = "", ip: str = "") -> AuditEvent:
    """A GraphQL document refused by the trusted-documents rule (production borrowers)."""
    who = actor or customer_actor(None, request_id=request_id, ip=ip)
    return await audit.record(who, "graphql.document_refused", "graphql_document", document_hash[:64] or None, after={"reason": reason})
