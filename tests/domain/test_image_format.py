"""Image formats sniffed from the bytes: only JPEG, PNG and WebP are photos."""

from __future__ import annotations

import io

import pytest
from PIL import Image

from app.domain import image_format


def _encode(fmt: str, **kwargs) -> bytes:
    buf = io.BytesIO()
    Image.new("RGB", (16, 12), (200, 30, 30)).save(buf, fmt, **kwargs)
    return buf.getvalue()


@pytest.mark.parametrize(("fmt", "name"), [("JPEG", "jpeg"), ("PNG", "png"), ("WEBP", "webp")])
def test_photos_are_recognised_from_their_bytes(fmt, name):
    data = _encode(fmt)
    assert (image_format.sniff(data), image_format.is_photo(data), image_format.refusal(data)) == (name, True, None)


@pytest.mark.parametrize(("data", "name", "shown"), [
    (b"#?RADIANCE\nFORMAT=32-bit_rle_rgbe\n\n-Y 12000 +X 12000\n", "hdr", "HDR"),
    (b"#?RGBE\n", "hdr", "HDR"),
    (_encode("TIFF"), "tiff", "TIFF"),
    (_encode("BMP"), "bmp", "BMP"),
    (_encode("GIF"), "gif", "GIF"),
    (b"P6\n12000 12000\n255\n", "pnm", "PNM"),
    (b"\x00\x00\x00\x18ftypheic\x00\x00\x00\x00", "heic", "HEIC"),
])
def test_other_image_formats_are_named_and_refused(data, name, shown):
    assert image_format.sniff(data) == name and not image_format.is_photo(data)
    assert image_format.refusal(data) == f"只支持 JPEG、PNG 或 WebP 格式的照片（不支持 {shown}），请用相机重新拍摄或另存为 JPEG 后上传"


def test_a_name_or_extension_does_not_matter_only_bytes():
    assert image_format.sniff(b"photo.jpg") is None and image_format.refusal(b"photo.jpg") is None
    assert image_format.sniff(b"%PDF-1.7") is None and not image_format.is_photo(b"%PDF-1.7")
    assert image_format.sniff(b"") is None
