"""The officer's first login in Chromium with a fake camera: password, face enrolment, then liveness + face.

Chromium plays a .y4m file as its camera (`--use-file-for-fake-video-capture`), looping it. A
still picture cannot blink, so the file is a short loop that PERFORMS the challenge: the
astronaut photo (scikit-image) with the eyes painted shut for a few frames and the face warped
to its left for a few others (tests/workers/face_images.py). The server runs with a test-only
`CUNXIN_LIVENESS_SEED`, so its "random" challenge is the fixed one the loop performs: turn left,
then blink once. The loop is not synchronised with the page's capture: a burst may start
anywhere in it, and a challenge of one turn then blinks is met from any starting point within
two loops (a blink seen before the turn is ignored). A challenge with two turns could not be
met by a looping file, which is why the seed picks this one. Random challenges with two turns
are covered by tests/workers/engines/test_liveness.py on synthetic bursts.

A real ML worker process (`cunxin ml-worker`) and a real web server run against the test
database and Redis. Screenshots go to test-artifacts/.
"""

from __future__ import annotations

import os
import random
import shutil
from pathlib import Path

import cv2
import numpy as np
import pytest

from app.domain.liveness import BLINK, TURN_LEFT, Action, Challenge
from app.models import FaceEnrolment, FaceVerification, LivenessCheck, Officer, OfficerSession
from app.models.identity import JobStatus, LivenessStatus
from tests.e2e.conftest import CHROMIUM_ARGS, artifact, cunxin_running
from tests.factories import DEMO_PASSWORD
from tests.workers import face_images as fi

pytestmark = [pytest.mark.e2e, pytest.mark.ml]

SEED = 31  # Challenge.create(random.Random(31), ...) asks: turn left, then blink once
FPS = 10


def _loop_frames() -> list[np.ndarray]:
    """One loop of the fake camera (2.6 s at 10 fps): face the camera, turn left, back, blink, back."""
    from workers.engines.liveness import LandmarkEngine

    image = fi.astronaut()
    points = LandmarkEngine().landmarks_of(image).points
    looks = {"open": image, "left": fi.turn_head(image, points, 0.6), "closed": fi.close_eyes(image, points)}
    plan = [("open", 7), ("left", 5), ("open", 5), ("closed", 4), ("open", 5)]
    return [looks[name] for name, count in plan for _ in range(count)]


def write_y4m(path: Path, frames: list[np.ndarray], fps: int = FPS) -> Path:
    """A raw 4:2:0 video (YUV4MPEG2), the format Chromium's fake camera reads."""
    height, width = frames[0].shape[:2]
    with path.open("wb") as out:
        out.write(f"YUV4MPEG2 W{width} H{height} F{fps}:1 Ip A1:1 C420jpeg\n".encode())
        for frame in frames:
            out.write(b"FRAME\n")
            out.write(cv2.cvtColor(frame, cv2.COLOR_BGR2YUV_I420).tobytes())
    return path.resolve()


@pytest.fixture
def face_server(demo, redis_server):
    """`cunxin serve` with face login on and the fixed challenge, plus a real `cunxin ml-worker`."""
    env = {**os.environ, "CUNXIN_FACE_LOGIN_REQUIRED": "true", "CUNXIN_LIVENESS_SEED": str(SEED)}
    with cunxin_running(env, workers=(("ml-worker", "ml worker started", 90),)) as url:
        yield url


@pytest.fixture
async def camera_browser(tmp_path):
    from playwright.async_api import async_playwright

    executable = shutil.which("chromium")
    if executable is None:
        pytest.fail("system Chromium not found: run `make install` (installs the Debian chromium package)")
    video = write_y4m(tmp_path / "officer.y4m", _loop_frames())
    args = [*CHROMIUM_ARGS, "--use-fake-device-for-media-stream", "--use-fake-ui-for-media-stream", f"--use-file-for-fake-video-capture={video}"]
    async with async_playwright() as p:
        browser = await p.chromium.launch(executable_path=executable, args=args)
        yield browser
        await browser.close()


async def _wait_or_explain(page, selector: str, timeout_ms: int) -> None:
    """Wait for `selector`; on a timeout fail with what the page and the records say."""
    from playwright.async_api import TimeoutError as PlaywrightTimeout

    try:
        await page.wait_for_selector(selector, timeout=timeout_ms)
    except PlaywrightTimeout:
        records = [
            *[(e.status, e.error) for e in await FaceEnrolment.all()],
            *[(c.status, c.reason, c.frames_count, c.details) for c in await LivenessCheck.all()],
            *[(v.status, v.distance, v.error) for v in await FaceVerification.all()],
        ]
        await page.screenshot(path=str(artifact("face-login-failure.png")), full_page=True)
        pytest.fail(f"{selector} did not appear at {page.url}: {records}\n{(await page.inner_text('main'))[:800]}")


def test_the_seed_gives_the_challenge_the_video_performs():
    challenge = Challenge.create(random.Random(SEED), "n" * 24)
    assert challenge.actions == (Action(TURN_LEFT), Action(BLINK, 1))


async def test_officer_enrols_then_logs_in_with_password_and_a_live_face(face_server, camera_browser):
    page = await camera_browser.new_page(viewport={"width": 1280, "height": 800}, locale="zh-CN")
    # given the password step
    await page.goto(f"{face_server}/")
    await page.fill("#username", "officer1")
    await page.fill("#password", DEMO_PASSWORD)
    await page.click("button[type=submit]")
    # then an officer without a face on file is asked to enrol (trust on first use)
    await page.wait_for_selector("#enrol-start", state="visible", timeout=20_000)
    assert page.url == f"{face_server}/login/face/enrol?next=/"
    assert "首次使用即信任" in await page.inner_text("#face-enrol")
    await page.screenshot(path=str(artifact("face-enrol.png")), full_page=True)
    # when the officer takes the captures with the camera
    await page.click("#enrol-start")
    await _wait_or_explain(page, "#enrolment-ok", 60_000)
    assert "人脸录入成功（3 张）" in await page.inner_text("#enrolment-ok")
    officer = await Officer.get(username="officer1")
    assert officer.face_embeddings_enc is not None
    assert (await FaceEnrolment.get(officer_id=officer.id)).status == JobStatus.DONE
    # and goes on to the face login, where the challenge is shown in Chinese
    await page.click("#enrolment-continue")
    await page.click("#face-login-start")
    await page.wait_for_selector("#liveness-start", state="visible", timeout=20_000)
    prompts = await page.locator("#liveness-prompts li").all_inner_texts()
    assert prompts == ["请向左转头", "请眨眼 1 次"]
    assert "播放事先录好的本人视频" in await page.inner_text("#liveness-note")
    await page.screenshot(path=str(artifact("face-login-challenge.png")), full_page=True)
    # when the burst is captured and judged by the ML worker
    await page.click("#liveness-start")
    await _wait_or_explain(page, "#villages", 90_000)
    # then the dashboard opens, and the session carries the face check
    assert page.url == f"{face_server}/"
    assert await page.inner_text("#officer-name") == "张建华"
    await page.screenshot(path=str(artifact("face-login-dashboard.png")), full_page=True)
    check = await LivenessCheck.get(officer_id=officer.id)
    assert check.status == LivenessStatus.PASSED and 5 <= check.frames_count <= 60
    verification = await FaceVerification.get(liveness_id=check.id)
    assert verification.verified is True and verification.distance < verification.threshold
    session = await OfficerSession.get(officer_id=officer.id, revoked_at=None)
    assert session.face_verified_at is not None
