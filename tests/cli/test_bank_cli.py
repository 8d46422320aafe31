"""`cunxin bank create|list`: a new member bank from the command line, validated with Chinese errors."""

import os
import subprocess
import sys

from app.config import ROOT

BANK = ["--code", "14102901", "--name", "洪洞农商行", "--legal-name", "山西洪洞农村商业银行股份有限公司", "--kind", "rural_commercial",
        "--address", "山西省临汾市洪洞县", "--legal-representative", "郭明", "--contract-prefix", "HT"]


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120)


def _with(option: str, value: str) -> list[str]:
    args = list(BANK)
    args[args.index(option) + 1] = value
    return args


def test_bank_create_and_list(demo):
    # demo commits bank #1; the command opens its own connection to the same database
    made = _cunxin("bank", "create", *BANK, "--products-from", "14102301")
    assert made.returncode == 0, made.stderr
    assert "已新建法人行「洪洞农商行」（机构代码 14102901，合同编号前缀 HT）" in made.stdout
    listed = _cunxin("bank", "list")
    assert listed.returncode == 0, listed.stderr
    lines = listed.stdout.strip().splitlines()
    assert [line.split()[0] for line in lines] == ["14102301", "14102901"]
    assert "洪洞农商行  农商行  总行 B14102901  合同前缀 HT  系统签章" in lines[1]
    # a second time: the code is taken
    again = _cunxin("bank", "create", *_with("--contract-prefix", "HD"))
    assert again.returncode == 1 and "新建失败：机构代码 14102901 已被其他法人行使用" in again.stderr


def test_bank_create_refuses_bad_input(demo):
    bad_code = _cunxin("bank", "create", *_with("--code", "HT01"))
    assert bad_code.returncode == 1 and "机构代码应为 4–16 位数字" in bad_code.stderr
    bad_kind = _cunxin("bank", "create", *_with("--kind", "bank"))
    assert bad_kind.returncode == 1 and "法人行类型应为 rural_commercial（农商行） / rural_credit_union（农信联社）" in bad_kind.stderr
    taken_prefix = _cunxin("bank", "create", *_with("--contract-prefix", "SX"))
    assert taken_prefix.returncode == 1 and "合同编号前缀 SX 已被其他法人行使用" in taken_prefix.stderr
    assert _cunxin("bank", "list").stdout.strip().splitlines()[0].startswith("14102301  襄汾农商行")


def test_bank_seal_sandbox_then_clear(demo):
    # a demo bank gets its own sandbox seal from the development CA, and can go back to the installation's
    assert _cunxin("bank", "create", *BANK).returncode == 0
    made = _cunxin("bank", "seal", "--code", "14102901", "--sandbox")
    assert made.returncode == 0, made.stderr
    assert "洪洞农商行：本行印章" in made.stdout and made.stdout.strip().endswith("banks/14102901/seal.pem")
    assert "合同前缀 HT  本行印章" in _cunxin("bank", "list").stdout
    cleared = _cunxin("bank", "seal", "--code", "14102901", "--clear")
    assert cleared.returncode == 0 and "洪洞农商行：使用本系统的签章配置" in cleared.stdout
    # a key that is not the certificate's is refused before anything is recorded
    pki = os.path.dirname(made.stdout.strip().rsplit(" ", 1)[1])
    wrong = _cunxin("bank", "seal", "--code", "14102901", "--cert", f"{pki}/seal.pem", "--key", f"{pki}/../../ca.key")
    assert wrong.returncode == 1 and "与印章证书" in wrong.stderr and "不匹配" in wrong.stderr
    assert "合同前缀 HT  系统签章" in _cunxin("bank", "list").stdout
    neither = _cunxin("bank", "seal", "--code", "14102901")
    assert neither.returncode == 1 and "请给出 --cert 与 --key，或 --sandbox，或 --clear 之一" in neither.stderr


def test_bank_authority_sets_and_clears_a_banks_matrix(demo):
    # when the operator sets bank #1's authority
    made = _cunxin("bank", "authority", "--code", "14102301", "--officer-yuan", "50000", "--approver-yuan", "200000", "--branch-manager-yuan", "400000")
    # then
    assert made.returncode == 0, made.stderr
    assert "「襄汾农商行」的授信权限：客户经理 50000 元，审批人 200000 元，支行行长 400000 元" in made.stdout
    half = _cunxin("bank", "authority", "--code", "14102301", "--officer-yuan", "50000")
    assert half.returncode == 1 and "请同时填写客户经理、审批人和支行行长的授信权限" in half.stderr
    neither = _cunxin("bank", "authority", "--code", "14102301")
    assert neither.returncode == 1 and "请填写三个授信权限，或只用 --clear" in neither.stderr
    unknown = _cunxin("bank", "authority", "--code", "99999999", "--clear")
    assert unknown.returncode == 1 and "法人行 99999999 不存在" in unknown.stderr
    cleared = _cunxin("bank", "authority", "--code", "14102301", "--clear")
    assert cleared.returncode == 0 and "改用平台默认" in cleared.stdout
