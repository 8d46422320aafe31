import json
import random

import pytest

from app.domain.errors import ValidationError
from app.domain.liveness import (
    BLINK,
    TURN_LEFT,
    TURN_RIGHT,
    Action,
    Challenge,
    FrameLandmarks,
    Thresholds,
    eye_aspect_ratio,
    judge,
    yaw_ratio,
)

NONCE = "n0nce-from-the-server-42"


def face(ear: float = 0.3, ratio: float = 0.5, faces: int = 1) -> FrameLandmarks:
    """68 synthetic landmarks: eyes 30 px wide centred at x=100 and x=160, nose at the ratio."""
    points = [(130.0, 150.0)] * 68

    def eye(cx: float) -> list[tuple[float, float]]:
        h = ear * 15.0  # EAR = 4h / (2 * 30)
        return [(cx - 15, 100.0), (cx - 5, 100 - h), (cx + 5, 100 - h), (cx + 15, 100.0), (cx + 5, 100 + h), (cx - 5, 100 + h)]

    points[36:42] = eye(100.0)
    points[42:48] = eye(160.0)
    points[30] = (100.0 + ratio * 60.0, 130.0)
    return FrameLandmarks(tuple(points), face_count=faces)


OPEN, CLOSED, LEFT, RIGHT = face(), face(ear=0.12), face(ratio=0.75), face(ratio=0.25)


def blinks(n: int) -> list[FrameLandmarks]:
    return ([CLOSED] * 2 + [OPEN] * 2) * n


def challenge(*steps: tuple[str, int]) -> Challenge:
    return Challenge(NONCE, tuple(Action(kind, count) for kind, count in steps))


# --- geometry ------------------------------------------------------------------------------


def test_eye_aspect_ratio_of_known_eye():
    eye = [(0, 0), (10, -3), (20, -3), (30, 0), (20, 3), (10, 3)]
    assert eye_aspect_ratio(eye) == pytest.approx((6 + 6) / (2 * 30))


def test_eye_aspect_ratio_needs_six_points_and_distinct_corners():
    with pytest.raises(ValueError):
        eye_aspect_ratio([(0, 0)] * 5)
    with pytest.raises(ValueError):
        eye_aspect_ratio([(0, 0), (1, 1), (2, 1), (0, 0), (2, -1), (1, -1)])


def test_yaw_ratio():
    assert yaw_ratio(130, 100, 160) == 0.5
    assert yaw_ratio(145, 100, 160) == 0.75
    with pytest.raises(ValueError):
        yaw_ratio(130, 160, 100)


def test_synthetic_face_measures_what_it_was_built_with():
    assert face(ear=0.3).ear() == pytest.approx(0.3)
    assert face(ratio=0.7).yaw_ratio() == pytest.approx(0.7)


def test_frame_landmarks_need_68_points_and_a_face():
    with pytest.raises(ValueError):
        FrameLandmarks(((0.0, 0.0),) * 67)
    with pytest.raises(ValueError):
        FrameLandmarks(OPEN.points, face_count=0)
    assert FrameLandmarks.from_points([[1, 2]] * 68).points[0] == (1.0, 2.0)


# --- challenge -----------------------------------------------------------------------------


def test_create_is_deterministic_for_a_seeded_random():
    assert Challenge.create(random.Random(5), NONCE) == Challenge.create(random.Random(5), NONCE)


def test_created_challenges_have_one_blink_step_and_one_or_two_different_turns():
    seen_shapes, seen_counts = set(), set()
    for seed in range(300):
        c = Challenge.create(random.Random(seed), NONCE)
        kinds = [a.kind for a in c.actions]
        turns = [k for k in kinds if k != BLINK]
        assert kinds.count(BLINK) == 1
        assert 1 <= len(turns) == len(set(turns)) <= 2
        seen_shapes.add(tuple(kinds))
        seen_counts.add(c.actions[kinds.index(BLINK)].count)
    # every arrangement of one blink among the four turn patterns: 2 + 2 + 3 + 3
    assert len(seen_shapes) == 10
    assert seen_counts == {1, 2, 3}


