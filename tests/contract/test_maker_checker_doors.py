"""Every door goes through maker-checker for the operations that need a second officer (双人复核).

The services that change a rule set or a black/grey list or pay a drawdown at once (`upload_ruleset`,
`activate_ruleset`, `use_platform_default`, `add_to_list`, `remove_from_list`, `draw_down`) are what a checked command
runs; the PAD and GraphQL call the proposing service instead (`propose_ruleset_upload`, `propose_ruleset_activate`,
`propose_use_platform_default`, `propose_list_add`, `propose_list_remove`, `counter_draw_down`), which stores a
pending command unless the settings leave the kind out (or, for a drawdown, the amount is within the threshold).
"""

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
DIRECT = ("upload_ruleset", "activate_ruleset", "use_platform_default", "add_to_list", "remove_from_list", "draw_down")


def _door_sources():
    for folder in (ROOT / "ui", ROOT / "app" / "api", ROOT / "app" / "cli"):
        yield from folder.rglob("*.py")


def test_no_door_calls_a_direct_change_that_needs_a_checker():
    calls = [(str(path.relative_to(ROOT)), name) for path in _door_sources() for name in DIRECT
             if re.search(rf"\b{name}\(", path.read_text(encoding="utf-8"))]
    assert calls == []


def test_the_doors_call_the_proposing_services():
    text = (ROOT / "ui" / "risk.py").read_text(encoding="utf-8") + (ROOT / "app" / "api" / "risk" / "mutations.py").read_text(encoding="utf-8")
    for name in ("propose_ruleset_upload", "propose_ruleset_activate", "propose_use_platform_default", "propose_list_add", "propose_list_remove"):
        assert text.count(f"{name}(") == 2, name


def test_the_counter_drawdown_doors_call_the_threshold_service():
    text = (ROOT / "ui" / "lending.py").read_text(encoding="utf-8") + (ROOT / "app" / "api" / "lending" / "mutations.py").read_text(encoding="utf-8")
    assert text.count("counter_draw_down(") == 2
