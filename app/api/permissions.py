"""Permission classes named after the rule; object scoping lives in services."""

from __future__ import annotations

from typing import Any

from strawberry.permission import BasePermission

from app.models.enums import ActorType, Role


class IsSignedIn(BasePermission):
    message = "请先登录"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.type != ActorType.API_KEY  # report keys reach only the reports


class IsOfficer(BasePermission):
    message = "仅限银行工作人员"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.is_officer


class IsAdmin(BasePermission):
    message = "仅限系统管理员"
    error_extensions = {"code": "FORBIDDEN"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.is_officer and actor.role == Role.ADMIN
