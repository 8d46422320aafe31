import math
import struct

import pytest

from app.domain.errors import ValidationError
from app.domain.face import (
    DEFAULT_THRESHOLD,
    DLIB_THRESHOLDS,
    PACKED_SIZE,
    FaceMatch,
    cosine_distance,
    euclidean_distance,
    match,
    pack_embedding,
    unpack_embedding,
)


def unit(i: int, scale: float = 1.0) -> list[float]:
    v = [0.0] * 128
    v[i] = scale
    return v


def test_dlib_thresholds_are_deepface_values():
    assert DLIB_THRESHOLDS == {"cosine": 0.07, "euclidean": 0.6, "euclidean_l2": 0.4}
    assert DEFAULT_THRESHOLD == 0.07


def test_cosine_distance_of_same_direction_is_zero_whatever_the_length():
    a = [0.01 * (i % 13) - 0.05 for i in range(128)]
    assert cosine_distance(a, [3.0 * x for x in a]) == pytest.approx(0.0, abs=1e-12)


def test_cosine_distance_of_orthogonal_and_opposite_vectors():
    assert cosine_distance(unit(0), unit(1)) == pytest.approx(1.0)
    assert cosine_distance(unit(5), unit(5, -2.0)) == pytest.approx(2.0)


def test_cosine_distance_of_known_angle():
    # given: 60 degrees apart in the plane of the first two axes
    a = unit(0)
    b = [0.0] * 128
    b[0], b[1] = 0.5, math.sqrt(3) / 2
    # then: 1 - cos 60° = 0.5
    assert cosine_distance(a, b) == pytest.approx(0.5)


def test_euclidean_distance():
    assert euclidean_distance(unit(0, 3.0), unit(1, 4.0)) == pytest.approx(5.0)


@pytest.mark.parametrize("length", [0, 127, 129, 512])
def test_embedding_of_wrong_length_is_rejected(length):
    with pytest.raises(ValidationError) as caught:
        cosine_distance([0.1] * length, unit(0))
    assert caught.value.code == "BAD_EMBEDDING"
    assert caught.value.field == "a"


def test_zero_and_non_finite_embeddings_are_rejected():
    with pytest.raises(ValidationError) as zero:
        cosine_distance([0.0] * 128, unit(0))
    bad = unit(0)
    bad[7] = math.nan
    with pytest.raises(ValidationError) as nan:
        cosine_distance(unit(0), bad)
    assert (zero.value.code, nan.value.code, nan.value.field) == ("BAD_EMBEDDING", "BAD_EMBEDDING", "b")


def test_match_verifies_at_or_below_threshold():
    # given: b at distance 0.5 from a
    a = unit(0)
    b = [0.0] * 128
    b[0], b[1] = 0.5, math.sqrt(3) / 2
    # then
    assert match(a, b, threshold=0.6) == FaceMatch(distance=pytest.approx(0.5), threshold=0.6, model="Dlib", verified=True)
    assert match(a, b, threshold=0.4).verified is False
    assert match(a, a).verified is True


def test_match_rejects_nonsense_threshold():
    for threshold in (0.0, -0.1, 2.0):
        with pytest.raises(ValidationError) as caught:
            match(unit(0), unit(0), threshold=threshold)
        assert caught.value.field == "threshold"


def test_face_match_as_dict_has_the_cli_keys():
    result = FaceMatch(distance=0.035, threshold=0.07, verified=True)
    assert result.as_dict() == {"verified": True, "distance": 0.035, "threshold": 0.07, "model": "Dlib"}


def test_pack_and_unpack_round_trip_exactly_for_float32_values():
    # given: values that float32 represents exactly
    embedding = [(i - 64) / 256 for i in range(128)]
    # when
    data = pack_embedding(embedding)
    # then
    assert len(data) == PACKED_SIZE == 512
    assert data[:4] == struct.pack("<f", -0.25)
    assert unpack_embedding(data) == tuple(embedding)


def test_pack_rounds_to_float32():
    embedding = [0.1] * 128
    restored = unpack_embedding(pack_embedding(embedding))
    assert restored[0] != 0.1
    assert restored[0] == pytest.approx(0.1, rel=1e-7)


def test_unpack_rejects_wrong_length_and_pack_rejects_overflow():
    with pytest.raises(ValidationError) as short:
        unpack_embedding(b"\0" * 511)
    with pytest.raises(ValidationError) as huge:
        pack_embedding(unit(0, 1e300))
    assert (short.value.code, huge.value.code) == ("BAD_EMBEDDING", "BAD_EMBEDDING")


# --- face login on the burst ----------------------------------------------------------------


def near(i: int, j: int, weight: float) -> list[float]:
    """unit(i) tipped towards unit(j): cosine distance to unit(i) is 1 − 1/sqrt(1 + weight²)."""
    v = unit(i)
    v[j] = weight
    return v


def test_facing_frames_keep_faces_looking_at_the_camera():
    from app.domain.face import facing_frames

    assert facing_frames([0.5, None, 0.57, 0.59, 0.43, 0.41, 0.72, 0.2]) == [0, 2, 4]


def test_identity_candidates_cover_the_burst_from_first_stretch_to_last():
    import random

    from app.domain.face import identity_candidates

    stretches = identity_candidates(list(range(10, 30)), 5, random.Random(1))
    assert [sorted(s) for s in stretches] == [list(range(10 + 4 * g, 14 + 4 * g)) for g in range(5)]
    assert stretches != [sorted(s) for s in stretches]  # shuffled within the stretch
    assert [sorted(s) for s in identity_candidates([3, 7], 5, random.Random(1))] == [[3], [7]]
    with pytest.raises(ValidationError):
        identity_candidates([1, 2], 0, random.Random(1))


def test_match_burst_needs_every_frame_to_match_the_enrolment_and_each_other():
    from app.domain.face import match_burst

    enrolled = [unit(0), near(0, 1, 0.1)]
    same = [near(0, 2, 0.2), near(0, 3, 0.2), unit(0)]
    ok = match_burst(enrolled, same, threshold=0.07)
    assert ok.verified is True and ok.distance == pytest.approx(1 - 1 / 1.04)  # the two tipped frames, from each other
    mixed = match_burst(enrolled, [*same, unit(5)], threshold=0.07)  # one frame of someone else
    assert (mixed.verified, mixed.distance) == (False, pytest.approx(1.0))
    # two frames each close to the enrolment but not to one another: not one person
    apart = match_burst([unit(0)], [near(0, 1, 0.37), near(0, 2, -0.37)], threshold=0.07)
    assert (apart.verified, apart.distance) == (False, pytest.approx(1 - 1 / (1 + 0.37**2)))
    assert 1 - 1 / math.sqrt(1 + 0.37**2) < 0.07  # while each alone matches the enrolment
    with pytest.raises(ValidationError):
        match_burst(enrolled, [], threshold=0.07)
