"""FaceEngine with the real deepface Dlib model on package-shipped faces and transforms of them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from app.domain.face import DEFAULT_THRESHOLD, pack_embedding, unpack_embedding
from tests.workers import face_images as fi
from workers.engines.face import (
    DEEPFACE_WEIGHTS,
    MULTIPLE_FACES,
    NO_FACE,
    FaceEngine,
    FaceError,
    prepare_deepface_home,
)
from workers.engines.images import BAD_IMAGE, IMAGE_TOO_LARGE, MAX_IMAGE_BYTES

ROOT = Path(__file__).resolve().parents[3]


@pytest.fixture(scope="session")
def engine(tmp_path_factory):
    return FaceEngine(tmp_path_factory.mktemp("deepface"))


@pytest.fixture(scope="session")
def hopper_bytes():
    return fi.encode(fi.grace_hopper())


@pytest.fixture(scope="session")
def astronaut_bytes():
    return fi.encode(fi.astronaut())


@pytest.fixture(scope="session")
def hopper_embedding(engine, hopper_bytes):
    return engine.represent(hopper_bytes)


def test_importing_workers_loads_no_model():
    # given a fresh interpreter
    code = (
        "import sys, workers.engines.face, workers.engines.liveness;"
        "print(sorted(m for m in ('deepface', 'dlib', 'cv2', 'tensorflow') if m in sys.modules))"
    )
    # when
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True)
    # then
    assert out.stdout.strip() == "[]"


def test_prepare_deepface_home_links_packaged_weights(tmp_path):
    # when: twice, as two worker start-ups would
    home = prepare_deepface_home(tmp_path / "df")
    prepare_deepface_home(tmp_path / "df")
    # then
    weights = home / ".deepface" / "weights"
    assert sorted(p.name for p in weights.iterdir()) == sorted(DEEPFACE_WEIGHTS)
    for name in DEEPFACE_WEIGHTS:
        link = weights / name
        assert link.is_symlink()
        assert link.resolve().parent.name == "models"
        assert link.resolve().parent.parent.name == "face_recognition_models"


@pytest.mark.ml
def test_embedding_has_128_values_and_sets_deepface_home(engine, hopper_embedding):
    assert len(hopper_embedding) == 128
    assert all(isinstance(x, float) for x in hopper_embedding)
    weights = Path(os.environ["DEEPFACE_HOME"]) / ".deepface" / "weights"
    assert (weights / "dlib_face_recognition_resnet_model_v1.dat").is_symlink()


@pytest.mark.ml
@pytest.mark.parametrize(
    "transform",
    [fi.flip, fi.crop, fi.brighten, fi.rotate, fi.jpeg],
    ids=["flip", "crop", "brightness", "rotation", "jpeg30"],
)
def test_same_person_after_transform_is_verified(engine, hopper_embedding, transform):
    # given
    capture = fi.encode(transform(fi.grace_hopper()))
    # when
    result = engine.verify_against(hopper_embedding, capture)
    # then
    assert result.verified is True
    assert result.distance < 0.05
    assert result.threshold == DEFAULT_THRESHOLD == 0.07
    assert result.model == "Dlib"


@pytest.mark.ml
def test_verify_two_images_of_same_person(engine, astronaut_bytes):
    result = engine.verify(astronaut_bytes, fi.encode(fi.flip(fi.astronaut()), ".png"))
    assert result.verified is True
    assert result.distance < 0.05


@pytest.mark.ml
def test_different_people_are_not_verified(engine, hopper_bytes, astronaut_bytes):
    result = engine.verify(hopper_bytes, astronaut_bytes)
    assert result.verified is False
    assert result.distance > 0.1
    assert result.threshold == 0.07


@pytest.mark.ml
def test_stored_embedding_round_trip_still_matches(engine, hopper_embedding):
    # given: the embedding as it would be stored (float32 bytes) and read back
    stored = unpack_embedding(pack_embedding(hopper_embedding))
    # when
    result = engine.verify_against(stored, fi.encode(fi.flip(fi.grace_hopper())))
    # then
    assert result.verified is True


@pytest.mark.ml
def test_image_without_face_is_refused(engine, hopper_bytes):
    with pytest.raises(FaceError) as caught:
        engine.verify(hopper_bytes, fi.encode(fi.no_face()))
    assert caught.value.code == NO_FACE
    assert caught.value.field == "b"
    assert "未检测到人脸" in caught.value.message


@pytest.mark.ml
def test_two_faces_are_refused(engine):
    # given: the two people side by side
    both = fi.side_by_side(fi.grace_hopper(), fi.astronaut())
    # when
    with pytest.raises(FaceError) as caught:
        engine.represent(fi.encode(both), field="image")
    # then
    assert caught.value.code == MULTIPLE_FACES
    assert caught.value.field == "image"
    assert "2 张人脸" in caught.value.message


@pytest.mark.ml
def test_bytes_that_are_not_an_image_are_refused(engine, hopper_bytes):
    with pytest.raises(FaceError) as caught:
        engine.verify(b"%PDF-1.7\n1 0 obj << /Type /Catalog >> endobj\n", hopper_bytes)
    assert caught.value.code == BAD_IMAGE
    assert caught.value.field == "a"


@pytest.mark.ml
def test_empty_bytes_are_refused(engine):
    with pytest.raises(FaceError) as caught:
        engine.represent(b"")
    assert caught.value.code == BAD_IMAGE


@pytest.mark.ml
def test_truncated_jpeg_is_refused(engine, hopper_bytes):
    # given: the first 60 % of a JPEG (header intact, scan data cut)
    truncated = hopper_bytes[: len(hopper_bytes) * 6 // 10]
    assert truncated[:2] == b"\xff\xd8"
    # when / then
    with pytest.raises(FaceError) as caught:
        engine.represent(truncated)
    assert caught.value.code == BAD_IMAGE
    assert "不完整" in caught.value.message


@pytest.mark.ml
def test_image_over_10_mb_is_refused_before_decoding(engine, hopper_bytes, monkeypatch):
    # given: a real JPEG padded past the limit, and a decoder that must not be reached
    big = hopper_bytes + b"\0" * (MAX_IMAGE_BYTES + 1 - len(hopper_bytes))
    assert len(big) == MAX_IMAGE_BYTES + 1

    def no_decoding(*args, **kwargs):
        raise AssertionError("decoded an oversize image")

    monkeypatch.setattr("PIL.Image.open", no_decoding)
    monkeypatch.setattr(cv2, "imdecode", no_decoding)
    # when / then
    with pytest.raises(FaceError) as caught:
        engine.represent(big)
    assert caught.value.code == IMAGE_TOO_LARGE
    assert "10 MB" in caught.value.message


@pytest.mark.ml
def test_image_of_exactly_10_mb_is_decoded(engine, hopper_bytes):
    # given: trailing bytes after the JPEG's end marker are ignored by decoders
    padded = hopper_bytes + b"\0" * (MAX_IMAGE_BYTES - len(hopper_bytes))
    # when
    embedding = engine.represent(padded)
    # then
    assert len(embedding) == 128


@pytest.mark.ml
def test_truncated_jpeg_is_refused_even_after_weasyprint_is_imported(engine, hopper_bytes):
    import weasyprint  # noqa: F401  (sets PIL's LOAD_TRUNCATED_IMAGES = True for the whole process)

    with pytest.raises(FaceError) as caught:
        engine.represent(hopper_bytes[: len(hopper_bytes) * 6 // 10])
    assert caught.value.code == BAD_IMAGE
