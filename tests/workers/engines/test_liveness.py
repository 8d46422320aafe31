"""Liveness on synthetic frame bursts, judged by the REAL dlib landmark engine.

Frames are made from the astronaut photo: eyes painted shut for a blink, the middle of the
face warped sideways for a head turn (see face_images.py). A held photo is the same frame over
and over, or the flat photo tilted in the hand.
"""

from __future__ import annotations

import random

import cv2
import pytest

from app.domain.liveness import BLINK, TURN_LEFT, TURN_RIGHT, Action, Challenge
from tests.workers import face_images as fi
from workers.engines.face import FaceError
from workers.engines.images import BAD_IMAGE
from workers.engines.liveness import TOO_MANY_FRAMES, LandmarkEngine

pytestmark = pytest.mark.ml

NONCE = "srv-nonce-0123456789abcdef"


@pytest.fixture(scope="session")
def landmark_engine():
    return LandmarkEngine()


@pytest.fixture(scope="session")
def frames(landmark_engine):
    """JPEG frames of one face: open, eyes closed, turned to its own left / right."""
    image = fi.astronaut()
    points = landmark_engine.landmarks_of(image).points
    return {
        "open": fi.encode(image),
        "closed": fi.encode(fi.close_eyes(image, points)),
        TURN_LEFT: fi.encode(fi.turn_head(image, points, 0.6)),
        TURN_RIGHT: fi.encode(fi.turn_head(image, points, -0.6)),
        "tilted": [fi.encode(fi.tilt_flat(image, a)) for a in (0.1, 0.2)]
        + [fi.encode(fi.flip(fi.tilt_flat(fi.flip(image), a))) for a in (0.1, 0.2)],
    }


def perform(frames, actions: list[Action]) -> list[bytes]:
    """A burst: looking at the camera, then each action followed by a return to the centre."""
    burst = [frames["open"]] * 3
    for action in actions:
        if action.kind == BLINK:
            for _ in range(action.count):
                burst += [frames["closed"]] * 3 + [frames["open"]] * 2
        else:
            burst += [frames[action.kind]] * 3 + [frames["open"]] * 2
    return burst


def test_landmarks_measure_open_closed_and_turned_faces(landmark_engine, frames):
    # when
    seen = {name: landmark_engine.landmarks(frames[name]) for name in ("open", "closed", TURN_LEFT, TURN_RIGHT)}
    # then
    assert all(lm is not None and lm.face_count == 1 for lm in seen.values())
    assert seen["open"].ear() > 0.27
    assert seen["closed"].ear() < 0.18
    assert 0.45 < seen["open"].yaw_ratio() < 0.55
    assert seen[TURN_LEFT].yaw_ratio() > 0.68
    assert seen[TURN_RIGHT].yaw_ratio() < 0.32


@pytest.mark.parametrize("seed", [1, 2, 7])
def test_performed_random_challenge_passes(landmark_engine, frames, seed):
    # given
    challenge = Challenge.create(random.Random(seed), NONCE)
    # when
    result = landmark_engine.check_liveness(challenge, perform(frames, list(challenge.actions)))
    # then
    assert (result.passed, result.code, result.reason) == (True, "OK", "活体检测通过")
    assert result.details["completed_steps"] == len(challenge.actions)
    assert result.details["no_face_frames"] == 0


def test_held_still_photo_fails(landmark_engine, frames):
    # given: the same picture for the whole burst
    challenge = Challenge(NONCE, (Action(BLINK, 1), Action(TURN_LEFT)))
    # when
    result = landmark_engine.check_liveness(challenge, [frames["open"]] * 15)
    # then
    assert (result.passed, result.code) == (False, "NO_MOTION")
    assert "静止照片" in result.reason
    assert result.details["blinks_seen"] == 0
    assert result.details["completed_steps"] == 0


def test_flat_photo_tilted_in_the_hand_does_not_count_as_a_turn(landmark_engine, frames):
    # given: a printed photo turned about its vertical axis, both ways
    challenge = Challenge(NONCE, (Action(TURN_LEFT), Action(BLINK, 1)))
    burst = [frames["open"]] * 2 + [f for f in frames["tilted"] for _ in range(3)] + [frames["open"]] * 2
    # when
    result = landmark_engine.check_liveness(challenge, burst)
    # then
    assert (result.passed, result.code) == (False, "NO_MOTION")
    assert result.details["usable_frames"] == len(burst)
    assert 0.4 < result.details["min_yaw_ratio"] <= result.details["max_yaw_ratio"] < 0.6


