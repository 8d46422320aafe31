from datetime import UTC, datetime, timedelta

import pytest

from app.domain.errors import ValidationError
from app.models import AuditEvent, Officer, OfficerSession
from app.domain.vocabulary import Role
from app.services.auth import officers as auth
from app.services.auth import throttle
from app.services.actor import SYSTEM
from tests.factories import DEMO_PASSWORD

NOW = datetime(2026, 11, 27, 2, 0, tzinfo=UTC)


async def _login(username="officer1", password=DEMO_PASSWORD, now=NOW):
    return await auth.login(username=username, password=password, now=now, session_hours=12)


async def test_login_opens_a_session_resolvable_by_token(demo):
    # when
    token, info = await _login()
    # then
    resolved = await auth.resolve_session(token, now=NOW + timedelta(hours=1))
    assert resolved is not None
    assert resolved.officer.username == "officer1"
    assert resolved.actor.role == Role.OFFICER
    assert resolved.actor.in_branch(info.officer.branch_id)
    stored = await OfficerSession.get(id=info.session.id)
    assert stored.token_hash != token and len(stored.token_hash) == 64


async def test_unknown_user_and_wrong_password_get_the_same_message(demo):
    with pytest.raises(auth.LoginError) as unknown:
        await _login(username="nobody")
    with pytest.raises(auth.LoginError) as wrong:
        await _login(password="wrong-password")
    assert unknown.value.message == wrong.value.message == auth.BAD_CREDENTIALS
    assert await OfficerSession.all().count() == 0


async def test_after_the_free_failures_each_attempt_waits_and_the_wait_is_short(demo):
    for _ in range(throttle.ACCOUNT_FREE + 1):
        with pytest.raises(auth.LoginError) as wrong:
            await _login(password="wrong-password")
        assert wrong.value.code == "BAD_CREDENTIALS"
    with pytest.raises(auth.LoginError) as waiting:
        await _login(now=NOW + timedelta(seconds=14))  # even the right password, while the delay runs
    assert waiting.value.code == "THROTTLED" and waiting.value.message == auth.THROTTLED
    assert await OfficerSession.all().count() == 0
    token, _ = await _login(now=NOW + timedelta(seconds=15))  # a delay, not a lock: 15 s later the officer is in
    assert token
    officer = await Officer.get(username="officer1")
    assert (officer.failed_logins, officer.locked_until) == (0, None)
    assert await AuditEvent.filter(action="officer.login_failed").count() == throttle.ACCOUNT_FREE + 1


async def test_expired_and_logged_out_sessions_do_not_resolve(demo):
    token, info = await _login()
    assert await auth.resolve_session(token, now=NOW + timedelta(hours=13)) is None
    await auth.logout(info, now=NOW)
    assert await auth.resolve_session(token, now=NOW) is None
    assert await auth.resolve_session("", now=NOW) is None
    assert await AuditEvent.filter(action="officer.logout", entity_id=str(info.session.id)).exists()


async def test_manager_scope_covers_sub_branches_officer_scope_does_not(demo):
    _, head_admin = await _login(username="admin")
    _, officer = await _login(username="officer1")
    assert len(head_admin.actor.branch_ids) == 3
    assert officer.actor.branch_ids == {officer.officer.branch_id}


@pytest.mark.parametrize(
    ("username", "password", "branch", "field"),
    [
        ("bad name", "long-enough-pw", "XF010", "username"),
        ("newone", "short", "XF010", "password"),
        ("newone", "long-enough-pw", "NOPE", "branch"),
        ("officer1", "long-enough-pw", "XF010", "username"),
    ],
)
async def test_create_officer_refuses_bad_input(demo, username, password, branch, field):
    before = await Officer.all().count()
    with pytest.raises(ValidationError) as err:
        await auth.create_officer(actor=SYSTEM, username=username, display_name="新人", password=password, role=Role.OFFICER, branch_code=branch)
    assert err.value.field == field
    assert await Officer.all().count() == before


async def test_create_officer_hashes_password_and_audits(demo):
    officer = await auth.create_officer(actor=SYSTEM, username="newone", display_name="新人", password="long-enough-pw", role=Role.APPROVER, branch_code="XF020")
    assert officer.password_hash.startswith("$argon2")
    assert await AuditEvent.filter(action="officer.create", entity_id=str(officer.id)).exists()
    token, _ = await _login(username="newone", password="long-enough-pw")
    assert token
