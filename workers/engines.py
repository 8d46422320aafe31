"""ML engines, built once per worker process (arq `on_startup`) and kept in `ctx`.

rapidocr ships its PP-OCRv4 Chinese models inside the wheel: nothing downloads. Detection is
limited to 960 px on the longest side (docs/stack.md#rapidocr: ≈0.3–0.45 s per card warm, against
0.6–1.2 s with the defaults). Thresholds are set here, once: per-call arguments would change
the shared instance for every later call.
"""

from __future__ import annotations

from functools import lru_cache
from typing import Any

OCR_DET_LIMIT_SIDE_LEN = 960


@lru_cache(maxsize=1)
def build_ocr_engine() -> Any:
    """The process's RapidOCR engine (the same instance on every call). Not thread-safe: serialise calls."""
    from rapidocr_onnxruntime import RapidOCR

    return RapidOCR(det_limit_type="max", det_limit_side_len=OCR_DET_LIMIT_SIDE_LEN)
