import os
import subprocess
import sys
from datetime import date

from app.config import ROOT
from app.models import AuditEvent, CustomerTag, ReportKey
from app.services import business_date
from tests.factories.reporting import full_book


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=300,
                          stdin=subprocess.DEVNULL)


async def test_report_key_create_list_revoke(demo):
    made = _cunxin("report-key", "create", "监管报送", "--branch", "XF010")
    assert made.returncode == 0, made.stderr
    token = made.stdout.splitlines()[1]
    assert token.startswith("rk_") and "只显示这一次" in made.stderr and "机构 XF010 及下级机构" in made.stdout
    key = await ReportKey.get()
    assert key.prefix == token[:10] and key.created_by_id is None
    listed = _cunxin("report-key", "list")
    assert listed.returncode == 0 and f"{key.prefix}…" in listed.stdout and "监管报送  XF010  有效  最近使用 从未使用" in listed.stdout and token not in listed.stdout
    revoked = _cunxin("report-key", "revoke", key.prefix)
    assert revoked.returncode == 0 and "已吊销报表密钥「监管报送」" in revoked.stdout
    again = _cunxin("report-key", "revoke", key.prefix)
    assert again.returncode == 1 and "该报表密钥已吊销" in again.stderr
    assert _cunxin("report-key", "list").stdout.strip() == "暂无报表密钥"
    assert await AuditEvent.filter(action__in=["report_key.create", "report_key.revoke"]).count() == 2


async def test_report_key_create_with_the_pii_scope(demo):
    made = _cunxin("report-key", "create", "监管报送（含个人信息）", "--branch", "XF000", "--pii")
    assert made.returncode == 0, made.stderr
    assert "含个人信息权限" in made.stdout
    key = await ReportKey.get()
    assert key.pii_scope is True
    assert "含个人信息" in _cunxin("report-key", "list").stdout
    created = await AuditEvent.get(action="report_key.create")
    assert created.after["pii_scope"] is True


async def test_report_key_create_refuses_an_unknown_branch(demo):
    bad = _cunxin("report-key", "create", "x", "--branch", "XF999")
    assert bad.returncode == 1 and "机构代码 XF999 不存在" in bad.stderr
    assert await ReportKey.all().count() == 0


async def test_customer_tags_command(demo, vault):
    await full_book(vault)
    await business_date.set_current(date(2026, 3, 21))
    ran = _cunxin("customer-tags")
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.strip() == "2026-03-21 客户标签已更新：客户 6 位，新增 9 个，移除 0 个"
    assert await CustomerTag.all().count() == 9
    bad = _cunxin("customer-tags", "--date", "21/03/2026")
    assert bad.returncode == 1 and "日期格式不正确" in bad.stderr


async def test_reporting_sql_makes_a_bank_role_on_postgresql_and_says_why_not_on_sqlite(demo, settings):
    from tests.conftest import ON_POSTGRES

    if not ON_POSTGRES:
        refused = _cunxin("reporting-sql")
        assert refused.returncode == 1 and "报表 SQL 视图仅支持 PostgreSQL" in refused.stderr
        return
    role = f"rt_cli_{os.getpid()}"
    try:
        made = _cunxin("reporting-sql", "--bank", "14102301", "--role", role)
        assert made.returncode == 0, made.stderr
        assert f"只读角色 {role}：法人行 14102301" in made.stdout and "13 个视图" in made.stdout and "密码只显示这一次" in made.stderr
        again = _cunxin("reporting-sql", "--bank", "14102301", "--role", role)
        assert again.returncode == 0 and len(again.stdout.splitlines()) == 1  # the role exists: no new password
        unknown = _cunxin("reporting-sql", "--bank", "99999999", "--role", role)
        assert unknown.returncode == 1 and "没有机构代码为 99999999 的法人行" in unknown.stderr
    finally:
        from app.sql import execute

        await execute(f"DO $$ BEGIN IF EXISTS (SELECT 1 FROM pg_roles WHERE rolname = '{role}') THEN"
                      f" EXECUTE 'DROP OWNED BY {role}'; EXECUTE 'DROP ROLE {role}'; END IF; END $$")
