"""Liveness by challenge: the person blinks and turns their head as asked, in order.

Pure code. The server draws a random `Challenge` (a short sequence of actions such as
"blink twice, turn left") bound to a server nonce; the page shows the prompts and captures a
short burst of camera frames; a worker finds 68 facial landmarks per frame (dlib / iBUG order)
and `judge` decides from those landmarks alone.

- Blink: eye aspect ratio EAR = (|p2−p6| + |p3−p5|) / (2·|p1−p4|) over the six points of each
  eye (landmarks 36–41 and 42–47), averaged over both eyes. Open ≈0.3, closed ≈0.1–0.2. One
  blink = eyes open, then EAR below `ear_closed` (0.21) for at least `min_closed_frames` (2)
  frames in a row, then open again.
- Head turn: yaw ratio r = (nose_x − left_eye_x) / (right_eye_x − left_eye_x), where the nose
  is landmark 30 and "left eye" is the eye on the left of the image (landmarks 36–41, the
  person's right eye). Facing the camera r ≈ 0.5. Frames are the camera's raw, unmirrored image:
  when the person turns to their own left the nose moves to the image's right and r rises.
  `turn_left` needs r ≥ 0.5 + `turn_delta` (0.15) for `min_turn_frames` (2) frames in a row,
  `turn_right` r ≤ 0.5 − `turn_delta`. Pass `mirrored=True` when the page sends mirrored frames.
- Order: the steps must happen in the challenge's order. A head turn in the wrong direction
  fails the check; a blink while a turn is expected is ignored (people blink on their own).
- Frames without a face, or with more than one face, are counted and reported; any frame with
  several faces fails the check, and too many frames without a face fail it too.

What this stops: a printed photo held up to the camera or a still image shown on a phone. Such
a picture cannot close its eyes, and turning or tilting a flat picture barely changes the yaw
ratio (the nose and the eyes move together), so the random sequence cannot be performed.

What this does NOT stop: a replayed or live-generated video of the person (a video that happens
to contain the asked actions, or a deepfake puppeted in real time), a 3D mask with open eye
holes, or an injected camera stream. It is a presence check, not anti-spoofing; the face match
and an officer's eyes are still needed. Say so in the UI and the README.
"""

from __future__ import annotations

import hmac
import json
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from app.domain.error_codes import IdentityCode
from app.domain.errors import ValidationError

Point = tuple[float, float]

BLINK = "blink"
TURN_LEFT = "turn_left"
TURN_RIGHT = "turn_right"
ACTIONS = (BLINK, TURN_LEFT, TURN_RIGHT)
MAX_BLINKS = 3
LANDMARK_COUNT = 68
NOSE_TIP = 30
LEFT_EYE = slice(36, 42)  # left of the image: the person's right eye
RIGHT_EYE = slice(42, 48)

_ACTION_NAMES = {BLINK: "眨眼", TURN_LEFT: "向左转头", TURN_RIGHT: "向右转头"}


# --- geometry ----------------------------------------------------------------------------


def _dist(a: Point, b: Point) -> float:
    return math.hypot(a[0] - b[0], a[1] - b[1])


def eye_aspect_ratio(eye: Sequence[Point]) -> float:
    """EAR of one eye from its six landmarks p1..p6 (corner, two upper, corner, two lower)."""
    if len(eye) != 6:
        raise ValueError(f"an eye has 6 landmarks, got {len(eye)}")
    p1, p2, p3, p4, p5, p6 = eye
    width = _dist(p1, p4)
    if width == 0.0:
        raise ValueError("eye corners coincide")
    return (_dist(p2, p6) + _dist(p3, p5)) / (2.0 * width)


def yaw_ratio(nose_x: float, left_eye_x: float, right_eye_x: float) -> float:
    """(nose_x − left_eye_x) / (right_eye_x − left_eye_x); 0.5 when facing the camera."""
    span = right_eye_x - left_eye_x
    if span <= 0.0:
        raise ValueError("the image-left eye must be left of the image-right eye")
    return (nose_x - left_eye_x) / span


