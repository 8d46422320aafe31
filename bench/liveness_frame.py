"""liveness_frame: time per frame of the liveness check (decode + dlib landmarks + judge).

    .venv/bin/python bench/liveness_frame.py [--rounds 5]

Bursts are synthetic (tests/workers/face_images.py): the astronaut photo with eyes painted
shut and the face warped sideways, JPEG-encoded, performing random challenges. The timed
call is `LandmarkEngine.check_liveness(challenge, frames)`, divided by the number of frames.
Target ≤ 60 ms per frame. Writes bench/results/liveness_frame.json.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.domain.liveness import BLINK, TURN_LEFT, TURN_RIGHT, Challenge  # noqa: E402
from bench.common import write_result  # noqa: E402
from tests.workers import face_images as fi  # noqa: E402
from workers.engines.liveness import LandmarkEngine  # noqa: E402

TARGET_MS = 60.0


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=5)
    opts = args.parse_args()

    started = time.perf_counter()
    engine = LandmarkEngine()
    load_s = time.perf_counter() - started

    image = fi.astronaut()
    points = engine.landmarks_of(image).points
    frame = {
        "open": fi.encode(image),
        BLINK: fi.encode(fi.close_eyes(image, points)),
        TURN_LEFT: fi.encode(fi.turn_head(image, points, 0.6)),
        TURN_RIGHT: fi.encode(fi.turn_head(image, points, -0.6)),
    }
    rng = random.Random(2026)
    per_frame, passed, frames_total = [], 0, 0
    for i in range(opts.rounds * 4):
        challenge = Challenge.create(rng, f"bench-nonce-{i:08d}-xyz")
        burst = [frame["open"]] * 3
        for action in challenge.actions:
            burst += ([frame[action.kind]] * 3 + [frame["open"]] * 2) * action.count
        t0 = time.perf_counter()
        result = engine.check_liveness(challenge, burst)
        per_frame.append((time.perf_counter() - t0) / len(burst))
        passed += result.passed
        frames_total += len(burst)
    assert passed == len(per_frame), "a performed challenge failed"

    mean_ms = statistics.fmean(per_frame) * 1000
    result = write_result(
        "liveness_frame",
        round(mean_ms, 2),
        "ms/frame",
        TARGET_MS,
        mean_ms <= TARGET_MS,
        bursts=len(per_frame),
        frames=frames_total,
        frame_size="512x512 JPEG",
        max_ms=round(max(per_frame) * 1000, 2),
        predictor_load_s=round(load_s, 3),
        loadavg_1_5_15=[round(x, 2) for x in os.getloadavg()],
    )
    print(result)


if __name__ == "__main__":
    main()
