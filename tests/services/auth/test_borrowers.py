"""Borrower sign-in: codes, rate limits, lockout, tokens, rotation, replay, sign-out everywhere."""

from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import DomainError
from app.integrations.sms import SandboxSms
from app.models import AuditEvent, CustomerDevice, LoginCode, RefreshToken
from app.domain.vocabulary import ActorType
from app.services.auth import borrowers as borrower_auth
from app.services.auth.borrowers import SignInPolicy
from tests.factories.borrower import PHONE, borrower

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)
POLICY = SignInPolicy()
IP = "10.0.0.7"


@pytest.fixture
async def customer(demo, vault):
    customer, _ = await borrower(vault, checked=False)
    return customer


async def _request(vault, sms, *, phone=PHONE, now=NOW, ip=IP):
    return await borrower_auth.request_code(phone=phone, ip=ip, now=now, vault=vault, sms=sms, policy=POLICY)


async def _verify(vault, code, *, now=NOW, device="device-aaaa-0001", phone=PHONE):
    return await borrower_auth.verify_code(phone=phone, code=code, device_id=device, ip=IP, now=now, vault=vault, policy=POLICY)


async def _signed_in(vault, *, device="device-aaaa-0001", now=NOW):
    sms = SandboxSms()
    await _request(vault, sms, now=now)
    return await _verify(vault, sms.messages[-1].code, device=device, now=now)


def _wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_a_code_goes_by_sms_and_only_its_keyed_hash_is_stored(customer, vault):
    sms = SandboxSms()
    sent = await _request(vault, sms)
    assert sent.phone_masked == "138****0000" and sent.expires_at == NOW + timedelta(minutes=5)
    [message] = sms.messages
    assert message.phone == PHONE and len(message.code) == 6 and message.code in message.text
    row = await LoginCode.get()
    assert row.customer_id == customer.id and row.requested_ip == IP
    assert message.code not in row.code_hash and row.phone_hash == vault.lookup_hash(PHONE)
    assert sms.last_code(PHONE) is None  # not exposed unless built for dev/test


async def test_a_phone_of_no_customer_gets_the_same_answer_and_no_sms(customer, vault):
    sms = SandboxSms(expose_codes=True)
    sent = await _request(vault, sms, phone="13900000001")
    assert sent.phone_masked == "139****0001"
    assert list(sms.messages) == [] and sms.last_code("13900000001") is None
    assert (await LoginCode.get()).customer_id is None


async def test_a_malformed_phone_is_refused_and_nothing_is_stored(customer, vault):
    with pytest.raises(DomainError) as exc:
        await _request(vault, SandboxSms(), phone="1380000")
    assert (exc.value.code, exc.value.field) == ("INVALID_PHONE", "phone")
    assert await LoginCode.all().count() == 0


async def test_codes_are_limited_per_phone_per_minute_and_per_hour(customer, vault):
    sms = SandboxSms()
    await _request(vault, sms)
    with pytest.raises(DomainError) as exc:
        await _request(vault, sms, now=NOW + timedelta(seconds=30))
    assert exc.value.code == "RATE_LIMITED" and "30 秒" in exc.value.message
    for minute in range(1, 5):  # four more, a minute apart: five in the hour
        await _request(vault, sms, now=NOW + timedelta(minutes=minute, seconds=1))
    with pytest.raises(DomainError) as exc:
        await _request(vault, sms, now=NOW + timedelta(minutes=10))
    assert exc.value.code == "RATE_LIMITED" and "分钟" in exc.value.message
    assert len(sms.messages) == 5 and await LoginCode.all().count() == 5
    assert await AuditEvent.filter(action="borrower.code_rate_limited").count() == 2
    await _request(vault, sms, now=NOW + timedelta(hours=1, seconds=1))  # the oldest left the window
    assert len(sms.messages) == 6


