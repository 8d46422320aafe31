"""Face matching rules: distance between two face embeddings and the verdict.

Pure code. An embedding is the 128-number descriptor dlib's ResNet model gives a face
(deepface model "Dlib"); the worker computes it, this module only compares. Floats are fine
here: these are measurements, not money.

Thresholds for the Dlib model (RECIPES.md, the values deepface uses): cosine 0.07,
euclidean 0.6, euclidean L2 0.4. Measured on the package-shipped test faces: the same person
under flip / crop / brightness / JPEG ≈0.005–0.035 cosine, two different people ≈0.14–0.16.

Embeddings are biometric data: `pack_embedding` turns one into bytes (little-endian float32)
so that the caller can encrypt and store it; `unpack_embedding` reverses that.
"""

from __future__ import annotations

import math
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.errors import ValidationError

MODEL = "Dlib"
EMBEDDING_SIZE = 128

DLIB_THRESHOLDS: dict[str, float] = {"cosine": 0.07, "euclidean": 0.6, "euclidean_l2": 0.4}
DEFAULT_METRIC = "cosine"
DEFAULT_THRESHOLD = DLIB_THRESHOLDS[DEFAULT_METRIC]

_PACK_FORMAT = f"<{EMBEDDING_SIZE}f"
PACKED_SIZE = struct.calcsize(_PACK_FORMAT)  # 512 bytes


def _check(embedding: Sequence[float], name: str) -> None:
    if len(embedding) != EMBEDDING_SIZE:
        raise ValidationError(
            f"人脸特征长度应为 {EMBEDDING_SIZE}，实际为 {len(embedding)}", code="BAD_EMBEDDING", field=name
        )
    for value in embedding:
        if not math.isfinite(value):
            raise ValidationError("人脸特征含有无效数值", code="BAD_EMBEDDING", field=name)


def cosine_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """1 − cos(angle between a and b): 0 for the same direction, up to 2 for opposite."""
    _check(a, "a")
    _check(b, "b")
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm_a = math.sqrt(math.fsum(x * x for x in a))
    norm_b = math.sqrt(math.fsum(y * y for y in b))
    if norm_a == 0.0 or norm_b == 0.0:
        raise ValidationError("人脸特征为零向量", code="BAD_EMBEDDING")
    cos = max(-1.0, min(1.0, dot / (norm_a * norm_b)))
    return 1.0 - cos


def euclidean_distance(a: Sequence[float], b: Sequence[float]) -> float:
    _check(a, "a")
    _check(b, "b")
    return math.sqrt(math.fsum((x - y) ** 2 for x, y in zip(a, b, strict=True)))


@dataclass(frozen=True)
class FaceMatch:
    """One comparison, as it is stored: distance, the threshold used, the model and the verdict."""

    distance: float
    threshold: float
    model: str = MODEL
    verified: bool = False
    metric: str = DEFAULT_METRIC

    def as_dict(self) -> dict[str, object]:
        return {
            "verified": self.verified,
            "distance": self.distance,
            "threshold": self.threshold,
            "model": self.model,
        }


def match(
    a: Sequence[float], b: Sequence[float], *, threshold: float = DEFAULT_THRESHOLD, model: str = MODEL
) -> FaceMatch:
    """Compare two embeddings by cosine distance; verified when distance <= threshold."""
    if not 0.0 < threshold < 2.0:
        raise ValidationError("人脸比对阈值必须在 0 与 2 之间", code="BAD_THRESHOLD", field="threshold")
    distance = cosine_distance(a, b)
    return FaceMatch(distance=distance, threshold=threshold, model=model, verified=distance <= threshold)


def pack_embedding(embedding: Sequence[float]) -> bytes:
    """128 floats → 512 bytes (little-endian float32), for encrypted storage."""
    _check(embedding, "embedding")
    try:
        return struct.pack(_PACK_FORMAT, *embedding)
    except (OverflowError, struct.error) as exc:  # a value outside float32's range
        raise ValidationError("人脸特征数值超出范围", code="BAD_EMBEDDING", field="embedding") from exc


def unpack_embedding(data: bytes) -> tuple[float, ...]:
    if len(data) != PACKED_SIZE:
        raise ValidationError(
            f"人脸特征数据长度应为 {PACKED_SIZE} 字节，实际为 {len(data)}", code="BAD_EMBEDDING"
        )
    return struct.unpack(_PACK_FORMAT, data)
