import os
import subprocess
import sys

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.config import ROOT

COMMANDS = ["dev", "serve", "worker", "migrate", "seed-demo", "export-schema", "create-officer"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_operator_command_has_help(command):
    result = CliRunner().invoke(cli, [command, "--help"])
    assert result.exit_code == 0, result.output
    assert "Usage" in result.output


def test_export_schema_writes_the_sdl(tmp_path):
    from app.api.schema import schema

    out = tmp_path / "schema.graphql"
    result = CliRunner().invoke(cli, ["export-schema", "--output", str(out)])
    assert result.exit_code == 0
    assert out.read_text(encoding="utf-8") == schema.as_str() + "\n"


def _cunxin(*args: str, stdin: str | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), input=stdin, capture_output=True, text=True, timeout=120)


def test_create_officer_from_the_command_line(demo):
    # demo commits the bank; the command opens its own connection to the same database
    ok = _cunxin("create-officer", "clerk7", "--name", "周七", "--role", "approver", "--branch", "XF020", "--password", "a-long-password")
    assert ok.returncode == 0, ok.stderr
    assert "已创建工作人员 clerk7" in ok.stdout
    duplicate = _cunxin("create-officer", "clerk7", "--name", "周七", "--branch", "XF020", "--password", "a-long-password")
    assert duplicate.returncode == 1
    assert "用户名已存在" in duplicate.stderr
    bad_branch = _cunxin("create-officer", "clerk8", "--name", "周八", "--branch", "NOPE", "--password", "a-long-password")
    assert bad_branch.returncode == 1 and "机构代码 NOPE 不存在" in bad_branch.stderr


def test_the_installed_entry_point_migrates_from_any_directory(tmp_path):
    """make run calls .venv/bin/cunxin, whose sys.path does not hold the repository (python -m would hide that)."""
    from pathlib import Path

    script = Path(sys.executable).parent / "cunxin"
    env = {**os.environ, "CUNXIN_DATABASE_URL": f"sqlite://{tmp_path / 'entry.sqlite3'}"}
    result = subprocess.run([str(script), "migrate"], cwd=tmp_path, env=env, capture_output=True, text=True, timeout=120, stdin=subprocess.DEVNULL)
    assert result.returncode == 0, result.stderr[-2000:]
    assert "数据库迁移完成" in result.stdout
