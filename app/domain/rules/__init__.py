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
    worst_outcome,
)
from app.domain.rules.strategies import (
    DEFAULT_STRATEGY_RULESET,
    StrategyDecision,
    StrategyRuleSet,
    evaluate_strategy_rules,
    explain_strategy,
    load_strategy_ruleset,
)
from app.domain.rules.strategy_catalogue import STRATEGY_CATALOGUE, StrategyFacts

__all__ = [
    "CATALOGUE",
    "DEFAULT_REJECT_RULESET",
    "DEFAULT_STRATEGY_RULESET",
    "Decision",
    "Hit",
    "Rule",
    "RuleSet",
    "STRATEGY_CATALOGUE",
    "StrategyDecision",
    "StrategyFacts",
    "StrategyRuleSet",
    "evaluate",
    "evaluate_strategy_rules",
    "explain",
    "explain_strategy",
    "load_ruleset",
    "load_strategy_ruleset",
    "worst_outcome",
]
