"""Face embeddings and face match with deepface's Dlib model, fully offline.

Only deepface's `Dlib` model works without downloads (docs/stack.md#deepface): its weights come from the
`face-recognition-models` package, linked into `$DEEPFACE_HOME/.deepface/weights/` by
`prepare_deepface_home`. Faces are found with OpenCV's Haar cascade (`detector_backend="opencv"`,
shipped inside the OpenCV 4.x wheel).

Importing this module loads nothing heavy: deepface, dlib and the models are loaded when a
`FaceEngine` is built. Build one per worker process at start-up (arq `on_startup`) and keep it
in `ctx`; calls are serialised by a lock because deepface is not thread-safe. Embeddings are
biometric data: never log them.
"""

from __future__ import annotations

import contextlib
import io
import os
import threading
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from app.domain.errors import DomainError
from app.domain.face import DEFAULT_THRESHOLD, EMBEDDING_SIZE, MODEL, FaceMatch, match
from workers.engines.images import BAD_IMAGE, BAD_IMAGE_MESSAGE, MAX_IMAGE_BYTES, check_upload

DEEPFACE_WEIGHTS = ("dlib_face_recognition_resnet_model_v1.dat", "shape_predictor_5_face_landmarks.dat")


class FaceError(DomainError):
    """A face image that cannot be used. `code` is one of the *_CODE names below."""


NO_FACE = "NO_FACE"
MULTIPLE_FACES = "MULTIPLE_FACES"


def _models_dir() -> Path:
    import face_recognition_models

    return Path(face_recognition_models.__file__).resolve().parent / "models"


def prepare_deepface_home(path: str | os.PathLike[str]) -> Path:
    """Link the packaged Dlib weights into `path/.deepface/weights/` so deepface never downloads.

    Safe to call from several processes at once (each link is made under a temporary name and
    renamed into place). Returns `path` as an absolute Path; set it as $DEEPFACE_HOME.
    """
    home = Path(path).resolve()
    weights = home / ".deepface" / "weights"
    weights.mkdir(parents=True, exist_ok=True)
    source_dir = _models_dir()
    for name in DEEPFACE_WEIGHTS:
        source = source_dir / name
        if not source.is_file():
            raise RuntimeError(f"face_recognition_models does not ship {name}")
        target = weights / name
        if target.is_symlink() and target.resolve() == source:
            continue
        if target.exists() and not target.is_symlink():
            if target.stat().st_size == source.stat().st_size:
                continue  # a real copy of the same file
            raise RuntimeError(f"{target} is not the packaged {name}; remove it")
        temporary = weights / f".{name}.{os.getpid()}.{threading.get_ident()}"
        temporary.unlink(missing_ok=True)
        temporary.symlink_to(source)
        os.replace(temporary, target)
    return home


_LOADING = threading.Lock()


@contextlib.contextmanager
def _strict_loading():
    """WeasyPrint sets PIL's process-wide LOAD_TRUNCATED_IMAGES = True on import: refuse truncated files anyway."""
    from PIL import ImageFile

    with _LOADING:
        previous, ImageFile.LOAD_TRUNCATED_IMAGES = ImageFile.LOAD_TRUNCATED_IMAGES, False
        try:
            yield
        finally:
            ImageFile.LOAD_TRUNCATED_IMAGES = previous


def decode_image(data: bytes, *, max_bytes: int = MAX_IMAGE_BYTES) -> np.ndarray:
    """Bytes → BGR uint8 array. Refuses oversize input before decoding, and truncated files."""
    from PIL import Image, ImageOps, UnidentifiedImageError

    check_upload(data, max_bytes=max_bytes, error=FaceError)
    try:
        with Image.open(io.BytesIO(data)) as image:
            with _strict_loading():
                image.load()  # raises OSError on a truncated file
            rgb = ImageOps.exif_transpose(image).convert("RGB")
    except (UnidentifiedImageError, OSError, SyntaxError, ValueError, Image.DecompressionBombError) as exc:
        raise FaceError(BAD_IMAGE_MESSAGE, code=BAD_IMAGE) from exc
    return np.ascontiguousarray(np.asarray(rgb)[:, :, ::-1])


