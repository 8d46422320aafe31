"""Permission for keeping the black and grey lists (branch managers and admins)."""

from __future__ import annotations

from typing import Any

from app.api.permissions import Permission

from app.services.risk.reads import may_manage_lists


class CanManageLists(Permission):
    message = "只有支行行长或系统管理员可以维护黑灰名单"

    def allows(self, actor: Any, info: Any) -> bool:
        return actor.is_officer and may_manage_lists(actor)
