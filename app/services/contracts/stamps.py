"""Visible signature appearances: the picture stamped into a signature field.

A field shows one raster image: the hand signature from the pad (or the bank's red seal) with
the signer, time and place written under it. The Chinese text is drawn with Pillow and the
system's Noto Sans CJK SC (`fonts-noto-cjk`) into that image instead of being set as PDF text by
pyhanko: pyhanko would embed a subset of the 16 MB CJK font in every signature, which costs
0.4–0.7 s each; drawing it costs milliseconds. The stamp text is therefore not searchable; the
same facts are in the signature's /Reason and /Location and in the database.
"""

from __future__ import annotations

import math
import shutil
import subprocess
from functools import lru_cache
from pathlib import Path

from PIL import Image, ImageDraw, ImageFont


CJK_COLLECTION = Path("/usr/share/fonts/opentype/noto/NotoSansCJK-Regular.ttc")
CJK_FAMILY = "Noto Sans CJK SC"
SEAL_RED = (200, 16, 32, 255)


def cjk_collection() -> Path:
    """The Noto CJK collection file (fontconfig knows where it is if Debian's path moved)."""
    if CJK_COLLECTION.exists():
        return CJK_COLLECTION
    if shutil.which("fc-match"):
        found = subprocess.run(["fc-match", "-f", "%{file}", CJK_FAMILY], capture_output=True, text=True, check=False).stdout.strip()
        if found and Path(found).exists():
            return Path(found)
    raise RuntimeError("找不到中文字体 Noto Sans CJK（请安装 fonts-noto-cjk）")


@lru_cache(maxsize=1)
def _sc_index(collection: Path) -> int:
    """Index of the Simplified Chinese face inside the Noto CJK collection."""
    from fontTools.ttLib import TTCollection

    fonts = TTCollection(str(collection), lazy=True).fonts
    for i, font in enumerate(fonts):
        name = font["name"].getDebugName(4) or ""
        if name.startswith(CJK_FAMILY) and "Mono" not in name:
            return i
    return 0


def _pil_font(size: int) -> ImageFont.FreeTypeFont:
    """A fresh face each time (about 1 ms): FreeType faces are not shared across threads."""
    collection = cjk_collection()
    return ImageFont.truetype(str(collection), size=size, index=_sc_index(collection))


def on_white(image: Image.Image) -> Image.Image:
    """Flatten a transparent pad image on white (PDF image without a soft mask)."""
    background = Image.new("RGBA", image.size, (255, 255, 255, 255))
    background.alpha_composite(image)
    return background.convert("RGB")


def seal_image(bank_name: str, *, size: int = 360) -> Image.Image:
    """A round red seal: the bank's name along the upper arc, a star, 合同专用章 below."""
    image = Image.new("RGBA", (size, size), (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    c, r = size / 2, size / 2 - 8
    draw.ellipse((c - r, c - r, c + r, c + r), outline=SEAL_RED, width=max(6, size // 40))
    _star(draw, c, c, size * 0.13)
    name = bank_name[:16] or "银行"
    font = _pil_font(int(size * 0.1))
    span = math.radians(min(250, 22 * len(name)))
    for i, ch in enumerate(name):
        angle = -math.pi / 2 - span / 2 + (span * (i + 0.5) / len(name))
        x, y = c + (r * 0.74) * math.cos(angle), c + (r * 0.74) * math.sin(angle)
        glyph = Image.new("RGBA", (int(size * 0.14), int(size * 0.14)), (0, 0, 0, 0))
        ImageDraw.Draw(glyph).text((glyph.width / 2, glyph.height / 2), ch, font=font, fill=SEAL_RED, anchor="mm")
        glyph = glyph.rotate(-math.degrees(angle) - 90, resample=Image.Resampling.BICUBIC)
        image.alpha_composite(glyph, (int(x - glyph.width / 2), int(y - glyph.height / 2)))
    draw.text((c, c + r * 0.5), "合同专用章", font=_pil_font(int(size * 0.085)), fill=SEAL_RED, anchor="mm")
    return image


def _star(draw: ImageDraw.ImageDraw, cx: float, cy: float, radius: float) -> None:
    points = []
    for k in range(10):
        rr = radius if k % 2 == 0 else radius * 0.4
        a = -math.pi / 2 + k * math.pi / 5
        points.append((cx + rr * math.cos(a), cy + rr * math.sin(a)))
    draw.polygon(points, fill=SEAL_RED)


APPEARANCE_SIZE = (840, 408)  # about 300 dpi for the 70 × 34 mm signature boxes of the template
SEAL_APPEARANCE_SIZE = (840, 552)  # the 70 × 46 mm seal box
TEXT_PX, TEXT_LEADING_PX = 30, 38
INK = (30, 30, 30)


def confirmation_image(text: str = "已确认签署", *, size: tuple[int, int] = (360, 120)) -> Image.Image:
    """The picture of a signature confirmed in the app (no hand signature there): the words, in ink, on white."""
    canvas = Image.new("RGB", size, (255, 255, 255))
    draw = ImageDraw.Draw(canvas)
    font = _pil_font(TEXT_PX * 2)
    draw.text((12, (size[1] - TEXT_PX * 2) // 2), text, font=font, fill=INK)
    return canvas


def appearance_image(picture: Image.Image, lines: tuple[str, ...] | list[str], *, size: tuple[int, int] = APPEARANCE_SIZE) -> Image.Image:
    """The picture fitted into the upper part, the text lines under it, on white (RGB)."""
    width, height = size
    canvas = Image.new("RGB", size, (255, 255, 255))
    text_height = TEXT_LEADING_PX * len(lines) + (12 if lines else 0)
    area = (width - 16, max(40, height - text_height - 12))
    fitted = picture.convert("RGBA")
    fitted.thumbnail(area, Image.Resampling.LANCZOS)
    layer = Image.new("RGBA", size, (255, 255, 255, 0))
    layer.alpha_composite(fitted, ((width - fitted.width) // 2, 8 + (area[1] - fitted.height) // 2))
    canvas.paste(layer, (0, 0), layer)
    draw = ImageDraw.Draw(canvas)
    font = _pil_font(TEXT_PX)
    y = height - text_height
    for line in lines:
        draw.text((16, y), line, font=font, fill=INK)
        y += TEXT_LEADING_PX
    return canvas


def name_image(name: str, *, size: tuple[int, int] = (720, 240)) -> Image.Image:
    """The signer's name written large, for a signature given without a hand-signature pad (a guarantor signing at
    the group's formation, witnessed by the officer): the certificate in their name is the signature, this is its face."""
    image = Image.new("RGBA", size, (255, 255, 255, 0))
    draw = ImageDraw.Draw(image)
    draw.text((size[0] / 2, size[1] / 2), name[:16] or "—", font=_pil_font(int(size[1] * 0.5)), fill=INK + (255,), anchor="mm")
    return image