def test_challenge_json_binds_the_nonce_and_round_trips():
    # given
    c = challenge((TURN_RIGHT, 1), (BLINK, 2))
    # when
    text = c.to_json()
    # then
    assert json.loads(text) == {
        "v": 1,
        "nonce": NONCE,
        "actions": [{"action": "turn_right", "count": 1}, {"action": "blink", "count": 2}],
    }
    assert Challenge.from_json(text) == c
    assert c.prompts == ["请向右转头", "请眨眼 2 次"]


def test_nonce_matches():
    c = challenge((BLINK, 1))
    assert c.nonce_matches(NONCE) is True
    assert c.nonce_matches(NONCE[:-1] + "x") is False


@pytest.mark.parametrize(
    "body",
    [
        "not json",
        "[]",
        '{"v": 2, "nonce": "n0nce-from-the-server-42", "actions": [{"action": "blink", "count": 1}]}',
        '{"v": 1, "nonce": "short", "actions": [{"action": "blink", "count": 1}]}',
        '{"v": 1, "nonce": "n0nce from the server 42", "actions": [{"action": "blink", "count": 1}]}',
        '{"v": 1, "nonce": "n0nce-from-the-server-42", "actions": []}',
        '{"v": 1, "nonce": "n0nce-from-the-server-42", "actions": [{"action": "smile", "count": 1}]}',
        '{"v": 1, "nonce": "n0nce-from-the-server-42", "actions": [{"action": "blink", "count": 0}]}',
        '{"v": 1, "nonce": "n0nce-from-the-server-42", "actions": [{"action": "blink", "count": 4}]}',
        '{"v": 1, "nonce": "n0nce-from-the-server-42", "actions": [{"action": "blink", "count": true}]}',
        '{"v": 1, "nonce": "n0nce-from-the-server-42", "actions": [{"action": "turn_left", "count": 2}]}',
        '{"v": 1, "nonce": "n0nce-from-the-server-42", "actions": [{"action": "turn_left", "count": 1},'
        ' {"action": "turn_left", "count": 1}]}',
    ],
)
def test_bad_challenge_json_is_rejected(body):
    with pytest.raises(ValidationError) as caught:
        Challenge.from_json(body)
    assert caught.value.code == "BAD_CHALLENGE"


# --- judging -------------------------------------------------------------------------------


def test_performed_challenge_passes():
    # given
    c = challenge((BLINK, 2), (TURN_LEFT, 1), (TURN_RIGHT, 1))
    frames = [OPEN] * 2 + blinks(2) + [LEFT] * 2 + [OPEN] + [RIGHT] * 2 + [OPEN]
    # when
    result = judge(c, frames)
    # then
    assert (result.passed, result.code, result.reason) == (True, "OK", "活体检测通过")
    assert result.details["completed_steps"] == 3
    assert result.details["blinks_seen"] == 2
    assert result.details["turns_seen"] == [TURN_LEFT, TURN_RIGHT]
    assert result.details["min_ear"] == 0.12
    assert (result.details["min_yaw_ratio"], result.details["max_yaw_ratio"]) == (0.25, 0.75)


def test_still_photo_fails_with_no_motion():
    result = judge(challenge((BLINK, 1), (TURN_LEFT, 1)), [OPEN] * 20)
    assert (result.passed, result.code) == (False, "NO_MOTION")
    assert result.details["completed_steps"] == 0


def test_one_closed_frame_is_not_a_blink():
    frames = [OPEN] * 2 + [CLOSED, OPEN] * 3
    result = judge(challenge((BLINK, 1), (TURN_LEFT, 1)), frames)
    assert (result.passed, result.code) == (False, "NO_MOTION")
    assert result.details["blinks_seen"] == 0


def test_blink_must_open_again():
    frames = [OPEN] * 3 + [LEFT] * 2 + [CLOSED] * 4
    result = judge(challenge((TURN_LEFT, 1), (BLINK, 1)), frames)
    assert (result.passed, result.code) == (False, "INCOMPLETE")
    assert result.reason == "未完成第 2 步：请眨眼 1 次（已检测到 0 次），请重新检测"