@dataclass(frozen=True)
class FrameLandmarks:
    """The 68 landmarks (x, y in pixels) of the one face found in a frame.

    `face_count` > 1 means the frame showed several faces (points are then the largest one's);
    a frame with no face is represented by None in the list given to `judge`.
    """

    points: tuple[Point, ...]
    face_count: int = 1

    def __post_init__(self) -> None:
        if len(self.points) != LANDMARK_COUNT:
            raise ValueError(f"expected {LANDMARK_COUNT} landmarks, got {len(self.points)}")
        if self.face_count < 1:
            raise ValueError("face_count must be at least 1 (use None for a frame without a face)")

    @classmethod
    def from_points(cls, points: Iterable[Sequence[float]], face_count: int = 1) -> FrameLandmarks:
        return cls(tuple((float(p[0]), float(p[1])) for p in points), face_count)

    def ear(self) -> float:
        """Mean eye aspect ratio of both eyes."""
        return (eye_aspect_ratio(self.points[LEFT_EYE]) + eye_aspect_ratio(self.points[RIGHT_EYE])) / 2.0

    def yaw_ratio(self) -> float:
        left = self.points[LEFT_EYE]
        right = self.points[RIGHT_EYE]
        return yaw_ratio(
            self.points[NOSE_TIP][0],
            math.fsum(p[0] for p in left) / 6.0,
            math.fsum(p[0] for p in right) / 6.0,
        )


# --- the challenge -----------------------------------------------------------------------


@dataclass(frozen=True)
class Action:
    kind: str
    count: int = 1

    def __post_init__(self) -> None:
        if self.kind not in ACTIONS:
            raise ValidationError(f"未知的活体动作：{self.kind}", code=IdentityCode.BAD_CHALLENGE)
        if self.kind == BLINK and not 1 <= self.count <= MAX_BLINKS:
            raise ValidationError(f"眨眼次数应为 1 至 {MAX_BLINKS} 次", code=IdentityCode.BAD_CHALLENGE)
        if self.kind != BLINK and self.count != 1:
            raise ValidationError("转头动作只做一次", code=IdentityCode.BAD_CHALLENGE)

    @property
    def prompt(self) -> str:
        """What the page tells the person, e.g. 请眨眼 2 次 / 请向左转头."""
        if self.kind == BLINK:
            return f"请眨眼 {self.count} 次"
        return f"请{_ACTION_NAMES[self.kind]}"


def _check_nonce(nonce: object) -> str:
    if not isinstance(nonce, str) or not 16 <= len(nonce) <= 128 or not nonce.isascii() or not nonce.isprintable():
        raise ValidationError("活体检测随机码无效", code=IdentityCode.BAD_CHALLENGE, field="nonce")
    if any(ch.isspace() for ch in nonce):
        raise ValidationError("活体检测随机码无效", code=IdentityCode.BAD_CHALLENGE, field="nonce")
    return nonce