async def test_codes_are_limited_per_ip(customer, vault):
    sms = SandboxSms()
    for i in range(20):  # twenty different phones from one address
        await _request(vault, sms, phone=f"139{i:08d}", now=NOW + timedelta(seconds=i))
    with pytest.raises(DomainError) as exc:
        await _request(vault, sms, now=NOW + timedelta(minutes=1))
    assert exc.value.code == "RATE_LIMITED"
    assert await LoginCode.filter(phone_hash=vault.lookup_hash(PHONE)).count() == 0
    await _request(vault, sms, ip="10.0.0.8", now=NOW + timedelta(minutes=1))  # another address is not limited
    assert sms.messages[-1].phone == PHONE


async def test_wrong_codes_lock_the_code_and_each_try_is_recorded(customer, vault):
    sms = SandboxSms()
    await _request(vault, sms)
    code = sms.messages[-1].code
    for left in (4, 3, 2, 1):
        with pytest.raises(DomainError) as exc:
            await _verify(vault, _wrong(code))
        assert (exc.value.code, exc.value.field) == ("BAD_CODE", "code") and f"还可尝试 {left} 次" in exc.value.message
    with pytest.raises(DomainError) as exc:
        await _verify(vault, _wrong(code))
    assert exc.value.code == "CODE_LOCKED"
    with pytest.raises(DomainError) as exc:  # the right code no longer helps
        await _verify(vault, code)
    assert exc.value.code == "CODE_LOCKED"
    assert (await LoginCode.get()).attempts == 5
    assert await AuditEvent.filter(action="borrower.code_failed").count() == 6
    assert await RefreshToken.all().count() == 0 and await CustomerDevice.all().count() == 0


async def test_an_expired_or_used_code_is_refused(customer, vault):
    sms = SandboxSms()
    await _request(vault, sms)
    code = sms.messages[-1].code
    with pytest.raises(DomainError) as exc:
        await _verify(vault, code, now=NOW + timedelta(minutes=5))
    assert exc.value.code == "CODE_EXPIRED"
    assert await RefreshToken.all().count() == 0
    assert [e.after["reason"] for e in await AuditEvent.filter(action="borrower.code_failed")] == ["expired"]
    await _verify(vault, code, now=NOW + timedelta(minutes=4))
    with pytest.raises(DomainError) as exc:
        await _verify(vault, code, now=NOW + timedelta(minutes=4))
    assert exc.value.code == "CODE_EXPIRED"
    assert await RefreshToken.all().count() == 1


async def test_a_right_code_for_a_phone_of_no_customer_is_a_wrong_code(customer, vault):
    sms = SandboxSms()
    await _request(vault, sms, phone="13900000001")
    row = await LoginCode.get()
    for guess in range(5):
        with pytest.raises(DomainError) as exc:
            await _verify(vault, f"{guess:06d}", phone="13900000001")
    assert exc.value.code == "CODE_LOCKED" and (await LoginCode.get(id=row.id)).attempts == 5
    assert await RefreshToken.all().count() == 0


async def test_sign_in_binds_the_device_and_the_access_token_names_the_customer(customer, vault):
    pair = await _signed_in(vault)
    device = await CustomerDevice.get()
    assert device.customer_id == customer.id and "device-aaaa-0001" not in device.device_hash
    assert pair.access_expires_at == NOW + timedelta(minutes=15) and pair.refresh_expires_at == NOW + timedelta(days=30)
    actor = await borrower_auth.resolve_access_token(pair.access_token, vault=vault, now=NOW + timedelta(minutes=14))
    assert actor is not None and (actor.type, actor.id) == (ActorType.CUSTOMER, customer.id)
    assert await borrower_auth.resolve_access_token(pair.access_token, vault=vault, now=NOW + timedelta(minutes=15)) is None
    body, signature = pair.access_token[5:].split(".")
    forged = f"cxa1.{body[:-2]}AA.{signature}"
    assert forged != pair.access_token
    assert await borrower_auth.resolve_access_token(forged, vault=vault, now=NOW) is None
    assert await AuditEvent.filter(action="borrower.sign_in", actor_id=str(customer.id)).count() == 1


