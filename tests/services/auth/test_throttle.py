"""Officer sign-in: the failure counter is claimed atomically, per account and per address (issue 12, fault 5)."""

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from app.models import AuditEvent, LoginIpThrottle, Officer, OfficerSession
from app.services.auth import officers as auth
from app.services.auth import throttle
from tests.factories import DEMO_PASSWORD

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


async def _attempt(password, *, username="officer1", ip="10.0.0.9", now=NOW):
    try:
        await auth.login(username=username, password=password, now=now, session_hours=12, ip=ip)
    except auth.LoginError as exc:
        return exc.code
    return "OK"


async def test_forty_concurrent_wrong_guesses_are_not_all_checked_and_the_right_password_cannot_slip_through(demo):
    codes = await asyncio.gather(*(_attempt(f"guess-{i}", ip=f"10.0.{i}.1") for i in range(40)))
    checked = codes.count("BAD_CREDENTIALS")
    assert checked == throttle.ACCOUNT_FREE + 1 and codes.count("THROTTLED") == 40 - checked
    assert await AuditEvent.filter(action="officer.login_failed").count() == checked
    officer = await Officer.get(username="officer1")
    assert officer.failed_logins == checked and officer.locked_until == NOW + timedelta(seconds=15)
    # the right password, racing more wrong guesses, while the delay runs: no session
    racing = await asyncio.gather(_attempt(DEMO_PASSWORD), *(_attempt("again", ip="10.1.0.1") for _ in range(5)))
    assert set(racing) == {"THROTTLED"}
    assert await OfficerSession.all().count() == 0


async def test_the_right_password_after_the_delay_resets_the_account(demo):
    await asyncio.gather(*(_attempt("wrong", ip=f"10.0.{i}.1") for i in range(10)))
    assert await _attempt(DEMO_PASSWORD, now=NOW + timedelta(seconds=15)) == "OK"
    assert (await Officer.get(username="officer1")).failed_logins == 0


async def test_one_address_guessing_at_many_accounts_is_slowed_and_other_addresses_are_not(demo):
    users = ["officer1", "officer2", "approver", "manager", "admin", "nobody"]
    codes = [await _attempt("wrong", username=users[i % len(users)], ip="203.0.113.7") for i in range(throttle.ADDRESS_FREE + 3)]
    assert codes[: throttle.ADDRESS_FREE + 1].count("THROTTLED") == 0
    assert codes[throttle.ADDRESS_FREE + 1:] == ["THROTTLED", "THROTTLED"]
    row = await LoginIpThrottle.get(ip="203.0.113.7")
    assert row.failures == throttle.ADDRESS_FREE + 1 and row.next_at == NOW + timedelta(seconds=10)
    assert await _attempt(DEMO_PASSWORD, username="officer2", ip="203.0.113.7") == "THROTTLED"
    assert await _attempt(DEMO_PASSWORD, username="officer2", ip="198.51.100.1") == "OK"  # another client signs in


async def test_an_address_forgets_old_failures_and_successes_do_not_count(demo):
    for _ in range(3):
        assert await _attempt(DEMO_PASSWORD, ip="192.0.2.1") == "OK"
    assert (await LoginIpThrottle.get(ip="192.0.2.1")).failures == 0  # an office behind one address signs in all morning
    for _ in range(throttle.ADDRESS_FREE):
        await _attempt("wrong", username="nobody", ip="192.0.2.1")
    later = NOW + throttle.ADDRESS_WINDOW + timedelta(minutes=1)
    assert await _attempt("wrong", username="nobody", ip="192.0.2.1", now=later) == "BAD_CREDENTIALS"
    assert (await LoginIpThrottle.get(ip="192.0.2.1")).failures == 1


@pytest.mark.postgres
async def test_on_postgresql_concurrent_guesses_on_separate_connections_cannot_all_be_checked(demo):
    await test_forty_concurrent_wrong_guesses_are_not_all_checked_and_the_right_password_cannot_slip_through(demo)


async def test_a_right_password_does_not_leave_a_delay_for_the_next_person_at_the_address(demo):
    # given an address past its free failures, after its delay has run out
    for _ in range(throttle.ADDRESS_FREE):
        await _attempt("wrong", username="nobody", ip="192.0.2.7")
    later = NOW + timedelta(minutes=1)
    # when officer1 signs in with the right password from it
    assert await _attempt(DEMO_PASSWORD, ip="192.0.2.7", now=later) == "OK"
    # then the next person there is not made to wait by that success
    assert await _attempt(DEMO_PASSWORD, username="manager", ip="192.0.2.7", now=later + timedelta(seconds=1)) == "OK"
    assert (await LoginIpThrottle.get(ip="192.0.2.7")).next_at is None
