"""`cunxin idcard IMAGE [--json]` with the real OCR engine on rendered cards."""

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.support.idcards import make_card, render_text_page

pytestmark = pytest.mark.ml

FRONT_KEYS = ["side", "name", "sex", "ethnicity", "birth_date", "address", "id_number", "id_number_valid", "warnings"]
BACK_KEYS = ["side", "issuing_authority", "valid_from", "valid_until", "warnings"]


@pytest.fixture
def runner():
    return CliRunner()


def _write(tmp_path, name, data):
    path = tmp_path / name
    path.write_bytes(data)
    return str(path)


def test_json_front_has_exactly_the_documented_keys(runner, tmp_path):
    data, truth = make_card(5, side="front")
    result = runner.invoke(cli, ["idcard", _write(tmp_path, "front.jpg", data), "--json", "--as-of", "2025-06-01"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert list(out) == FRONT_KEYS
    assert {k: out[k] for k in truth} == truth
    assert out["warnings"] == []
    assert truth["name"] in result.stdout  # ensure_ascii=False: Chinese as is


def test_json_back_has_exactly_the_documented_keys(runner, tmp_path):
    data, truth = make_card(2, side="back")
    result = runner.invoke(cli, ["idcard", _write(tmp_path, "back.jpg", data), "--json", "--as-of", "2025-06-01"])
    assert result.exit_code == 0, result.stderr
    out = json.loads(result.stdout)
    assert list(out) == BACK_KEYS
    assert {k: out[k] for k in truth} == truth
    assert out["valid_until"] == "长期"


def test_human_output_lists_fields_and_checks_in_chinese(runner, tmp_path):
    data, truth = make_card(7, side="front", bad_checksum=True)
    result = runner.invoke(cli, ["idcard", _write(tmp_path, "bad.jpg", data), "--as-of", "2025-06-01"])
    assert result.exit_code == 0, result.stderr
    assert result.stdout.startswith("身份证正面（人像面）\n")
    assert f"姓名：{truth['name']}" in result.stdout
    assert "号码校验：未通过" in result.stdout
    assert "公民身份号码校验未通过" in result.stdout
    assert "需核对" in result.stdout


def test_expired_back_warns_in_the_human_output(runner, tmp_path):
    data, truth = make_card(0, side="back")
    result = runner.invoke(cli, ["idcard", _write(tmp_path, "b.jpg", data), "--as-of", "2099-01-01"])
    assert result.exit_code == 0, result.stderr
    assert f"证件已于{truth['valid_until']}过期" in result.stdout


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda: render_text_page(2), "未识别到身份证"),
        (lambda: b"not an image at all", "无法读取图片"),
        (lambda: make_card(1)[0][:5000], "不完整"),
        (lambda: b"\xff\xd8\xff" + b"\0" * (10 * 1024 * 1024), "超过 10 MB"),
    ],
    ids=["text-page", "not-an-image", "truncated-jpeg", "too-big"],
)
def test_unreadable_input_exits_1_with_a_chinese_message_on_stderr(runner, tmp_path, make, message):
    result = runner.invoke(cli, ["idcard", _write(tmp_path, "x.jpg", make()), "--json"])
    assert result.exit_code == 1
    assert message in result.stderr
    assert result.stdout == ""


def test_missing_file_exits_1(runner, tmp_path):
    result = runner.invoke(cli, ["idcard", str(tmp_path / "nope.jpg")])
    assert result.exit_code == 1
    assert "找不到图片文件" in result.stderr


def test_bad_business_date_exits_1(runner, tmp_path):
    data, _ = make_card(5, side="front")
    result = runner.invoke(cli, ["idcard", _write(tmp_path, "f.jpg", data), "--as-of", "2025/06/01"])
    assert result.exit_code == 1
    assert "业务日期格式不正确" in result.stderr
