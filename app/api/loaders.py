"""DataLoaders, created per request (never at module level: they cache rows)."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from uuid import UUID

from strawberry.dataloader import DataLoader

from app.models import Branch


async def _branches_by_id(keys: Sequence[UUID]) -> list[Branch | None]:
    rows = {b.id: b for b in await Branch.filter(id__in=list(keys))}
    return [rows.get(k) for k in keys]


@dataclass
class Loaders:
    branch_by_id: DataLoader[UUID, Branch | None] = field(default_factory=lambda: DataLoader(load_fn=_branches_by_id))
