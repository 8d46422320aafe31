"""Face and OCR commands: idcard, face-verify. These import workers/ lazily (the CLI is a composition root)."""


# ---------------------------------------------------------------------------------------------
# face-verify (face helper's block; the idcard command lives in its own block)
# ---------------------------------------------------------------------------------------------
import contextlib as _contextlib  # noqa: E402
import json as _json  # noqa: E402
import sys as _sys  # noqa: E402
from pathlib import Path as _Path  # noqa: E402

import typer as _typer  # noqa: E402

from app.cli.base import cli as _cli  # noqa: E402


def _read_face_image(path: _Path, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(limit + 1)  # one byte over the limit is enough to refuse it
    except OSError as exc:
        _typer.echo(f"无法读取图片文件 {path}：{exc.strerror or exc}", err=True)
        raise _typer.Exit(1) from exc


@_cli.command("face-verify")
def face_verify(
    image_a: _Path = _typer.Argument(..., help="第一张人脸照片"),
    image_b: _Path = _typer.Argument(..., help="第二张人脸照片"),
    as_json: bool = _typer.Option(False, "--json", help="输出 JSON：verified, distance, threshold, model"),
) -> None:
    """Compare the faces in two photos (deepface Dlib model, offline)."""
    from app.config import get_settings
    from workers.engines.face import FaceEngine, FaceError
    from workers.engines.images import MAX_IMAGE_BYTES

    data = {"a": _read_face_image(image_a, MAX_IMAGE_BYTES), "b": _read_face_image(image_b, MAX_IMAGE_BYTES)}
    names = {"a": str(image_a), "b": str(image_b)}
    # deepface print()s to stdout; keep stdout for the result only.
    with _contextlib.redirect_stdout(_sys.stderr):
        try:
            engine = FaceEngine(get_settings().var_dir / "deepface")
            result = engine.verify(data["a"], data["b"])
        except FaceError as exc:
            _typer.echo(f"{names.get(exc.field or '', '图片')}：{exc.message}", err=True)
            raise _typer.Exit(1) from exc
    if as_json:
        _typer.echo(_json.dumps(result.as_dict(), ensure_ascii=False))
        return
    _typer.echo(f"比对结果：{'同一人' if result.verified else '不是同一人'}")
    _typer.echo(f"verified: {'true' if result.verified else 'false'}")
    _typer.echo(f"distance: {result.distance:.4f}")
    _typer.echo(f"threshold: {result.threshold}")
    _typer.echo(f"model: {result.model}")


# ---------------------------------------------------------------------------------------------
# idcard (ID-card OCR helper's block; self-contained, independent of the face-verify block)
# ---------------------------------------------------------------------------------------------
import datetime as _idcard_dt  # noqa: E402
import json as _idcard_json  # noqa: E402
from pathlib import Path as _IdcardPath  # noqa: E402
from typing import NoReturn as _IdcardNoReturn  # noqa: E402

import typer as _idcard_typer  # noqa: E402

from app.cli.base import cli as _idcard_cli  # noqa: E402

_IDCARD_FIELD_NAMES = {
    "name": "姓名", "sex": "性别", "ethnicity": "民族", "birth_date": "出生日期", "address": "住址",
    "id_number": "公民身份号码", "issuing_authority": "签发机关", "valid_from": "签发日期", "valid_until": "有效期至",
}


def _idcard_fail(message: str) -> _IdcardNoReturn:
    _idcard_typer.echo(message, err=True)
    raise _idcard_typer.Exit(1)


def _idcard_read_file(path: _IdcardPath, limit: int) -> bytes:
    try:
        with path.open("rb") as handle:
            return handle.read(limit + 1)  # one byte over the limit is enough to refuse it
    except FileNotFoundError:
        _idcard_fail(f"找不到图片文件：{path}")
    except IsADirectoryError:
        _idcard_fail(f"{path} 是目录，不是图片文件")
    except OSError as exc:
        _idcard_fail(f"无法读取图片文件 {path}：{exc.strerror or exc}")


@_idcard_cli.command("idcard")
def idcard(
    image: _IdcardPath = _idcard_typer.Argument(..., help="身份证照片（正面或背面，JPEG/PNG，不超过 10 MB）"),
    as_json: bool = _idcard_typer.Option(
        False, "--json",
        help="输出 JSON：side；正面 name, sex, ethnicity, birth_date, address, id_number, id_number_valid；"
        "背面 issuing_authority, valid_from, valid_until；以及 warnings",
    ),
    as_of: str = _idcard_typer.Option(None, "--as-of", help="业务日期 YYYY-MM-DD（判断证件是否过期），默认今天"),
) -> None:
    """Read a resident ID card photo (rapidocr, offline) and check its fields."""
    from app import clock
    from app.config import get_settings
    from app.domain.errors import DomainError
    from workers.engines import build_ocr_engine
    from workers.engines.images import MAX_IMAGE_BYTES
    from workers.engines.ocr import read_id_card_image

    if as_of is None:
        on = clock.local_today(get_settings().business_tz)
    else:
        try:
            on = _idcard_dt.date.fromisoformat(as_of)
        except ValueError:
            _idcard_fail(f"业务日期格式不正确：{as_of}（应为 YYYY-MM-DD）")
    data = _idcard_read_file(image, MAX_IMAGE_BYTES)
    try:
        result = read_id_card_image(build_ocr_engine(), data, on)
    except DomainError as exc:
        _idcard_fail(f"{image}：{exc.message}")
    reading = result.reading
    if as_json:
        _idcard_typer.echo(_idcard_json.dumps(reading.to_json(), ensure_ascii=False))
        return
    _idcard_typer.echo("身份证正面（人像面）" if reading.side == "front" else "身份证背面（国徽面）")
    for key, field in reading.fields.items():
        mark = "  ⚠ 需核对" if field.needs_confirmation else ""
        shown = field.value if field.value is not None else "（未识别）"
        _idcard_typer.echo(f"  {_IDCARD_FIELD_NAMES[key]}：{shown}（置信度 {field.confidence:.2f}）{mark}")
    if reading.side == "front":
        _idcard_typer.echo(f"  号码校验：{'通过' if reading.id_number_valid else '未通过'}")
        _idcard_typer.echo(f"  人像区域：{'已裁切' if result.portrait_jpeg else '未能定位'}")
    if reading.warnings:
        _idcard_typer.echo("提示：")
        for warning in reading.warnings:
            _idcard_typer.echo(f"  - {warning}")
    else:
        _idcard_typer.echo("检查通过，无需人工核对。")
