"""Worker-side decoding: only JPEG/PNG/WebP reach OpenCV or PIL's decoder (no models needed)."""

from __future__ import annotations

import io

import cv2
import numpy as np
import pytest
from PIL import Image

from workers.engines import face, ocr
from workers.engines.images import BAD_IMAGE


def _hdr(width: int, height: int) -> bytes:
    ok, buf = cv2.imencode(".hdr", np.full((height, width, 3), 0.5, dtype=np.float32))
    assert ok
    return buf.tobytes()


def _pil(fmt: str) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (64, 48), (10, 120, 200)).save(buf, fmt)
    return buf.getvalue()


@pytest.fixture
def decoded(monkeypatch):
    """Every call that would decode pixels, recorded."""
    calls: list[str] = []
    real_imdecode, real_open = cv2.imdecode, Image.open
    monkeypatch.setattr(ocr.cv2, "imdecode", lambda *a, **k: calls.append("cv2") or real_imdecode(*a, **k))
    monkeypatch.setattr(Image, "open", lambda *a, **k: calls.append("pil") or real_open(*a, **k))
    return calls


@pytest.mark.parametrize("decode", [ocr.decode_image, face.decode_image], ids=["card", "face"])
@pytest.mark.parametrize(("data", "shown"), [(_hdr(64, 48), "HDR"), (_pil("TIFF"), "TIFF"), (_pil("BMP"), "BMP")], ids=["hdr", "tiff", "bmp"])
def test_hdr_tiff_and_bmp_are_refused_before_any_decoding(decode, data, shown, decoded):
    assert cv2.imdecode(np.frombuffer(data, np.uint8), cv2.IMREAD_COLOR) is not None  # OpenCV would decode it
    decoded.clear()
    with pytest.raises((ocr.CardImageError, face.FaceError)) as caught:
        decode(data)
    assert caught.value.code == "UNSUPPORTED_IMAGE"
    assert caught.value.message == f"只支持 JPEG、PNG 或 WebP 格式的照片（不支持 {shown}），请用相机重新拍摄或另存为 JPEG 后上传"
    assert decoded == []


@pytest.mark.parametrize("decode", [ocr.decode_image, face.decode_image], ids=["card", "face"])
def test_bytes_that_are_no_image_at_all_are_still_a_bad_image(decode, decoded):
    with pytest.raises((ocr.CardImageError, face.FaceError)) as caught:
        decode(b"%PDF-1.7 not a photo")
    assert caught.value.code == BAD_IMAGE and decoded == []


@pytest.mark.parametrize("decode", [ocr.decode_image, face.decode_image], ids=["card", "face"])
@pytest.mark.parametrize("fmt", ["JPEG", "PNG", "WEBP"])
def test_jpeg_png_and_webp_are_decoded(decode, fmt):
    assert decode(_pil(fmt)).shape == (48, 64, 3)
