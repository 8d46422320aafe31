"""Per-request GraphQL context: the actor and the request's own dataloaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request

from app.api.loaders import Loaders
from app.api.deps import MobileDeps
from app.models import Officer
from app.services.actor import Actor
from app.services.ports import CoreBanking, Vault


@dataclass
class Context:
    request: Request | None
    actor: Actor | None
    officer: Officer | None = None
    loaders: Loaders = field(default_factory=Loaders)
    response: Any = None
    core: CoreBanking | None = None  # app.state.core, built once by app/wiring.py
    vault: Vault | None = None  # app.state.vault
    mobile: MobileDeps | None = None  # borrower-side adapters and settings, built once in create_app


Info = strawberry.Info[Context, None]
