"""Face test images: two people shipped with packages, and transforms of them.

grace_hopper.jpg ships in matplotlib's sample data, the astronaut (Eileen Collins) in
scikit-image; they are two different people (docs/stack.md#test-faces). Same-person pairs are transforms of
one photo. Synthetic liveness frames: eyes painted shut (blink) and a sideways warp of the
middle of the face (head turn), placed with the real landmarks of the original photo.
"""

from __future__ import annotations

from pathlib import Path

import cv2
import numpy as np


def grace_hopper() -> np.ndarray:
    import matplotlib

    path = Path(matplotlib.get_data_path()) / "sample_data" / "grace_hopper.jpg"
    return cv2.imread(str(path), cv2.IMREAD_COLOR)


def astronaut() -> np.ndarray:
    import skimage.data

    return np.ascontiguousarray(skimage.data.astronaut()[:, :, ::-1])


def encode(image: np.ndarray, ext: str = ".jpg", quality: int = 92) -> bytes:
    params = [cv2.IMWRITE_JPEG_QUALITY, quality] if ext == ".jpg" else []
    ok, buffer = cv2.imencode(ext, image, params)
    assert ok
    return buffer.tobytes()


# --- same-person transforms ----------------------------------------------------------------


def flip(image: np.ndarray) -> np.ndarray:
    return np.ascontiguousarray(image[:, ::-1])


def crop(image: np.ndarray) -> np.ndarray:
    h, w = image.shape[:2]
    return np.ascontiguousarray(image[int(h * 0.07) : int(h * 0.87), int(w * 0.06) : int(w * 0.94)])


def brighten(image: np.ndarray) -> np.ndarray:
    return cv2.convertScaleAbs(image, alpha=1.1, beta=35)


def rotate(image: np.ndarray, degrees: float = 8.0) -> np.ndarray:
    h, w = image.shape[:2]
    matrix = cv2.getRotationMatrix2D((w / 2, h / 2), degrees, 1.0)
    return cv2.warpAffine(image, matrix, (w, h), borderMode=cv2.BORDER_REPLICATE)


def jpeg(image: np.ndarray, quality: int = 30) -> np.ndarray:
    return cv2.imdecode(np.frombuffer(encode(image, ".jpg", quality), np.uint8), cv2.IMREAD_COLOR)


def side_by_side(left: np.ndarray, right: np.ndarray) -> np.ndarray:
    height = max(left.shape[0], right.shape[0])
    canvas = np.full((height, left.shape[1] + right.shape[1] + 40, 3), 200, np.uint8)
    canvas[: left.shape[0], : left.shape[1]] = left
    canvas[: right.shape[0], left.shape[1] + 40 :] = right
    return canvas


def no_face() -> np.ndarray:
    """A smooth colour gradient with a few shapes: an image, but no face."""
    ys, xs = np.mgrid[0:400, 0:600]
    image = np.dstack([(xs * 255 // 600), (ys * 255 // 400), np.full_like(xs, 120)]).astype(np.uint8)
    cv2.rectangle(image, (50, 60), (200, 180), (30, 30, 200), -1)
    cv2.circle(image, (420, 250), 80, (20, 160, 40), -1)
    return image


# --- synthetic liveness frames ------------------------------------------------------------


def close_eyes(image: np.ndarray, points: tuple[tuple[float, float], ...]) -> np.ndarray:
    """Paint both eyes shut: skin blended from above to below the eye, and a dark lash line."""
    out = image.astype(np.float32)
    pts = np.asarray(points, dtype=np.float64)
    for eye in (pts[36:42], pts[42:48]):
        width = eye[:, 0].max() - eye[:, 0].min()
        x0, x1 = int(eye[:, 0].min() - width * 0.2), int(eye[:, 0].max() + width * 0.2)
        top, bottom = int(eye[1:3, 1].min() - width * 0.25), int(eye[4:6, 1].max() + width * 0.15)
        above, below = out[top - 1, x0:x1].copy(), out[bottom + 1, x0:x1].copy()
        rows = bottom - top
        for i in range(rows):
            t = i / (rows - 1)
            out[top + i, x0:x1] = above * (1 - t) + below * t
        lash = np.array([eye[0], (eye[4] + eye[5]) / 2, eye[3]]).astype(np.int32)
        cv2.polylines(out, [lash], False, (40, 30, 30), max(1, int(width / 12)), cv2.LINE_AA)
    return out.astype(np.uint8)


def turn_head(image: np.ndarray, points: tuple[tuple[float, float], ...], shift: float) -> np.ndarray:
    """A crude yaw: move the middle of the face sideways more than its edges.

    `shift` is in eye distances; > 0 moves the nose to the image's right (the person turning to
    their own left in an unmirrored frame), < 0 to the image's left.
    """
    pts = np.asarray(points, dtype=np.float64)
    h, w = image.shape[:2]
    eye_distance = pts[42:48, 0].mean() - pts[36:42, 0].mean()
    cx, cy = pts[27:36, 0].mean(), pts[30, 1]
    sx, sy = eye_distance * 0.4, eye_distance * 1.2
    ys, xs = np.mgrid[0:h, 0:w].astype(np.float32)
    displacement = shift * eye_distance * np.exp(-((xs - cx) ** 2) / (2 * sx**2) - ((ys - cy) ** 2) / (2 * sy**2))
    return cv2.remap(image, xs - displacement.astype(np.float32), ys, cv2.INTER_LINEAR, borderMode=cv2.BORDER_REPLICATE)


def tilt_flat(image: np.ndarray, amount: float) -> np.ndarray:
    """A flat photo rotated about its vertical axis: one side nearer the camera (perspective)."""
    h, w = image.shape[:2]
    d = amount * h
    src = np.float32([[0, 0], [w, 0], [w, h], [0, h]])
    dst = np.float32([[0, -d], [w * (1 - amount), d], [w * (1 - amount), h - d], [0, h + d]])
    matrix = cv2.getPerspectiveTransform(src, dst)
    return cv2.warpPerspective(image, matrix, (w, h), borderMode=cv2.BORDER_CONSTANT, borderValue=(90, 90, 90))
