"""schedules_100k: 100,000 schedules of 36 months with app.domain.schedule.build_schedule.

    .venv/bin/python bench/schedules_100k.py [--count 100000] [--term 36] [--seed 2026]

Inputs are generated first (not timed): the three methods in turn, principal 1,000–300,000
yuan, annual rate 3.00 %–15.00 % in whole basis points, start dates over 2020–2027 and one
schedule in four with a broken first period (first due date 20–59 days after the start).
Each build_schedule call is timed on its own; every schedule is then checked (not timed):
36 rows, principals summing to the principal, no negative amount. A second pass keeps all
schedules alive to show the garbage collector's share (reported, not the value). Target: ≤ 10 s in all.
Writes bench/results/schedules_100k.json. No database.
"""

from __future__ import annotations

import argparse
import random
import sys
import time
from collections import Counter
from datetime import date, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.domain.schedule import Method, build_schedule  # noqa: E402
from bench.common import write_result  # noqa: E402
from bench.pg import code_version  # noqa: E402

TARGET_S = 10.0
METHODS = (Method.EQUAL_INSTALLMENT, Method.EQUAL_PRINCIPAL, Method.INTEREST_FIRST)


def make_inputs(count: int, seed: int) -> list[tuple[int, int, Method, date, date | None]]:
    rng = random.Random(seed)
    first_day = date(2020, 1, 1)
    inputs = []
    for n in range(count):
        principal = rng.randrange(1_000_00, 300_000_00 + 1)
        rate = rng.randrange(300, 1_500 + 1) * 100  # whole basis points, in ppm
        start = first_day + timedelta(days=rng.randrange(8 * 365))
        first_due = start + timedelta(days=rng.randrange(20, 60)) if n % 4 == 3 else None
        inputs.append((principal, rate, METHODS[n % 3], start, first_due))
    return inputs


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--count", type=int, default=100_000)
    args.add_argument("--term", type=int, default=36)
    args.add_argument("--seed", type=int, default=2026)
    opts = args.parse_args()

    inputs = make_inputs(opts.count, opts.seed)
    term = opts.term
    per_method: Counter[str] = Counter()
    method_time: dict[str, float] = Counter()
    bad = rows = 0
    clock = time.perf_counter
    total = 0.0
    for principal, rate, method, start, first_due in inputs:
        t0 = clock()
        schedule = build_schedule(principal, rate, term, method, start, first_due)
        spent = clock() - t0
        total += spent
        method_time[method.value] += spent
        # correctness guard (outside the timed call): a fast wrong answer is not a result
        per_method[method.value] += 1
        rows += len(schedule.installments)
        if len(schedule.installments) != term or sum(r.principal_fen for r in schedule.installments) != principal:
            bad += 1
        elif any(r.principal_fen < 0 or r.interest_fen < 0 for r in schedule.installments):
            bad += 1

    # the same calls again, keeping every schedule alive (3.6M row tuples): shows the cost
    # of the cyclic GC scanning a large live heap, not of the schedule code itself
    kept = []
    t0 = clock()
    for principal, rate, method, start, first_due in inputs:
        kept.append(build_schedule(principal, rate, term, method, start, first_due))
    retained = clock() - t0
    del kept

    result = write_result(
        "schedules_100k",
        round(total, 3),
        "s",
        TARGET_S,
        total <= TARGET_S and bad == 0,
        schedules=len(inputs),
        term_months=term,
        rows=rows,
        per_schedule_us=round(total / len(inputs) * 1e6, 2),
        per_method_us={m: round(method_time[m] / per_method[m] * 1e6, 2) for m in sorted(per_method)},
        broken_first_period_share=0.25,
        invalid_schedules=bad,
        app_code=code_version(),
        all_kept_in_memory_s=round(retained, 3),
        note=(
            "value = sum of the build_schedule calls, each schedule checked then dropped; inputs generated beforehand."
            " all_kept_in_memory_s = the same calls keeping all 100k schedules alive (GC over a growing heap)"
        ),
    )
    print(result)


if __name__ == "__main__":
    main()
