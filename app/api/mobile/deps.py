"""What the borrower-side resolvers need besides the context's core and vault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.permission import BasePermission

from app.config import Settings
from app.models.enums import ActorType
from app.services.auth.borrowers import SignInPolicy
from app.services.ports import CreditBureau, MediaStore, SmsSender


@dataclass(frozen=True, slots=True)
class MobileDeps:
    """Built once per app by `app/main.py:create_app` from the process's adapters (app/wiring.py)."""

    settings: Settings
    sms: SmsSender
    bureau: CreditBureau
    media: MediaStore
    policy: SignInPolicy


class IsCustomer(BasePermission):
    message = "请先登录手机银行"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.type == ActorType.CUSTOMER and actor.id is not None


def client_ip(info) -> str:
    request = info.context.request
    return request.client.host if request is not None and request.client else ""
