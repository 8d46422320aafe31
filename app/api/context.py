"""Per-request GraphQL context: the actor and the request's own dataloaders."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

import strawberry
from starlette.requests import Request

from app.api.loaders import Loaders
from app.models import Officer
from app.services.actor import Actor


@dataclass
class Context:
    request: Request | None
    actor: Actor | None
    officer: Officer | None = None
    loaders: Loaders = field(default_factory=Loaders)
    response: Any = None
    core: Any = None  # core-banking adapter (app.state.core)
    vault: Any = None  # PII vault (app.state.vault)
    mobile: Any = None  # borrower-side adapters and settings (app.api.mobile.deps.MobileDeps)


Info = strawberry.Info[Context, None]
