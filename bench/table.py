"""Rewrite the benchmark table in README.md from bench/results/*.json."""

from __future__ import annotations

import json
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
START, END = "<!-- bench:start -->", "<!-- bench:end -->"


def table() -> str:
    rows = ["| benchmark | value | unit | target | ok | machine | when |", "|---|---|---|---|---|---|---|"]
    for path in sorted((ROOT / "bench" / "results").glob("*.json")):
        r = json.loads(path.read_text())
        ok = "✅" if r.get("ok") else "❌ missed"
        rows.append(f"| {r['name']} | {r['value']} | {r['unit']} | {r['target']} | {ok} | {r['machine']} | {r['when']} |")
    if len(rows) == 2:
        rows.append("| (none yet) | | | | | | |")
    return "\n".join(rows)


def main() -> None:
    readme = ROOT / "README.md"
    text = readme.read_text(encoding="utf-8")
    head, _, rest = text.partition(START)
    _, _, tail = rest.partition(END)
    readme.write_text(f"{head}{START}\n{table()}\n{END}{tail}", encoding="utf-8")
    print(table())


if __name__ == "__main__":
    main()
