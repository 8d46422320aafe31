"""rules_eval: the default reject rule set over 10,000 generated reports, parse + evaluate.

    .venv/bin/python bench/rules_eval.py [--reports 10000] [--seed 2026]

Reports are generated and serialised first (not timed); the timed loop parses each
document with the hardened parser and evaluates the shipped default rule set on it.
Target: ≤ 5 ms per report. Writes bench/results/rules_eval.json.
"""

from __future__ import annotations

import argparse
import random
import statistics
import sys
import time
from collections import Counter
from datetime import date, timedelta
from importlib import resources
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from app.domain.credit_report import parse_report  # noqa: E402
from app.integrations.sandbox import PROFILES, generate_report, to_xml  # noqa: E402
from app.domain.rules import DEFAULT_REJECT_RULESET, evaluate, load_ruleset  # noqa: E402
from bench.common import write_result  # noqa: E402

TARGET_MS = 5.0
# mostly clean borrowers, as in a real village; every kind of trouble represented
WEIGHTS = {p: (40 if p == "clean" else 8 if p == "thin" else 5) for p in PROFILES}


def make_documents(n: int, seed: int) -> list[bytes]:
    rng = random.Random(seed)
    profiles = rng.choices(list(WEIGHTS), weights=list(WEIGHTS.values()), k=n)
    first = date(2025, 1, 1)
    return [
        to_xml(generate_report(rng, report_date=first + timedelta(days=rng.randrange(700)), profile=profile))
        for profile in profiles
    ]


def main() -> None:
    args = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    args.add_argument("--reports", type=int, default=10_000)
    args.add_argument("--seed", type=int, default=2026)
    opts = args.parse_args()

    rules = load_ruleset(resources.files("app.domain.rules").joinpath(DEFAULT_REJECT_RULESET).read_text("utf-8"))
    documents = make_documents(opts.reports, opts.seed)

    decisions: Counter[str] = Counter()
    per_report: list[float] = []
    started = time.perf_counter()
    for data in documents:
        t0 = time.perf_counter()
        report = parse_report(data)
        decisions[evaluate(rules, report, report.report_date).decision] += 1
        per_report.append(time.perf_counter() - t0)
    total = time.perf_counter() - started

    mean_ms = total / len(documents) * 1000
    cuts = statistics.quantiles(per_report, n=100)
    result = write_result(
        "rules_eval",
        round(mean_ms, 4),
        "ms/report",
        TARGET_MS,
        mean_ms <= TARGET_MS,
        reports=len(documents),
        p50_ms=round(cuts[49] * 1000, 4),
        p99_ms=round(cuts[98] * 1000, 4),
        max_ms=round(max(per_report) * 1000, 4),
        mean_document_bytes=round(sum(map(len, documents)) / len(documents)),
        decisions=dict(sorted(decisions.items())),
        ruleset=rules.version,
    )
    print(result)


if __name__ == "__main__":
    main()
