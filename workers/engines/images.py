"""The checks every uploaded photo passes before an ML job decodes it (ID cards, faces, liveness frames).

Size, emptiness, the format sniffed from the bytes (only JPEG, PNG and WebP: OpenCV would decode
a 9 MB Radiance .hdr to 144 Mpx) and the pixel count from the header alone (a small file can still decode to a
huge bitmap) are refused with the caller's own DomainError subclass and the same Chinese
messages. Decoding itself stays with the caller: the face path needs PIL's strict loading, the
card path OpenCV's decoder, which the OCR accuracy figures were measured with.
"""

from __future__ import annotations

import io

from app.domain import image_format
from app.domain.errors import DomainError

MAX_IMAGE_BYTES = 10 * 1024 * 1024
MAX_IMAGE_PIXELS = 40_000_000
IMAGE_TOO_LARGE = "IMAGE_TOO_LARGE"
BAD_IMAGE = "BAD_IMAGE"
BAD_IMAGE_MESSAGE = "无法读取图片（文件损坏、不完整或不是图片），请重新拍摄或上传"


def check_upload(data: bytes, *, max_bytes: int, error: type[DomainError]) -> None:
    """Refuse an oversize, empty, non-JPEG/PNG/WebP or too-many-pixels upload before any decoding."""
    if len(data) > max_bytes:
        raise error(f"图片超过 {max_bytes // (1024 * 1024)} MB，请压缩后重新上传", code=IMAGE_TOO_LARGE)
    if not data:
        raise error("图片为空，请重新拍摄或上传", code=BAD_IMAGE)
    if not image_format.is_photo(data):  # sniffed from the bytes: OpenCV would decode HDR/TIFF/BMP past every cap
        refusal = image_format.refusal(data)
        raise error(refusal or BAD_IMAGE_MESSAGE, code=image_format.UNSUPPORTED_IMAGE if refusal else BAD_IMAGE)
    if header_pixels(data) > MAX_IMAGE_PIXELS:
        raise error("图片像素过多，请缩小后重新上传", code=IMAGE_TOO_LARGE)


def header_pixels(data: bytes) -> int:
    """Width × height from the file header alone (PIL reads no pixels here); 0 if PIL does not know the format."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as image:
            width, height = image.size
    except Image.DecompressionBombError:
        return MAX_IMAGE_PIXELS + 1
    except (UnidentifiedImageError, OSError, ValueError, SyntaxError):
        return 0  # not an image PIL knows: the decoder decides
    return width * height
