"""The hand signature from the PAD's signature pad: checked before it is drawn into a signature's appearance."""

from __future__ import annotations

import io

from PIL import Image

from app.domain.error_codes import ContractCode
from app.domain.errors import ValidationError
from app.services.contracts.stamps import on_white

MAX_SIGNATURE_BYTES = 2 * 1024 * 1024
MAX_SIGNATURE_PIXELS = 4_000_000
PNG_MAGIC = b"\x89PNG\r\n\x1a\n"


def check_signature_png(data: bytes) -> Image.Image:
    """The pad's hand signature: a real PNG of sensible size, returned decoded (RGBA)."""
    if not data:
        raise ValidationError("缺少手写签名图片", code=ContractCode.SIGNATURE_IMAGE_REQUIRED, field="signature_png")
    if len(data) > MAX_SIGNATURE_BYTES or not data.startswith(PNG_MAGIC):
        raise ValidationError("手写签名必须是 2 MB 以内的 PNG 图片", code=ContractCode.BAD_SIGNATURE_IMAGE, field="signature_png")
    try:
        image = Image.open(io.BytesIO(data))
        if image.width * image.height > MAX_SIGNATURE_PIXELS:
            raise ValidationError("手写签名图片尺寸过大", code=ContractCode.BAD_SIGNATURE_IMAGE, field="signature_png")
        image.load()
    except ValidationError:
        raise
    except Exception:  # PIL raises many types for a broken file
        raise ValidationError("手写签名图片无法读取", code=ContractCode.BAD_SIGNATURE_IMAGE, field="signature_png") from None
    rgba = image.convert("RGBA")
    if _is_blank(rgba):
        raise ValidationError("手写签名为空，请重新签名", code=ContractCode.BLANK_SIGNATURE, field="signature_png")
    return rgba


def _is_blank(image: Image.Image) -> bool:
    """No visible stroke: on white, nothing darker than a faint grey."""
    return on_white(image).convert("L").getextrema()[0] > 240
