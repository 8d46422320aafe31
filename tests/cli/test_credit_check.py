import json
from datetime import date

import pytest
from typer.testing import CliRunner

from app.cli import cli
from app.integrations.sandbox import generate_report, to_xml
from tests.domain.credit_report.samples import BILLION_LAUGHS, SPEC_EXAMPLE, with_statuses

runner = CliRunner()


def write(tmp_path, data: bytes, name: str = "report.xml"):
    path = tmp_path / name
    path.write_bytes(data)
    return path


def check(*args):
    return runner.invoke(cli, ["credit-check", *map(str, args)])


def test_json_for_a_rejected_report(tmp_path):
    # given
    report = generate_report(2, report_date=date(2026, 11, 29), profile="bad_debt")
    path = write(tmp_path, to_xml(report))
    # when
    result = check(path, "--json")
    # then
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert list(data) == ["decision", "ruleSetVersion", "rules"]
    assert (data["decision"], data["ruleSetVersion"]) == ("reject", "reject-2026.1")
    assert [r["code"] for r in data["rules"]] == [
        "LIAN_SAN_LEI_LIU",
        "CURRENT_OVERDUE",
        "BAD_ACCOUNT_STATUS",
        "BAD_REPAYMENT_SYMBOL",
        "FIVE_CLASS",
    ]
    for rule in data["rules"]:
        assert list(rule) == ["code", "kind", "message", "evidence"]
        assert rule["kind"] == "reject"
    assert data["rules"][2]["evidence"]["statusName"] == "呆账"
    assert "呆账" in result.stdout  # ensure_ascii=False: Chinese is written as is
    assert "\\u" not in result.stdout


def test_json_for_a_passing_report(tmp_path):
    result = check(write(tmp_path, SPEC_EXAMPLE), "--json")
    assert result.exit_code == 0
    assert json.loads(result.stdout) == {"decision": "pass", "ruleSetVersion": "reject-2026.1", "rules": []}


def test_json_for_a_review_report(tmp_path):
    report = generate_report(1, report_date=date(2026, 11, 29), profile="public_record")
    result = check(write(tmp_path, to_xml(report)), "--json")
    data = json.loads(result.stdout)
    assert (result.exit_code, data["decision"], [r["kind"] for r in data["rules"]]) == (0, "review", ["review"])


def test_human_text_in_chinese(tmp_path):
    report = generate_report(9, report_date=date(2026, 11, 29), profile="special_mention")
    result = check(write(tmp_path, to_xml(report)))
    assert result.exit_code == 0
    assert f"征信报告 {report.report_id}（报告日期 2026-11-29）" in result.stdout
    assert "结论：拒绝（规则集 reject-2026.1），命中 1 条规则：" in result.stdout
    assert "1.【拒绝】未结清贷款账户" in result.stdout


@pytest.mark.parametrize(
    ("data", "code"),
    [
        (b"<CreditReport", "MALFORMED"),
        (SPEC_EXAMPLE.replace(b"</CreditReport>", b"<!--" + b"x" * (6 * 1024 * 1024) + b"--></CreditReport>"), "TOO_LARGE"),
        (BILLION_LAUGHS, "DTD_FORBIDDEN"),
        (with_statuses("N" * 59), "BAD_STATUS_STRING"),
        (with_statuses("N" * 59 + "X"), "BAD_STATUS_STRING"),
    ],
    ids=["malformed", "oversized", "dtd", "59-symbols", "unknown-symbol"],
)
def test_refused_report_exits_1_with_chinese_message(tmp_path, data, code):
    result = check(write(tmp_path, data), "--json")
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.startswith(f"征信报告被拒绝（{code}）：")


def test_missing_file_exits_1(tmp_path):
    result = check(tmp_path / "nope.xml")
    assert result.exit_code == 1
    assert "找不到征信报告文件" in result.stderr