def test_actions_out_of_order_fail(landmark_engine, frames):
    # given
    challenge = Challenge(NONCE, (Action(TURN_LEFT), Action(TURN_RIGHT), Action(BLINK, 2)))
    burst = perform(frames, [Action(TURN_RIGHT), Action(TURN_LEFT), Action(BLINK, 2)])
    # when
    result = landmark_engine.check_liveness(challenge, burst)
    # then
    assert (result.passed, result.code) == (False, "WRONG_ACTION")
    assert result.reason == "动作与提示不符：第 1 步应向左转头，却检测到向右转头，请按提示顺序重新检测"


def test_missing_blink_is_reported(landmark_engine, frames):
    # given: asked for two blinks, blinked once
    challenge = Challenge(NONCE, (Action(BLINK, 2), Action(TURN_RIGHT)))
    burst = perform(frames, [Action(BLINK, 1)])
    # when
    result = landmark_engine.check_liveness(challenge, burst)
    # then
    assert (result.passed, result.code) == (False, "INCOMPLETE")
    assert result.reason == "未完成第 1 步：请眨眼 2 次（已检测到 1 次），请重新检测"
    assert result.details["blinks_seen"] == 1


def test_mirrored_frames_are_judged_with_mirrored_flag(landmark_engine, frames):
    # given: the page sent a mirrored (selfie-view) burst of "turn left"
    challenge = Challenge(NONCE, (Action(BLINK, 1), Action(TURN_LEFT)))
    burst = [fi.encode(fi.flip(cv2.imdecode(_buf(b), cv2.IMREAD_COLOR))) for b in perform(frames, list(challenge.actions))]
    # when
    plain = landmark_engine.check_liveness(challenge, burst)
    mirrored = landmark_engine.check_liveness(challenge, burst, mirrored=True)
    # then
    assert (plain.passed, plain.code) == (False, "WRONG_ACTION")
    assert (mirrored.passed, mirrored.code) == (True, "OK")


def test_frames_without_a_face_are_counted(landmark_engine, frames):
    # given: half of the burst shows no face
    challenge = Challenge(NONCE, (Action(BLINK, 1), Action(TURN_LEFT)))
    empty = fi.encode(fi.no_face())
    burst = perform(frames, list(challenge.actions))
    burst = [frame for pair in zip(burst, [empty] * len(burst)) for frame in pair]
    # when
    result = landmark_engine.check_liveness(challenge, burst)
    # then
    assert (result.passed, result.code) == (False, "NO_FACE")
    assert result.details["no_face_frames"] == len(burst) // 2
    assert f"有 {len(burst) // 2} 帧" in result.reason


def test_two_faces_in_frame_fail(landmark_engine, frames):
    # given: a second person next to the face in two frames
    astronaut_face = fi.astronaut()[20:260, 110:340]
    hopper_face = cv2.resize(fi.grace_hopper()[30:430, 80:460], None, fx=0.55, fy=0.55)
    pair = fi.encode(fi.side_by_side(astronaut_face, hopper_face))
    challenge = Challenge(NONCE, (Action(BLINK, 1), Action(TURN_LEFT)))
    burst = perform(frames, list(challenge.actions)) + [pair, pair]
    # when
    result = landmark_engine.check_liveness(challenge, burst)
    # then
    assert landmark_engine.landmarks(pair).face_count == 2
    assert (result.passed, result.code) == (False, "MULTIPLE_FACES")
    assert result.details["multi_face_frames"] == 2


def test_bad_frame_is_refused_with_its_index(landmark_engine, frames):
    challenge = Challenge(NONCE, (Action(BLINK, 1), Action(TURN_LEFT)))
    with pytest.raises(FaceError) as caught:
        landmark_engine.check_liveness(challenge, [frames["open"], frames["open"], frames["open"][:4000]])
    assert caught.value.code == BAD_IMAGE
    assert caught.value.field == "frames.2"
    assert caught.value.message.startswith("第 3 帧：")


def test_too_many_frames_are_refused(landmark_engine):
    challenge = Challenge(NONCE, (Action(BLINK, 1), Action(TURN_LEFT)))
    with pytest.raises(FaceError) as caught:
        landmark_engine.check_liveness(challenge, [b"x"] * 61)
    assert caught.value.code == TOO_MANY_FRAMES


def _buf(data: bytes):
    import numpy as np

    return np.frombuffer(data, np.uint8)
