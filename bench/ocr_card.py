"""ocr_card: warm ID-card reading, ours against calling rapidocr directly; and field accuracy.

    .venv/bin/python bench/ocr_card.py [--cards 24] [--accuracy-seeds 40] [--only speed|accuracy]

Two results in bench/results/:
- ocr_card: seconds per card for `workers.engines.ocr.read_id_card_image` (decode, resize/pad, OCR,
  geometry parsing, checks, portrait crop), warm. Target ≤ 0.5 s, and ≤ 1.15x the time of
  decoding the same bytes and calling the same engine directly (`engine(img, use_cls=False)`),
  measured in the same run, interleaved card by card.
- ocr_accuracy: field-level exact-match rate on generated cards (tests/support/idcards.py),
  clean and damaged, fronts and backs (targets 0.99 clean, 0.97 damaged).
"""

from __future__ import annotations

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

import cv2  # noqa: E402
import numpy as np  # noqa: E402

from app.domain.errors import DomainError  # noqa: E402
from bench.common import write_result  # noqa: E402
from tests.support.idcards import AS_OF, make_card  # noqa: E402
from workers.engines import build_ocr_engine  # noqa: E402
from workers.engines.ocr import read_id_card_image  # noqa: E402

TARGET_S = 0.5
TARGET_RATIO = 1.15
TARGET_CLEAN = 0.99
TARGET_DAMAGED = 0.97


def _cards(n: int, first_seed: int) -> list[tuple[bytes, dict, bool]]:
    out = []
    for i in range(n):
        side = "front" if i % 2 == 0 else "back"
        damaged = i % 4 >= 2
        data, truth = make_card(first_seed + i, side=side, damaged=damaged)
        out.append((data, truth, damaged))
    return out


def _direct(engine, data: bytes):
    img = cv2.imdecode(np.frombuffer(data, dtype=np.uint8), cv2.IMREAD_COLOR)
    return engine(img, use_cls=False)


def bench_speed(engine, n_cards: int) -> dict:
    cards = _cards(n_cards, first_seed=9000)
    for data, _, _ in cards[:2]:  # warm both paths
        read_id_card_image(engine, data, AS_OF)
        _direct(engine, data)
    ours, direct = [], []
    for i, (data, _, _) in enumerate(cards):
        # alternate which path goes first, so neither profits from cache or CPU-frequency effects
        for path in (("ours", "direct") if i % 2 == 0 else ("direct", "ours")):
            t0 = time.perf_counter()
            if path == "ours":
                try:
                    read_id_card_image(engine, data, AS_OF)
                except DomainError:
                    pass
                ours.append(time.perf_counter() - t0)
            else:
                _direct(engine, data)
                direct.append(time.perf_counter() - t0)
    mean_ours, mean_direct = statistics.fmean(ours), statistics.fmean(direct)
    ratio = mean_ours / mean_direct
    return write_result(
        "ocr_card", round(mean_ours, 3), "s", TARGET_S, mean_ours <= TARGET_S and ratio <= TARGET_RATIO,
        ratio=round(ratio, 3), ratio_target=TARGET_RATIO, direct_s=round(mean_direct, 3),
        median_s=round(statistics.median(ours), 3), max_s=round(max(ours), 3), cards=len(cards),
        loadavg_1_5_15=[round(v, 2) for v in os.getloadavg()],
    )


def bench_accuracy(engine, seeds: int) -> dict:
    counts = {"clean": [0, 0], "damaged": [0, 0]}
    per_field: dict[str, list[int]] = {}
    misses = []
    for seed in range(5000, 5000 + seeds):
        for side in ("front", "back"):
            for damaged in (False, True):
                data, truth = make_card(seed, side=side, damaged=damaged)
                try:
                    got = read_id_card_image(engine, data, AS_OF).reading.to_json()
                except DomainError as exc:
                    got = {"error": exc.code}
                kind = "damaged" if damaged else "clean"
                for key, want in truth.items():
                    if key == "side":
                        continue
                    hit = got.get(key) == want
                    counts[kind][0] += hit
                    counts[kind][1] += 1
                    f = per_field.setdefault(f"{kind}.{key}", [0, 0])
                    f[0] += hit
                    f[1] += 1
                    if not hit:
                        misses.append({"seed": seed, "side": side, "kind": kind, "field": key})
    clean = counts["clean"][0] / counts["clean"][1]
    damaged = counts["damaged"][0] / counts["damaged"][1]
    return write_result(
        "ocr_accuracy", round(damaged, 4), "exact-match rate (damaged)", TARGET_DAMAGED,
        clean >= TARGET_CLEAN and damaged >= TARGET_DAMAGED,
        clean=round(clean, 4), damaged=round(damaged, 4), clean_target=TARGET_CLEAN,
        fields_clean=counts["clean"][1], fields_damaged=counts["damaged"][1], cards=seeds * 4,
        per_field={k: round(a / b, 4) for k, (a, b) in sorted(per_field.items())}, misses=misses,
    )


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--cards", type=int, default=24, help="cards timed (half fronts, half damaged)")
    args.add_argument("--accuracy-seeds", type=int, default=40, help="seeds x 4 cards for the accuracy run")
    args.add_argument("--only", choices=("speed", "accuracy"), help="run one of the two measurements")
    opts = args.parse_args()
    t0 = time.perf_counter()
    engine = build_ocr_engine()
    print(f"engine built in {time.perf_counter() - t0:.2f} s")
    if opts.only in (None, "speed"):
        speed = bench_speed(engine, opts.cards)
        print(f"ocr_card: {speed['value']} s/card (direct {speed['direct_s']} s, "
              f"ratio {speed['ratio']}) ok={speed['ok']}")
    if opts.only in (None, "accuracy"):
        acc = bench_accuracy(engine, opts.accuracy_seeds)
        print(f"ocr_accuracy: clean {acc['clean']}, damaged {acc['damaged']} ok={acc['ok']}")


if __name__ == "__main__":
    main()
