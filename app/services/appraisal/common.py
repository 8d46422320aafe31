"""What every appraisal step needs: loading within scope, roles, rules, the panel links."""

from __future__ import annotations

import base64
import copy
import hashlib
import hmac
from pathlib import Path
from uuid import UUID

import yaml

from app.crypto import Vault
from app.domain.appraisal import DEFAULT_RULES, AppraisalRules, rules_from_data
from app.domain.error_codes import AppraisalCode
from app.domain.errors import NotFound, ValidationError
from app.domain.permissions import Action
from app.domain.scorecard import SCORECARDS
from app.models import Appraisal
from app.services.actor import Actor
from app.services.permissions import require
from app.services.census.access import village_query



def require_manager(actor: Actor) -> None:
    require(actor, Action.APPRAISAL_MANAGE)


def require_approver(actor: Actor) -> None:
    require(actor, Action.APPRAISAL_APPROVE)


async def appraisal_for(actor: Actor, appraisal_id: UUID, *, lock: bool = False) -> Appraisal:
    """The appraisal if its village is in the actor's scope (lock it inside a transaction when asked)."""
    query = Appraisal.select_for_update() if lock else Appraisal
    appraisal = await query.get_or_none(id=appraisal_id)
    if appraisal is None or not await village_query(actor).filter(id=appraisal.village_id).exists():
        raise NotFound("评议不存在或不在您的管辖范围内", field="appraisal_id")
    return appraisal


def rules_of(appraisal: Appraisal) -> AppraisalRules:
    return rules_from_data(appraisal.rules)


def load_rules(path: Path | None) -> dict:
    """The rules for a new appraisal: DEFAULT_RULES overlaid with a YAML file, checked, scorecard inlined."""
    data = copy.deepcopy(DEFAULT_RULES)
    if path is not None:
        try:
            loaded = yaml.safe_load(Path(path).read_text("utf-8")) or {}
        except (OSError, yaml.YAMLError) as exc:
            raise ValidationError(f"无法读取评议规则文件：{type(exc).__name__}", code=AppraisalCode.INVALID_RULES) from None
        if not isinstance(loaded, dict):
            raise ValidationError("评议规则文件应为键值结构", code=AppraisalCode.INVALID_RULES)
        data.update(loaded)
    rules_from_data(data)
    if isinstance(data["scorecard"], str):
        data["scorecard"] = copy.deepcopy(SCORECARDS[data["scorecard"]])
    return data


def link_token(vault: Vault, member_id: UUID, nonce: str) -> str:
    """The secret part of a panel member's voting link: a MAC of the member id and nonce under the server key."""
    mac = hmac.new(vault.session_key, b"panel-vote:" + member_id.bytes + nonce.encode(), hashlib.sha256).digest()
    return base64.urlsafe_b64encode(mac[:24]).decode()


def link_matches(vault: Vault, member_id: UUID, nonce: str | None, token: str) -> bool:
    return bool(nonce) and hmac.compare_digest(link_token(vault, member_id, nonce), token)
