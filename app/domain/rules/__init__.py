"""Rule sets as versioned data, evaluated by pure code.

The shipped defaults live in `rulesets/` as package data; reading them is I/O and
belongs to the caller (command line, services):
`importlib.resources.files("app.domain.rules").joinpath(DEFAULT_REJECT_RULESET).read_text("utf-8")`.
"""

from app.domain.rules.catalogue import CATALOGUE
from app.domain.rules.engine import (
    DEFAULT_REJECT_RULESET,
    Decision,
    Hit,
    Rule,
    RuleSet,
    evaluate,
    explain,
    load_ruleset,
)

__all__ = [
    "CATALOGUE",
    "DEFAULT_REJECT_RULESET",
    "Decision",
    "Hit",
    "Rule",
    "RuleSet",
    "evaluate",
    "explain",
    "load_ruleset",
]
