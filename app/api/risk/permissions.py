"""Permission for keeping the black and grey lists (branch managers and admins)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from app.services.risk.reads import may_manage_lists


class CanManageLists(BasePermission):
    message = "只有支行行长或系统管理员可以维护黑灰名单"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.is_officer and may_manage_lists(actor)
