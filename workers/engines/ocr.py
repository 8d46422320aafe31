"""ID-card OCR: image bytes -> `IdCardReading` (+ the portrait crop of the front).

CPU-bound and synchronous: the arq job runs `read_id_card_image` in `asyncio.to_thread` with
the engine from `workers.engines.build_ocr_engine()`. Calls on one engine are serialised
(rapidocr is not thread-safe, and onnxruntime already uses every core).

Steps: refuse oversize input (bytes, then pixels from the header) before decoding; decode with
OpenCV (EXIF orientation applied);
shrink huge photos, enlarge small ones to at least 640 px and pad them with a white margin;
run the engine without the angle classifier; parse by box geometry in `app.domain.idcard_ocr`;
where the parser expected a short value and nothing was detected (a lone 男 or 白), recognise
that window without detection and parse again; for the front, cut the portrait window located
from the text rows and return it as JPEG.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date
from typing import Any

import cv2
import numpy as np

from app.domain.errors import DomainError
from app.domain.idcard_ocr import DEFAULT_THRESHOLD, IdCardReading, read_id_card
from workers.engines.images import BAD_IMAGE, BAD_IMAGE_MESSAGE, MAX_IMAGE_BYTES, check_upload

MAX_SIDE_PX = 1920  # larger photos are shrunk first: a card needs no more
MIN_SIDE_PX = 640  # smaller images are enlarged to this, then padded
PAD_PX = 32
PORTRAIT_JPEG_QUALITY = 92
REREAD_MIN_SCORE = 0.5  # a window re-read without detection: below this it is taken as empty

_engine_lock = threading.Lock()


class CardImageError(DomainError):
    """An upload that cannot be read as an image (`code` BAD_IMAGE or IMAGE_TOO_LARGE)."""

    code = BAD_IMAGE


@dataclass(frozen=True, slots=True)
class CardImageResult:
    reading: IdCardReading
    portrait_jpeg: bytes | None  # front only; None on the back or when the rows do not locate it


def decode_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> np.ndarray:
    """Bytes -> BGR uint8 array; size and pixel count are checked before any decoding."""
    check_upload(data, max_bytes=max_bytes, error=CardImageError)
    buf = np.frombuffer(data, dtype=np.uint8)
    img = cv2.imdecode(buf, cv2.IMREAD_COLOR)  # None for non-images and truncated files; EXIF orientation applied
    if img is None or img.ndim != 3 or img.shape[0] < 8 or img.shape[1] < 8:
        raise CardImageError(BAD_IMAGE_MESSAGE)
    return img


def prepare(img: np.ndarray) -> np.ndarray:
    """Shrink a huge photo; enlarge and pad a small one so the detector sees enough pixels."""
    h, w = img.shape[:2]
    longest = max(h, w)
    if longest > MAX_SIDE_PX:
        f = MAX_SIDE_PX / longest
        img = cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_AREA)
    elif longest < MIN_SIDE_PX:
        f = MIN_SIDE_PX / longest
        img = cv2.resize(img, (round(w * f), round(h * f)), interpolation=cv2.INTER_CUBIC)
        img = cv2.copyMakeBorder(img, PAD_PX, PAD_PX, PAD_PX, PAD_PX, cv2.BORDER_CONSTANT, value=(255, 255, 255))
    return img


def run_engine(engine: Any, img: np.ndarray) -> list[tuple[list[tuple[float, float]], str, float]]:
    """The engine's lines as plain Python: [(4 points, text, score), ...] (empty when none)."""
    with _engine_lock:
        out = engine(img, use_cls=False)
    if isinstance(out, tuple):  # rapidocr-onnxruntime returns (lines, timings)
        out = out[0]
    lines = []
    for box, text, score in out or []:
        points = [(float(p[0]), float(p[1])) for p in box]
        lines.append((points, str(text), float(score)))
    return lines


def reread(engine: Any, img: np.ndarray, regions: dict[str, list[tuple[float, float]]]) -> list:
    """Recognise (without detection) the windows where the parser expected a value: new lines."""
    lines = []
    for quad in regions.values():
        crop = crop_quad(img, quad)
        if crop is None:
            continue
        with _engine_lock:
            out = engine(crop, use_det=False, use_cls=False)
        if isinstance(out, tuple):
            out = out[0]
        for text, score in out or []:
            if str(text).strip() and float(score) >= REREAD_MIN_SCORE:
                lines.append(([(float(x), float(y)) for x, y in quad], str(text), float(score)))
    return lines


def crop_quad(img: np.ndarray, quad: list[tuple[float, float]]) -> np.ndarray | None:
    """Warp a quadrilateral (TL, TR, BR, BL) of `img` to an upright rectangle."""
    src = np.array(quad, dtype=np.float32)
    width = int(round(max(np.linalg.norm(src[1] - src[0]), np.linalg.norm(src[2] - src[3]))))
    height = int(round(max(np.linalg.norm(src[3] - src[0]), np.linalg.norm(src[2] - src[1]))))
    if width < 16 or height < 16 or width > 4 * img.shape[1] or height > 4 * img.shape[0]:
        return None
    dst = np.array([(0, 0), (width - 1, 0), (width - 1, height - 1), (0, height - 1)], dtype=np.float32)
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(img, matrix, (width, height), flags=cv2.INTER_LINEAR,
                               borderMode=cv2.BORDER_CONSTANT, borderValue=(255, 255, 255))


def read_id_card_image(
    engine: Any,
    data: bytes,
    as_of: date,
    max_bytes: int = MAX_IMAGE_BYTES,
    *,
    threshold: float = DEFAULT_THRESHOLD,
    birth_date: date | None = None,
) -> CardImageResult:
    """Read one card face from image bytes. Raises CardImageError or NotIdCard (DomainErrors)."""
    img = prepare(decode_image(data, max_bytes=max_bytes))
    lines = run_engine(engine, img)
    reading = read_id_card(lines, as_of=as_of, threshold=threshold, birth_date=birth_date)
    extra = reread(engine, img, reading.reread_regions)
    if extra:
        reading = read_id_card(lines + extra, as_of=as_of, threshold=threshold, birth_date=birth_date)
    portrait = None
    if reading.side == "front" and reading.portrait_quad is not None:
        crop = crop_quad(img, reading.portrait_quad)
        if crop is not None:
            ok, buf = cv2.imencode(".jpg", crop, [cv2.IMWRITE_JPEG_QUALITY, PORTRAIT_JPEG_QUALITY])
            portrait = buf.tobytes() if ok else None
    return CardImageResult(reading, portrait)
