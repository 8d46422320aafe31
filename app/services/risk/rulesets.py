"""Rule sets as data: the active version per kind, uploads by admins (validated, audited).

Two kinds: the credit-report reject rules and the admission/anti-fraud/limit/pricing
strategy. Each has its shipped default (stored and activated the first time it is needed)
and its own loader, which refuses a bad upload before anything is stored.
"""

from __future__ import annotations

from collections.abc import Callable
from importlib import resources
from typing import Any

from tortoise.transactions import in_transaction

from app.domain.error_codes import RiskCode
from app.domain.errors import Conflict, NotFound
from app.domain.permissions import Action
from app.domain.rules import DEFAULT_REJECT_RULESET, DEFAULT_STRATEGY_RULESET, load_ruleset, load_strategy_ruleset
from app.models import RuleSetVersion
from app.models.risk import RuleSetKind
from app.services import audit
from app.services.actor import Actor
from app.services.permissions import require

SHIPPED = {RuleSetKind.REJECT: DEFAULT_REJECT_RULESET, RuleSetKind.STRATEGY: DEFAULT_STRATEGY_RULESET}
LOADERS: dict[RuleSetKind, Callable[[str], Any]] = {RuleSetKind.REJECT: load_ruleset, RuleSetKind.STRATEGY: load_strategy_ruleset}


def shipped_ruleset_text(kind: RuleSetKind = RuleSetKind.REJECT) -> str:
    return resources.files("app.domain.rules").joinpath(SHIPPED[kind]).read_text(encoding="utf-8")


def load_kind(kind: RuleSetKind, yaml_text: str) -> Any:
    """The loaded rule set (RuleSet or StrategyRuleSet); BAD_RULESET when the text is not one of this kind."""
    return LOADERS[kind](yaml_text)


def _require_admin(actor: Actor) -> None:
    require(actor, Action.RULESET_UPLOAD)


async def active_ruleset(*, actor: Actor, kind: RuleSetKind = RuleSetKind.REJECT) -> tuple[RuleSetVersion, Any]:
    """The active version (row and loaded rules); the shipped YAML is stored first when none is."""
    row = await RuleSetVersion.filter(kind=kind, is_active=True).first()
    if row is None:
        text = shipped_ruleset_text(kind)
        ruleset = load_kind(kind, text)
        async with in_transaction():
            row, created = await RuleSetVersion.get_or_create(
                version=ruleset.version,
                defaults={"kind": kind, "yaml_text": text, "description": ruleset.description[:256], "is_active": True},
            )
            if not row.is_active:
                await RuleSetVersion.filter(id=row.id).update(is_active=True)
                row.is_active = True
            await audit.record(actor, "ruleset.seed", "rule_set_version", row.id, after={"version": row.version, "kind": kind.value, "created": created})
        return row, ruleset
    return row, load_kind(kind, row.yaml_text)


async def upload_ruleset(*, actor: Actor, yaml_text: str, kind: RuleSetKind = RuleSetKind.REJECT) -> RuleSetVersion:
    """Store a new version and make it the active one. BAD_RULESET errors pass through; nothing is stored."""
    _require_admin(actor)
    kind = RuleSetKind(kind)
    ruleset = load_kind(kind, yaml_text)
    async with in_transaction():
        if await RuleSetVersion.exists(version=ruleset.version):
            raise Conflict(f"规则集版本 {ruleset.version} 已存在，请使用新的版本号", code=RiskCode.DUPLICATE_VERSION, field="version")
        previous = await RuleSetVersion.filter(kind=kind, is_active=True).first()
        await RuleSetVersion.filter(kind=kind, is_active=True).update(is_active=False)
        row = await RuleSetVersion.create(
            kind=kind,
            version=ruleset.version,
            description=ruleset.description[:256],
            yaml_text=yaml_text,
            is_active=True,
            uploaded_by_id=actor.id,
        )
        await audit.record(
            actor,
            "ruleset.upload",
            "rule_set_version",
            row.id,
            before={"version": previous.version} if previous else None,
            after={"version": row.version, "kind": kind.value, "rules": len(ruleset.rules)},
        )
    return row


async def activate_ruleset(*, actor: Actor, version: str) -> RuleSetVersion:
    """Make a stored version active again (roll back an upload)."""
    _require_admin(actor)
    async with in_transaction():
        row = await RuleSetVersion.get_or_none(version=version)
        if row is None:
            raise NotFound(f"规则集版本 {version} 不存在", field="version")
        previous = await RuleSetVersion.filter(kind=row.kind, is_active=True).first()
        await RuleSetVersion.filter(kind=row.kind, is_active=True).update(is_active=False)
        await RuleSetVersion.filter(id=row.id).update(is_active=True)
        await audit.record(
            actor,
            "ruleset.activate",
            "rule_set_version",
            row.id,
            before={"version": previous.version} if previous else None,
            after={"version": row.version},
        )
    await row.refresh_from_db()
    return row
