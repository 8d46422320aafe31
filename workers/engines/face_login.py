"""Officer face login: the enrolment is matched against the liveness burst itself.

The frames that performed the challenge are the frames whose face is compared (issue 12): the
68-point landmarks say which frames look at the camera, `app.domain.face.identity_candidates`
spreads the compared frames over the whole burst (one per stretch, at random within it), the
Dlib model embeds each, and `match_burst` wants every one of them to match the enrolment and
one another. A still photo sent beside the frames is never looked at.
"""

from __future__ import annotations

import random
from collections.abc import Sequence

from app.domain.face import MIN_FACING_FRAMES, FaceMatch, facing_frames, identity_candidates, match_burst
from workers.engines.face import NO_FACE, FaceEngine, FaceError
from workers.engines.liveness import LandmarkEngine

MATCH_FRAMES = 5
FEW_FRAMES = "FEW_FACING_FRAMES"


def _yaw(landmarks: LandmarkEngine, frame: bytes) -> float | None:
    found = landmarks.landmarks(frame)
    if found is None or found.face_count != 1:
        return None
    try:
        return found.yaw_ratio()
    except ValueError:
        return None


def _embed_one_of(face: FaceEngine, frames: Sequence[bytes], stretch: Sequence[int]) -> tuple[float, ...]:
    """The first frame of the (shuffled) stretch the model finds one face in; two faces refuse at once."""
    for index in stretch:
        try:
            return face.represent(frames[index], field=f"frames.{index}")
        except FaceError as exc:
            if exc.code != NO_FACE:
                raise
    raise FaceError("有一段画面中未检测到可比对的正脸，请全程正对镜头后重新检测", code=NO_FACE)


def match_login_burst(
    face: FaceEngine,
    landmarks: LandmarkEngine,
    frames: Sequence[bytes],
    enrolled: Sequence[Sequence[float]],
    *,
    threshold: float,
    count: int = MATCH_FRAMES,
    rng: random.Random | None = None,
) -> FaceMatch:
    """Compare `count` frames of the burst (spread over it) with the enrolment. FaceError when it cannot."""
    facing = facing_frames([_yaw(landmarks, f) for f in frames])
    if len(facing) < MIN_FACING_FRAMES:
        raise FaceError(f"正对镜头的画面太少（{len(facing)} 帧），请正对镜头按提示完成动作后重新检测", code=FEW_FRAMES)
    stretches = identity_candidates(facing, count, rng or random.SystemRandom())
    live = [_embed_one_of(face, frames, stretch) for stretch in stretches]
    return match_burst(enrolled, live, threshold=threshold, model=face.model)
