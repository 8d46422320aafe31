"""`cunxin face-verify IMAGE_A IMAGE_B [--json]` with the real model."""

from __future__ import annotations

import json

import pytest
from typer.testing import CliRunner

from app.cli import cli
from tests.workers import face_images as fi

pytestmark = pytest.mark.ml

runner = CliRunner()


@pytest.fixture(scope="module")
def images(tmp_path_factory):
    folder = tmp_path_factory.mktemp("faces")
    files = {
        "hopper": fi.encode(fi.grace_hopper()),
        "hopper_flipped": fi.encode(fi.flip(fi.grace_hopper())),
        "astronaut": fi.encode(fi.astronaut(), ".png"),
        "landscape": fi.encode(fi.no_face()),
        "notes": "不是图片".encode() * 100,
    }
    paths = {}
    for name, data in files.items():
        paths[name] = folder / f"{name}.jpg"
        paths[name].write_bytes(data)
    return paths


def test_json_output_for_the_same_person(images):
    # when
    result = runner.invoke(cli, ["face-verify", str(images["hopper"]), str(images["hopper_flipped"]), "--json"])
    # then
    assert result.exit_code == 0, result.stderr
    body = json.loads(result.stdout)
    assert list(body) == ["verified", "distance", "threshold", "model"]
    assert body["verified"] is True
    assert 0 <= body["distance"] < 0.05
    assert (body["threshold"], body["model"]) == (0.07, "Dlib")


def test_text_output_for_two_different_people(images):
    # when
    result = runner.invoke(cli, ["face-verify", str(images["hopper"]), str(images["astronaut"])])
    # then
    assert result.exit_code == 0, result.stderr
    lines = result.stdout.splitlines()
    assert lines[0] == "比对结果：不是同一人"
    assert lines[1] == "verified: false"
    assert lines[2].startswith("distance: 0.")
    assert float(lines[2].removeprefix("distance: ")) > 0.1
    assert lines[3:] == ["threshold: 0.07", "model: Dlib"]


def test_image_without_face_exits_1_with_a_message(images):
    # when
    result = runner.invoke(cli, ["face-verify", str(images["hopper"]), str(images["landscape"]), "--json"])
    # then
    assert result.exit_code == 1
    assert result.stdout == ""
    assert result.stderr.strip() == f"{images['landscape']}：图片中未检测到人脸，请正对镜头、保持光线充足后重新拍摄"


def test_file_that_is_not_an_image_exits_1(images):
    result = runner.invoke(cli, ["face-verify", str(images["notes"]), str(images["hopper"])])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"{images['notes']}：无法读取图片")


def test_missing_file_exits_1(images, tmp_path):
    missing = tmp_path / "nope.jpg"
    result = runner.invoke(cli, ["face-verify", str(images["hopper"]), str(missing)])
    assert result.exit_code == 1
    assert result.stderr.startswith(f"无法读取图片文件 {missing}")