@dataclass(frozen=True)
class Challenge:
    """A random sequence of actions, bound to the server nonce it was issued with."""

    nonce: str
    actions: tuple[Action, ...]

    def __post_init__(self) -> None:
        _check_nonce(self.nonce)
        if not self.actions:
            raise ValidationError("活体检测动作为空", code=IdentityCode.BAD_CHALLENGE)
        for before, after in zip(self.actions, self.actions[1:]):
            if before.kind == after.kind:
                raise ValidationError("相邻两步不能是同一动作", code=IdentityCode.BAD_CHALLENGE)

    @classmethod
    def create(cls, rng: random.Random, nonce: str) -> Challenge:
        """One blink step (1–3 blinks) placed at a random point among one or two head turns.

        Pass a `random.SystemRandom()` in production and a seeded `random.Random` in tests;
        the nonce comes from the server (e.g. `secrets.token_urlsafe(16)`).
        """
        turns = rng.choice([[TURN_LEFT], [TURN_RIGHT], [TURN_LEFT, TURN_RIGHT], [TURN_RIGHT, TURN_LEFT]])
        steps = [Action(kind) for kind in turns]
        steps.insert(rng.randint(0, len(steps)), Action(BLINK, rng.randint(1, MAX_BLINKS)))
        return cls(nonce=nonce, actions=tuple(steps))

    @property
    def prompts(self) -> list[str]:
        return [action.prompt for action in self.actions]

    def nonce_matches(self, nonce: str) -> bool:
        """Constant-time check that the frames came back with this challenge's nonce."""
        return hmac.compare_digest(self.nonce.encode(), nonce.encode())

    def to_json(self) -> str:
        body = {
            "v": 1,
            "nonce": self.nonce,
            "actions": [{"action": a.kind, "count": a.count} for a in self.actions],
        }
        return json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=True)

    @classmethod
    def from_json(cls, text: str) -> Challenge:
        try:
            body = json.loads(text)
        except (TypeError, ValueError) as exc:
            raise ValidationError("活体检测挑战数据无法解析", code=IdentityCode.BAD_CHALLENGE) from exc
        if not isinstance(body, dict) or body.get("v") != 1 or not isinstance(body.get("actions"), list):
            raise ValidationError("活体检测挑战数据格式不正确", code=IdentityCode.BAD_CHALLENGE)
        actions = []
        for item in body["actions"]:
            if not isinstance(item, dict) or not isinstance(item.get("count"), int) or isinstance(item.get("count"), bool):
                raise ValidationError("活体检测挑战数据格式不正确", code=IdentityCode.BAD_CHALLENGE)
            actions.append(Action(str(item.get("action")), item["count"]))
        return cls(nonce=_check_nonce(body.get("nonce")), actions=tuple(actions))


# --- judging -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Thresholds:
    ear_closed: float = 0.21
    min_closed_frames: int = 2
    turn_delta: float = 0.15
    min_turn_frames: int = 2
    min_frames: int = 5
    max_missing_ratio: float = 0.34
    max_multi_face_frames: int = 0


@dataclass(frozen=True)
class LivenessResult:
    passed: bool
    code: str  # OK, TOO_FEW_FRAMES, MULTIPLE_FACES, NO_FACE, NO_MOTION, WRONG_ACTION, INCOMPLETE
    reason: str  # Simplified Chinese, for the page and the record
    details: dict[str, object] = field(default_factory=dict)


@dataclass
class _Progress:
    step: int = 0
    blinks_in_step: int = 0
    blinks_seen: int = 0
    turns_seen: list[str] = field(default_factory=list)
    wrong: tuple[int, str] | None = None


def _observe(frame: FrameLandmarks, mirrored: bool) -> tuple[float, float] | None:
    try:
        ear = frame.ear()
        ratio = frame.yaw_ratio()
    except ValueError:
        return None
    return ear, (1.0 - ratio) if mirrored else ratio


def _pose(ratio: float, th: Thresholds) -> str:
    if ratio >= 0.5 + th.turn_delta:
        return TURN_LEFT
    if ratio <= 0.5 - th.turn_delta:
        return TURN_RIGHT
    return "centre"


