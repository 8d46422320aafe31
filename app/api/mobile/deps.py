"""What the borrower-side resolvers need besides the context's core and vault."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from strawberry.permission import BasePermission

from app.config import Settings
from app.integrations.bureau import CreditBureau
from app.integrations.registry import build_bureau
from app.integrations.sms import SmsSender, build_sms
from app.models.enums import ActorType
from app.services.auth.borrowers import SignInPolicy
from app.services.documents import MediaStore


@dataclass(frozen=True, slots=True)
class MobileDeps:
    settings: Settings
    sms: SmsSender
    bureau: CreditBureau
    media: MediaStore
    policy: SignInPolicy

    @classmethod
    def build(cls, settings: Settings) -> MobileDeps:
        """Once per app: the SMS gateway (the sandbox keeps its messages), the bureau, the media root."""
        return cls(
            settings=settings, sms=build_sms(settings), bureau=build_bureau(settings), media=MediaStore(settings.media_dir),
            policy=SignInPolicy.from_settings(settings),
        )


class IsCustomer(BasePermission):
    message = "请先登录手机银行"
    error_extensions = {"code": "UNAUTHENTICATED"}

    def has_permission(self, source: Any, info, **kwargs: Any) -> bool:
        actor = info.context.actor
        return actor is not None and actor.type == ActorType.CUSTOMER and actor.id is not None


def client_ip(info) -> str:
    request = info.context.request
    return request.client.host if request is not None and request.client else ""
