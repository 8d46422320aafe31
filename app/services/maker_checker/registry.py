"""The registry of operations that go through maker-checker (双人复核).

Each operation kind gives four things (docs/architecture.md, "Maker-checker"):

- `make_action` / `check_action`: the permission policy's actions for who may ask and who may check;
- `subject(actor, params)`: what the request is about (bank, branch, a label without personal identifiers), checking
  that the maker may see it; raises `NotFound` / `ValidationError` for bad parameters;
- `preview(params, today) -> Effect`: the figures before and after, read only; raises a `DomainError` when the
  operation cannot run (the maker is told at once; at check time the command fails and nothing changes);
- `execute(actor, params, today) -> dict`: does it, inside the checker's transaction, with `actor` the checker. It
  checks no permission of its own (the maker's and the checker's were checked) but every business rule again.
- `ports`: the outside systems `execute` needs besides (e.g. `("core", "vault")` for a reversal's refund); the door
  that approves hands them over (`approve(..., ports=...)`) and `execute` receives them as keyword arguments.

The kinds are listed in `kinds.py`; a new operation adds one line there.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import date
from typing import Any
from uuid import UUID

from app.domain.maker_checker import CommandKind, Effect
from app.domain.permissions import Action
from app.services.actor import Actor


@dataclass(frozen=True, slots=True)
class Subject:
    bank_id: UUID | None  # None: a platform command (platform staff change the platform's own things, e.g. the default rule set)
    branch_id: UUID
    label: str  # e.g. 借据 SX-2026-000123: shown in lists, never a personal identifier
    amount_fen: int | None = None  # what the approval authority is judged by (None: no amount, the role alone decides)


Params = dict[str, Any]


@dataclass(frozen=True, slots=True)
class Operation:
    kind: CommandKind
    make_action: Action
    check_action: Action
    subject: Callable[[Actor, Params], Awaitable[Subject]]
    preview: Callable[[Params, date], Awaitable[Effect]]
    execute: Callable[..., Awaitable[dict[str, Any]]]
    ports: tuple[str, ...] = ()
