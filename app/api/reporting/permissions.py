"""Who may run reports: officers (their branch tree) and report keys (their scope)."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from app.domain.permissions import Action
from app.services.permissions import may


class CanReadReports(BasePermission):
    message = "请使用工作人员登录或报表密钥"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        return may(info.context.actor, Action.REPORT_READ)  # staff (their scope) and report keys: docs/permissions.md