def test_eyes_closed_from_the_start_do_not_count_as_a_blink():
    frames = [CLOSED] * 3 + [OPEN] * 3 + [LEFT] * 2
    result = judge(challenge((BLINK, 1), (TURN_LEFT, 1)), frames)
    assert (result.passed, result.code) == (False, "WRONG_ACTION")
    assert result.details["blinks_seen"] == 0


def test_turn_in_the_wrong_direction_fails():
    frames = [OPEN] * 3 + [RIGHT] * 2 + [OPEN] + blinks(1)
    result = judge(challenge((TURN_LEFT, 1), (BLINK, 1)), frames)
    assert (result.passed, result.code) == (False, "WRONG_ACTION")
    assert result.reason == "动作与提示不符：第 1 步应向左转头，却检测到向右转头，请按提示顺序重新检测"


def test_steps_in_the_wrong_order_fail():
    frames = [OPEN] * 3 + [LEFT] * 2 + [OPEN] + blinks(1)
    result = judge(challenge((BLINK, 1), (TURN_LEFT, 1)), frames)
    assert (result.passed, result.code) == (False, "WRONG_ACTION")


def test_a_spontaneous_blink_while_a_turn_is_expected_is_ignored():
    frames = [OPEN] * 3 + blinks(1) + [LEFT] * 2 + [OPEN] + blinks(1)
    result = judge(challenge((TURN_LEFT, 1), (BLINK, 1)), frames)
    assert (result.passed, result.code) == (True, "OK")
    assert result.details["blinks_seen"] == 2


def test_one_turned_frame_is_not_a_turn():
    frames = [OPEN] * 3 + [LEFT, OPEN] * 3
    result = judge(challenge((TURN_LEFT, 1), (BLINK, 1)), frames)
    assert (result.passed, result.code) == (False, "NO_MOTION")


def test_mirrored_frames_swap_left_and_right():
    frames = [OPEN] * 3 + [RIGHT] * 2 + [OPEN] + blinks(1)
    c = challenge((TURN_LEFT, 1), (BLINK, 1))
    assert judge(c, frames, mirrored=True).passed is True
    assert judge(c, frames).passed is False


def test_too_few_frames():
    result = judge(challenge((BLINK, 1)), [OPEN] * 4)
    assert (result.passed, result.code) == (False, "TOO_FEW_FRAMES")
    assert result.reason == "拍摄的画面太少（4 帧，至少需要 5 帧），请重新检测"


def test_any_frame_with_two_faces_fails():
    frames = [OPEN] * 3 + blinks(1) + [LEFT] * 2 + [face(faces=2)]
    result = judge(challenge((BLINK, 1), (TURN_LEFT, 1)), frames)
    assert (result.passed, result.code) == (False, "MULTIPLE_FACES")
    assert result.details["multi_face_frames"] == 1


def test_a_few_frames_without_a_face_are_tolerated_and_counted():
    frames = [OPEN, None] * 2 + [OPEN] + blinks(1) + [LEFT] * 2 + [OPEN] * 3
    result = judge(challenge((BLINK, 1), (TURN_LEFT, 1)), frames)
    assert (result.passed, result.code) == (True, "OK")
    assert (result.details["no_face_frames"], result.details["usable_frames"]) == (2, len(frames) - 2)


def test_too_many_frames_without_a_face_fail():
    frames = [OPEN] * 3 + blinks(1) + [LEFT] * 2 + [None] * 6
    result = judge(challenge((BLINK, 1), (TURN_LEFT, 1)), frames)
    assert (result.passed, result.code) == (False, "NO_FACE")
    assert result.reason == "有 6 帧（共 15 帧）未检测到人脸，请正对镜头并保持光线充足"


def test_thresholds_are_parameters():
    # given: half-closed eyes (EAR 0.22) and a mild turn (ratio 0.6)
    half, mild = face(ear=0.22), face(ratio=0.6)
    frames = [OPEN] * 3 + [half] * 2 + [OPEN] + [mild] * 2
    c = challenge((BLINK, 1), (TURN_LEFT, 1))
    # then
    assert judge(c, frames).code == "NO_MOTION"
    assert judge(c, frames, thresholds=Thresholds(ear_closed=0.25, turn_delta=0.08)).code == "OK"
