"""Which image format a file is, from its first bytes (never from its name or the client's word).

Only JPEG, PNG and WebP are photos of ID cards, faces and visits. Other image formats are
recognised by name so the officer is told why the file is refused: a 9 MB Radiance `.hdr`
decodes to 144 Mpx through OpenCV, a TIFF or BMP can carry anything. Pure: bytes in, names out.
"""

from __future__ import annotations

PHOTO_FORMATS = ("jpeg", "png", "webp")
UNSUPPORTED_IMAGE = "UNSUPPORTED_IMAGE"
UNSUPPORTED_IMAGE_MESSAGE = "只支持 JPEG、PNG 或 WebP 格式的照片（不支持 {name}），请用相机重新拍摄或另存为 JPEG 后上传"

_MAGIC: tuple[tuple[bytes, str], ...] = (
    (b"\xff\xd8\xff", "jpeg"),
    (b"\x89PNG\r\n\x1a\n", "png"),
    (b"#?RADIANCE", "hdr"),
    (b"#?RGBE", "hdr"),
    (b"II*\x00", "tiff"),
    (b"MM\x00*", "tiff"),
    (b"II+\x00", "tiff"),
    (b"MM\x00+", "tiff"),
    (b"BM", "bmp"),
    (b"GIF87a", "gif"),
    (b"GIF89a", "gif"),
    (b"v/1\x01", "exr"),
    (b"\x00\x00\x00\x0cjP  \r\n\x87\n", "jp2"),
    (b"\xffO\xffQ", "jp2"),
    (b"8BPS", "psd"),
    (b"\x00\x00\x01\x00", "ico"),
    (b"Y\xa6j\x95", "ras"),
)
_ISO_BRANDS = {b"heic": "heic", b"heix": "heic", b"mif1": "heic", b"avif": "avif"}
_NAMES = {
    "hdr": "HDR", "tiff": "TIFF", "bmp": "BMP", "gif": "GIF", "exr": "EXR", "jp2": "JPEG 2000",
    "psd": "PSD", "ico": "ICO", "ras": "Sun Raster", "heic": "HEIC", "avif": "AVIF", "pnm": "PNM",
}


def sniff(data: bytes) -> str | None:
    """'jpeg', 'png', 'webp', another known image format's short name, or None when not an image."""
    for magic, name in _MAGIC:
        if data.startswith(magic):
            return name
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return "webp"
    if data[4:8] == b"ftyp" and data[8:12] in _ISO_BRANDS:
        return _ISO_BRANDS[data[8:12]]
    if len(data) > 2 and data[:1] == b"P" and data[1:2] in b"123456fF" and data[2:3] in b" \t\r\n":
        return "pnm"
    return None


def is_photo(data: bytes) -> bool:
    return sniff(data) in PHOTO_FORMATS


def refusal(data: bytes) -> str | None:
    """The Chinese message refusing a known non-photo image format; None for photos and for non-images."""
    name = sniff(data)
    if name is None or name in PHOTO_FORMATS:
        return None
    return UNSUPPORTED_IMAGE_MESSAGE.format(name=_NAMES[name])
