"""`cunxin import KIND FILE --bank CODE [--confirm]` and `cunxin import-template KIND` (issue 18; docs/import.md)."""

import os
import subprocess
import sys

from app.config import ROOT


def _cunxin(*args: str, cwd=ROOT) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=cwd, env=dict(os.environ), capture_output=True, text=True, timeout=120)


def test_template_then_preview_then_confirm_then_rerun(demo, tmp_path):
    # demo commits the bank and its villages; the command opens its own connection to the same database
    template = tmp_path / "customers.xlsx"
    made = _cunxin("import-template", "customers", "--out", str(template))
    assert made.returncode == 0 and "已生成客户导入模板" in made.stdout, made.stderr
    preview = _cunxin("import", "customers", str(template), "--bank", "14102301")
    assert preview.returncode == 0, preview.stderr
    assert "预览通过（未写入）。襄汾农商行 客户：共 2 行，新增 2 行，已导入过 0 行" in preview.stdout
    done = _cunxin("import", "customers", str(template), "--bank", "14102301", "--confirm")
    assert done.returncode == 0 and "已导入。襄汾农商行 客户：共 2 行，新增 2 行" in done.stdout, done.stderr
    again = _cunxin("import", "customers", str(template), "--bank", "14102301", "--confirm")
    assert "新增 0 行，已导入过 2 行" in again.stdout


def test_bad_rows_exit_1_with_row_errors(demo, tmp_path):
    bad = tmp_path / "lines.csv"
    bad.write_bytes("额度编号,客户编号,产品代码,授信金额,已用金额,利率基准,加点,期限（月）,生效日,到期日,状态\n"
                    "L1,C9,BIANLI,1000,2000,1y,150,12,2026-01-01,2027-01-01,有效\n".encode("gb18030"))
    result = _cunxin("import", "credit_lines", str(bad), "--bank", "14102301", "--confirm")
    assert result.returncode == 1
    assert "第 2 行「已用金额」：已用金额 2000 元大于授信金额 1000 元" in result.stderr
    assert "1 处错误，未写入任何数据" in result.stderr
    unknown = _cunxin("import", "mortgages", str(bad), "--bank", "14102301")
    assert unknown.returncode == 1 and "导入类型应为" in unknown.stderr


def test_the_check_and_write_stages_show_a_progress_bar(demo, tmp_path):
    template = tmp_path / "customers.xlsx"
    assert _cunxin("import-template", "customers", "--out", str(template)).returncode == 0
    preview = _cunxin("import", "customers", str(template), "--bank", "14102301")
    assert preview.returncode == 0, preview.stderr
    assert "检查中" in preview.stderr and "2/2 行" in preview.stderr and "写入中" not in preview.stderr
    done = _cunxin("import", "customers", str(template), "--bank", "14102301", "--confirm")
    assert done.returncode == 0, done.stderr
    assert "检查中" in done.stderr and "写入中" in done.stderr and done.stderr.count("2/2 行") == 2, done.stderr
    assert "已处理" not in done.stderr  # the old every-10,000-rows line is gone