async def test_refresh_rotates_and_a_replayed_token_revokes_the_whole_family(customer, vault):
    first = await _signed_in(vault)
    later = NOW + timedelta(minutes=20)
    second = await borrower_auth.refresh_tokens(refresh_token=first.refresh_token, device_id="device-aaaa-0001", ip=IP, now=later, vault=vault, policy=POLICY)
    assert second.refresh_token != first.refresh_token and second.customer_id == customer.id
    assert await borrower_auth.resolve_access_token(second.access_token, vault=vault, now=later) is not None
    # the first refresh token is used again: someone kept a copy
    with pytest.raises(DomainError) as exc:
        await borrower_auth.refresh_tokens(refresh_token=first.refresh_token, device_id="device-aaaa-0001", ip=IP, now=later, vault=vault, policy=POLICY)
    assert (exc.value.code, exc.value.field) == ("TOKEN_REUSED", "refresh_token")
    assert await RefreshToken.filter(revoked_at__isnull=True).count() == 0
    assert await borrower_auth.resolve_access_token(second.access_token, vault=vault, now=later) is None
    with pytest.raises(DomainError) as exc:
        await borrower_auth.refresh_tokens(refresh_token=second.refresh_token, device_id="device-aaaa-0001", ip=IP, now=later, vault=vault, policy=POLICY)
    assert exc.value.code == "INVALID_TOKEN"
    assert await AuditEvent.filter(action="borrower.refresh_replayed", actor_id=str(customer.id)).count() == 1


async def test_a_refresh_token_from_another_device_revokes_its_family(customer, vault):
    pair = await _signed_in(vault)
    with pytest.raises(DomainError) as exc:
        await borrower_auth.refresh_tokens(refresh_token=pair.refresh_token, device_id="someone-elses-phone", ip=IP, now=NOW, vault=vault, policy=POLICY)
    assert exc.value.code == "INVALID_TOKEN"
    assert await borrower_auth.resolve_access_token(pair.access_token, vault=vault, now=NOW) is None


async def test_an_expired_or_unknown_refresh_token_is_refused(customer, vault):
    pair = await _signed_in(vault)
    with pytest.raises(DomainError) as exc:
        await borrower_auth.refresh_tokens(refresh_token=pair.refresh_token, device_id="device-aaaa-0001", ip=IP, now=NOW + timedelta(days=30), vault=vault, policy=POLICY)
    assert exc.value.code == "TOKEN_EXPIRED"
    with pytest.raises(DomainError) as exc:
        await borrower_auth.refresh_tokens(refresh_token="cxr1.nothing", device_id="device-aaaa-0001", ip=IP, now=NOW, vault=vault, policy=POLICY)
    assert exc.value.code == "INVALID_TOKEN"
    assert await RefreshToken.all().count() == 1


async def test_sign_out_everywhere_ends_every_device_at_once(customer, vault):
    phone_a = await _signed_in(vault, device="device-aaaa-0001")
    phone_b = await _signed_in(vault, device="device-bbbb-0002", now=NOW + timedelta(minutes=2))
    actor = await borrower_auth.resolve_access_token(phone_a.access_token, vault=vault, now=NOW + timedelta(minutes=3))
    assert await borrower_auth.sign_out_everywhere(actor=actor, now=NOW + timedelta(minutes=3)) == 2
    for pair in (phone_a, phone_b):
        assert await borrower_auth.resolve_access_token(pair.access_token, vault=vault, now=NOW + timedelta(minutes=4)) is None
    with pytest.raises(DomainError) as exc:
        await borrower_auth.refresh_tokens(refresh_token=phone_b.refresh_token, device_id="device-bbbb-0002", ip=IP, now=NOW + timedelta(minutes=4), vault=vault, policy=POLICY)
    assert exc.value.code == "INVALID_TOKEN"
    # signing in again on a signed-out phone binds it again
    again = await _signed_in(vault, device="device-aaaa-0001", now=NOW + timedelta(minutes=5))
    assert await borrower_auth.resolve_access_token(again.access_token, vault=vault, now=NOW + timedelta(minutes=6)) is not None
    assert await CustomerDevice.filter(revoked_at__isnull=True).count() == 1
