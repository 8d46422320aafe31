"""face_verify: warm face match with the real deepface Dlib model.

    .venv/bin/python bench/face_verify.py [--rounds 8]

Two measurements, each written to bench/results/<name>.json:
- face_verify: `FaceEngine.verify(a, b)` on two JPEG/PNG photos (decode, Haar detection,
  alignment and a Dlib descriptor for each), target ≤ 0.6 s;
- face_verify_embedding: `verify_against(stored, capture)`: one new photo against an
  embedding stored at enrolment (unpacked from its float32 bytes), target ≤ 0.3 s.
Images: matplotlib's grace_hopper.jpg and scikit-image's astronaut, plus transforms of them
(tests/workers/face_images.py). Model load is reported, not timed in the targets.
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.domain.face import pack_embedding, unpack_embedding  # noqa: E402
from bench.common import write_result  # noqa: E402
from tests.workers import face_images as fi  # noqa: E402
from workers.engines.face import FaceEngine  # noqa: E402

TARGET_PAIR_S = 0.6
TARGET_STORED_S = 0.3


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--rounds", type=int, default=8)
    opts = args.parse_args()

    hopper, astronaut = fi.grace_hopper(), fi.astronaut()
    pairs = [
        (fi.encode(hopper), fi.encode(fi.flip(hopper))),
        (fi.encode(hopper), fi.encode(astronaut, ".png")),
        (fi.encode(astronaut), fi.encode(fi.brighten(astronaut))),
        (fi.encode(fi.crop(hopper)), fi.encode(fi.jpeg(astronaut))),
    ]
    captures = [fi.encode(t(hopper)) for t in (fi.flip, fi.crop, fi.brighten, fi.rotate)]

    started = time.perf_counter()
    engine = FaceEngine(Path(tempfile.mkdtemp(prefix="cunxin-bench-deepface-")))
    load_s = time.perf_counter() - started
    stored = unpack_embedding(pack_embedding(engine.represent(fi.encode(hopper))))  # also warms up

    pair_times, stored_times = [], []
    verdicts = []
    for _ in range(opts.rounds):
        for a, b in pairs:
            t0 = time.perf_counter()
            verdicts.append(engine.verify(a, b).verified)
            pair_times.append(time.perf_counter() - t0)
        for capture in captures:
            t0 = time.perf_counter()
            assert engine.verify_against(stored, capture).verified
            stored_times.append(time.perf_counter() - t0)
    assert verdicts[:4] == [True, False, True, False]

    load = [round(x, 2) for x in os.getloadavg()]
    pair_mean = statistics.fmean(pair_times)
    stored_mean = statistics.fmean(stored_times)
    common = {"model_load_s": round(load_s, 3), "loadavg_1_5_15": load}
    pair = write_result(
        "face_verify",
        round(pair_mean, 3),
        "s/verify",
        TARGET_PAIR_S,
        pair_mean <= TARGET_PAIR_S,
        verifies=len(pair_times),
        median_s=round(statistics.median(pair_times), 3),
        max_s=round(max(pair_times), 3),
        **common,
    )
    against = write_result(
        "face_verify_embedding",
        round(stored_mean, 3),
        "s/verify",
        TARGET_STORED_S,
        stored_mean <= TARGET_STORED_S,
        verifies=len(stored_times),
        median_s=round(statistics.median(stored_times), 3),
        max_s=round(max(stored_times), 3),
        **common,
    )
    print(pair)
    print(against)


if __name__ == "__main__":
    main()
