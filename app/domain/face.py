"""Face matching rules: distance between two face embeddings and the verdict.

Pure code. An embedding is the 128-number descriptor dlib's ResNet model gives a face
(deepface model "Dlib"); the worker computes it, this module only compares. Floats are fine
here: these are measurements, not money.

Thresholds for the Dlib model (the values deepface uses, docs/stack.md#deepface): cosine 0.07,
euclidean 0.6, euclidean L2 0.4. Measured on the package-shipped test faces: the same person
under flip / crop / brightness / JPEG ≈0.005–0.035 cosine, two different people ≈0.14–0.16.

Embeddings are biometric data: `pack_embedding` turns one into bytes (little-endian float32)
so that the caller can encrypt and store it; `unpack_embedding` reverses that.
"""

from __future__ import annotations

import itertools
import math
import random
import struct
from collections.abc import Sequence
from dataclasses import dataclass

from app.domain.error_codes import IdentityCode
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
            f"人脸特征长度应为 {EMBEDDING_SIZE}，实际为 {len(embedding)}", code=IdentityCode.BAD_EMBEDDING, field=name
        )
    for value in embedding:
        if not math.isfinite(value):
            raise ValidationError("人脸特征含有无效数值", code=IdentityCode.BAD_EMBEDDING, field=name)


def cosine_distance(a: Sequence[float], b: Sequence[float]) -> float:
    """1 − cos(angle between a and b): 0 for the same direction, up to 2 for opposite."""
    _check(a, "a")
    _check(b, "b")
    dot = math.fsum(x * y for x, y in zip(a, b, strict=True))
    norm_a = math.sqrt(math.fsum(x * x for x in a))
    norm_b = math.sqrt(math.fsum(y * y for y in b))
    if norm_a == 0.0 or norm_b == 0.0:
        raise ValidationError("人脸特征为零向量", code=IdentityCode.BAD_EMBEDDING)
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
        raise ValidationError("人脸比对阈值必须在 0 与 2 之间", code=IdentityCode.BAD_THRESHOLD, field="threshold")
    distance = cosine_distance(a, b)
    return FaceMatch(distance=distance, threshold=threshold, model=model, verified=distance <= threshold)


def pack_embedding(embedding: Sequence[float]) -> bytes:
    """128 floats → 512 bytes (little-endian float32), for encrypted storage."""
    _check(embedding, "embedding")
    try:
        return struct.pack(_PACK_FORMAT, *embedding)
    except (OverflowError, struct.error) as exc:  # a value outside float32's range
        raise ValidationError("人脸特征数值超出范围", code=IdentityCode.BAD_EMBEDDING, field="embedding") from exc


def unpack_embedding(data: bytes) -> tuple[float, ...]:
    if len(data) != PACKED_SIZE:
        raise ValidationError(
            f"人脸特征数据长度应为 {PACKED_SIZE} 字节，实际为 {len(data)}", code=IdentityCode.BAD_EMBEDDING
        )
    return struct.unpack(_PACK_FORMAT, data)


# --- face login: the face of the challenge frames themselves -----------------------------------
#
# Officer login matches the enrolment against the liveness burst, not against a separate still:
# several frames of the burst, spread over the whole of it, must each match the enrolment and
# match one another. The frames are picked among those where the one face looks at the camera
# (eyes open or shut; turned frames are left out because the Dlib model's distance grows with
# yaw), one per stretch of the burst, at random within the stretch (the server's random, so a
# forged burst cannot know which frames will be compared).

FACING_DELTA = 0.08  # |yaw ratio − 0.5| at most this: looking at the camera
MIN_FACING_FRAMES = 3


def facing_frames(yaw_ratios: Sequence[float | None], *, delta: float = FACING_DELTA) -> list[int]:
    """Indices of the frames whose one face looks at the camera (None: no face, or several)."""
    return [i for i, r in enumerate(yaw_ratios) if r is not None and abs(r - 0.5) <= delta]


def identity_candidates(indices: Sequence[int], count: int, rng: random.Random) -> list[list[int]]:
    """`indices` (capture order) cut into `count` consecutive stretches, each shuffled by `rng`.

    The caller compares the first usable frame of every stretch, so the compared frames cover
    the burst from its first stretch to its last.
    """
    if count < 1:
        raise ValidationError("比对帧数至少为 1", code=IdentityCode.BAD_COUNT)
    groups = min(count, len(indices))
    stretches = [list(indices[len(indices) * g // groups : len(indices) * (g + 1) // groups]) for g in range(groups)]
    for stretch in stretches:
        rng.shuffle(stretch)
    return stretches


def match_burst(
    enrolled: Sequence[Sequence[float]], live: Sequence[Sequence[float]], *, threshold: float = DEFAULT_THRESHOLD, model: str = MODEL,
) -> FaceMatch:
    """Every live frame must match the enrolment (its nearest enrolled embedding) and every other live frame.

    The distance reported is the largest of those distances: the one that decided.
    """
    if not enrolled or len(live) < 1:
        raise ValidationError("没有可比对的人脸特征", code=IdentityCode.BAD_EMBEDDING)
    if not 0.0 < threshold < 2.0:
        raise ValidationError("人脸比对阈值必须在 0 与 2 之间", code=IdentityCode.BAD_THRESHOLD, field="threshold")
    to_enrolment = max(min(cosine_distance(e, x) for e in enrolled) for x in live)
    between = max((cosine_distance(a, b) for a, b in itertools.combinations(live, 2)), default=0.0)
    distance = max(to_enrolment, between)
    return FaceMatch(distance=distance, threshold=threshold, model=model, verified=distance <= threshold)