def _shrink(image: np.ndarray, max_side: int) -> np.ndarray:
    """Scale a large photo down so its longer side is `max_side` (detection time grows with area)."""
    import cv2

    longest = max(image.shape[:2])
    if longest <= max_side:
        return image
    scale = max_side / longest
    return cv2.resize(image, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)


class FaceEngine:
    """deepface Dlib embeddings. Build once per process: `FaceEngine(var_dir / "deepface")`.

    Sets $DEEPFACE_HOME for the process (deepface reads it when it loads weights).
    `min_face_ratio`: a second face narrower than this share of the largest face is taken for
    a distant bystander or detector noise and ignored; any larger second face is refused.
    `max_side`: photos larger than this (longer side, pixels) are scaled down before detection.
    """

    def __init__(
        self,
        deepface_home: str | os.PathLike[str],
        *,
        threshold: float = DEFAULT_THRESHOLD,
        min_face_ratio: float = 0.3,
        max_bytes: int = MAX_IMAGE_BYTES,
        max_side: int = 960,
    ) -> None:
        home = prepare_deepface_home(deepface_home)
        os.environ["DEEPFACE_HOME"] = str(home)
        os.environ.setdefault("DEEPFACE_LOG_LEVEL", "30")  # deepface print()s INFO lines to stdout
        from deepface import DeepFace
        from deepface.modules import modeling
        from deepface.modules.exceptions import FaceNotDetected

        self._deepface = DeepFace
        self._face_not_detected = FaceNotDetected
        modeling.build_model(task="facial_recognition", model_name=MODEL)
        modeling.build_model(task="face_detector", model_name="opencv")
        self._lock = threading.Lock()
        self.threshold = threshold
        self.min_face_ratio = min_face_ratio
        self.max_bytes = max_bytes
        self.max_side = max_side
        self.model = MODEL

    def _faces(self, image: np.ndarray) -> list[dict[str, Any]]:
        with self._lock:
            try:
                return self._deepface.represent(
                    img_path=image,
                    model_name=MODEL,
                    detector_backend="opencv",
                    enforce_detection=True,
                    align=True,
                )
            except self._face_not_detected as exc:
                raise FaceError("图片中未检测到人脸，请正对镜头、保持光线充足后重新拍摄", code=NO_FACE) from exc

    def represent(self, image_bytes: bytes, *, field: str | None = None) -> tuple[float, ...]:
        """The 128-d embedding of the one face in the image (FaceError otherwise)."""
        try:
            image = _shrink(decode_image(image_bytes, max_bytes=self.max_bytes), self.max_side)
            faces = self._faces(image)
            widths = [int(face["facial_area"]["w"]) for face in faces]
            largest = max(range(len(faces)), key=lambda i: widths[i])
            significant = sum(1 for w in widths if w >= self.min_face_ratio * widths[largest])
            if significant > 1:
                raise FaceError(f"图片中检测到 {significant} 张人脸，请确保画面中只有本人", code=MULTIPLE_FACES)
        except FaceError as exc:
            exc.field = field
            raise
        embedding = tuple(float(x) for x in faces[largest]["embedding"])
        if len(embedding) != EMBEDDING_SIZE:  # pragma: no cover - would be a deepface change
            raise RuntimeError(f"Dlib embedding has {len(embedding)} values")
        return embedding

    def verify(self, a_bytes: bytes, b_bytes: bytes) -> FaceMatch:
        """Are the faces in two images the same person? (field "a" / "b" on errors)"""
        a = self.represent(a_bytes, field="a")
        b = self.represent(b_bytes, field="b")
        return match(a, b, threshold=self.threshold, model=self.model)

    def verify_against(self, embedding: Sequence[float], image_bytes: bytes) -> FaceMatch:
        """Compare a stored embedding with the face in a new capture: one `represent`."""
        return match(embedding, self.represent(image_bytes, field="image"), threshold=self.threshold, model=self.model)
