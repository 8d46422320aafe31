"""The engines the workers run: ML models (OCR, face, landmarks) and the contract PDF renderer.

The only code of the project that imports deepface / dlib / rapidocr / cv2 / WeasyPrint. Importing
this package loads none of them: each engine loads its library when it is built, once per worker
process (the ML engines in the model process, `process.py`; the PDF renderer on the first render).

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


def build_engines(settings: Any) -> dict[str, Any]:
    """The three ML engines, built once per process (≈2–4 s), then one warm-up call each."""
    from workers.engines.face import FaceEngine
    from workers.engines.liveness import LandmarkEngine

    engines = {
        "ocr": build_ocr_engine(),
        "face": FaceEngine(settings.var_dir / "deepface", threshold=settings.face_threshold),
        "landmarks": LandmarkEngine(),
    }
    _warm_up(engines)
    return engines


def _warm_up(engines: dict[str, Any]) -> None:
    """The first OCR call is ≈1.5 s slower than the next: pay it at start-up, not on a customer's card."""
    import cv2
    import numpy as np

    from workers.engines.face import FaceError

    blank = np.full((480, 640, 3), 255, np.uint8)
    cv2.putText(blank, "0000", (40, 240), cv2.FONT_HERSHEY_SIMPLEX, 3, (0, 0, 0), 6)
    engines["ocr"](blank, use_cls=False)
    ok, jpeg = cv2.imencode(".jpg", blank)
    try:
        engines["face"].represent(jpeg.tobytes())
    except FaceError:
        pass  # no face: the detector and the model are loaded, which is the point
