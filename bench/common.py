"""The benchmark result format: bench/results/<name>.json."""

from __future__ import annotations

import json
import os
import platform
from datetime import UTC, datetime
from pathlib import Path

RESULTS = Path(__file__).resolve().parent / "results"


def machine() -> str:
    cpu = platform.processor() or platform.machine()
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    return f"{os.cpu_count()} cores, {cpu}"


def write_result(name: str, value: float, unit: str, target: float, ok: bool, **extra) -> dict:
    RESULTS.mkdir(parents=True, exist_ok=True)
    result = {
        "name": name,
        "value": value,
        "unit": unit,
        "target": target,
        "ok": bool(ok),
        "machine": machine(),
        "when": datetime.now(UTC).isoformat(timespec="seconds"),
        **extra,
    }
    (RESULTS / f"{name}.json").write_text(json.dumps(result, ensure_ascii=False, indent=2) + "\n")
    return result
