"""Who may run reports: officers (their branch tree) and report keys (their scope)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from app.models.enums import ActorType


class CanReadReports(BasePermission):
    message = "请使用工作人员登录或报表密钥"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.type in (ActorType.OFFICER, ActorType.API_KEY)
