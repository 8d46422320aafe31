"""Risk control services: authorisations, credit queries and decisions, gates, rule sets, lists, identity."""

from app.services.risk.authorisation import record_authorisation, revoke_authorisation, valid_authorisation
from app.services.risk.credit import PulledReport, check_credit, credit_gate, latest_decision, pull_credit_report
from app.services.risk.identity import verify_identity
from app.services.risk.lists import ListStatus, add_to_list, list_status, propose_list_add, propose_list_remove, remove_from_list
from app.services.risk.rulesets import (
    activate_ruleset,
    active_ruleset,
    propose_ruleset_activate,
    propose_ruleset_upload,
    propose_use_platform_default,
    shipped_ruleset_text,
    upload_ruleset,
    use_platform_default,
)
from app.services.risk.strategy import StrategyOutcome, evaluate_strategy, gather_facts, open_debt_fen

__all__ = [
    "ListStatus",
    "PulledReport",
    "StrategyOutcome",
    "activate_ruleset",
    "active_ruleset",
    "add_to_list",
    "check_credit",
    "credit_gate",
    "evaluate_strategy",
    "gather_facts",
    "latest_decision",
    "list_status",
    "open_debt_fen",
    "propose_list_add",
    "propose_list_remove",
    "propose_ruleset_activate",
    "propose_ruleset_upload",
    "propose_use_platform_default",
    "pull_credit_report",
    "record_authorisation",
    "remove_from_list",
    "revoke_authorisation",
    "shipped_ruleset_text",
    "upload_ruleset",
    "use_platform_default",
    "valid_authorisation",
    "verify_identity",
]