def _follow(challenge: Challenge, observations: list[tuple[float, float]], th: Thresholds) -> _Progress:
    """Walk the frames once, turning EAR / yaw runs into events and matching them to the steps."""
    progress = _Progress()
    seen_open = False
    closed_run = 0
    pose, pose_run = "centre", 0
    for ear, ratio in observations:
        blinked = False
        if ear < th.ear_closed:
            closed_run += 1
        else:
            blinked = seen_open and closed_run >= th.min_closed_frames
            closed_run = 0
            seen_open = True
        current = _pose(ratio, th)
        pose_run = pose_run + 1 if current == pose else 1
        pose = current
        turned = pose if pose != "centre" and pose_run == th.min_turn_frames else None

        if blinked:
            progress.blinks_seen += 1
        if turned:
            progress.turns_seen.append(turned)
        if progress.step >= len(challenge.actions) or progress.wrong:
            continue
        if blinked and challenge.actions[progress.step].kind == BLINK:
            progress.blinks_in_step += 1
            if progress.blinks_in_step >= challenge.actions[progress.step].count:
                progress.step += 1
                progress.blinks_in_step = 0
        if turned and progress.step < len(challenge.actions):
            if turned == challenge.actions[progress.step].kind:
                progress.step += 1
            else:
                progress.wrong = (progress.step, turned)
    return progress


def judge(
    challenge: Challenge,
    frames: Sequence[FrameLandmarks | None],
    *,
    thresholds: Thresholds = Thresholds(),
    mirrored: bool = False,
) -> LivenessResult:
    """Decide whether the frames show a live person performing the challenge, in order."""
    th = thresholds
    total = len(frames)
    no_face = sum(1 for f in frames if f is None)
    multi = sum(1 for f in frames if f is not None and f.face_count > 1)
    observations = []
    for frame in frames:
        if frame is not None and frame.face_count == 1:
            seen = _observe(frame, mirrored)
            if seen is not None:
                observations.append(seen)
    unusable = total - multi - len(observations)  # no face, or landmarks that make no sense
    details: dict[str, object] = {
        "frames": total,
        "usable_frames": len(observations),
        "no_face_frames": no_face,
        "multi_face_frames": multi,
        "required_steps": len(challenge.actions),
        "prompts": challenge.prompts,
    }
    if observations:
        ears = [e for e, _ in observations]
        ratios = [r for _, r in observations]
        details.update(
            min_ear=round(min(ears), 3),
            max_ear=round(max(ears), 3),
            min_yaw_ratio=round(min(ratios), 3),
            max_yaw_ratio=round(max(ratios), 3),
        )

    def fail(code: str, reason: str) -> LivenessResult:
        return LivenessResult(False, code, reason, details)

    if total < th.min_frames:
        return fail("TOO_FEW_FRAMES", f"拍摄的画面太少（{total} 帧，至少需要 {th.min_frames} 帧），请重新检测")
    if multi > th.max_multi_face_frames:
        return fail("MULTIPLE_FACES", f"有 {multi} 帧画面中出现多张人脸，请确保镜头前只有本人")
    if unusable > th.max_missing_ratio * total or len(observations) < th.min_frames:
        return fail("NO_FACE", f"有 {unusable} 帧（共 {total} 帧）未检测到人脸，请正对镜头并保持光线充足")

    progress = _follow(challenge, observations, th)
    details.update(
        completed_steps=progress.step,
        blinks_seen=progress.blinks_seen,
        turns_seen=list(progress.turns_seen),
    )
    if progress.wrong is not None:
        step, did = progress.wrong
        return fail(
            "WRONG_ACTION",
            f"动作与提示不符：第 {step + 1} 步应{challenge.actions[step].prompt.removeprefix('请')}，"
            f"却检测到{_ACTION_NAMES[did]}，请按提示顺序重新检测",
        )
    if progress.step >= len(challenge.actions):
        return LivenessResult(True, "OK", "活体检测通过", details)
    if progress.blinks_seen == 0 and not progress.turns_seen:
        return fail("NO_MOTION", "未检测到眨眼或转头动作（画面可能是静止照片），请按提示完成动作")
    step = challenge.actions[progress.step]
    done = f"（已检测到 {progress.blinks_in_step} 次）" if step.kind == BLINK else ""
    return fail("INCOMPLETE", f"未完成第 {progress.step + 1} 步：{step.prompt}{done}，请重新检测")
