"""Black and grey lists: entries by ID number with a reason and an optional expiry; all audited.

An entry is in force while it is not removed and `today` is before its `expires_on`
(an entry expiring on the 1st no longer counts on the 1st).

Lists across banks (issue 15): an entry belongs to the bank whose staff added it and counts only in that
bank's decisions — another member bank never learns of it. An entry with no bank is the platform's list
(added by the system: the command line, the provincial feed) and counts in every bank's decisions.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from uuid import UUID

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.crypto import Vault
from app.domain import idcard
from app.domain.error_codes import CommonCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.permissions import Action
from app.models import ListEntry
from app.models.risk import ListKind
from app.services import audit
from app.services.actor import Actor
from app.services.permissions import require
from app.services.risk.common import require_staff



def _require_manager(actor: Actor) -> None:
    require(actor, Action.LIST_MANAGE)


@dataclass(frozen=True, slots=True)
class ListStatus:
    entries: tuple[ListEntry, ...]  # in force, newest first

    @property
    def black(self) -> tuple[ListEntry, ...]:
        return tuple(e for e in self.entries if e.list_kind == ListKind.BLACK)

    @property
    def grey(self) -> tuple[ListEntry, ...]:
        return tuple(e for e in self.entries if e.list_kind == ListKind.GREY)

    @property
    def is_black(self) -> bool:
        return bool(self.black)


def bank_lists(bank_id: UUID | None) -> Q:
    """The lists that apply at a bank: its own entries and the platform's (only the platform's without a bank)."""
    return Q(bank_id=None) | Q(bank_id=bank_id) if bank_id is not None else Q(bank_id=None)


async def entries_in_force(id_number_hash: str, *, today: date, bank_id: UUID | None) -> ListStatus:
    """The entries in force for a number at `bank_id` (the bank deciding): its own and the platform's."""
    rows = (
        await ListEntry.filter(id_number_hash=id_number_hash, removed_at=None)
        .filter(bank_lists(bank_id))
        .filter(Q(expires_on=None) | Q(expires_on__gt=today))
        .order_by("-created_at")
    )
    return ListStatus(entries=tuple(rows))


async def add_to_list(
    *,
    actor: Actor,
    vault: Vault,
    id_number: str,
    name: str,
    list_kind: ListKind,
    reason: str,
    today: date,
    expires_on: date | None = None,
) -> ListEntry:
    _require_manager(actor)
    list_kind = ListKind(list_kind)
    try:
        number = idcard.parse(id_number).number
    except ValueError as exc:
        raise ValidationError(str(exc), field="id_number") from None
    if not name.strip():
        raise ValidationError("请填写姓名", field="name")
    if not reason.strip():
        raise ValidationError("请填写列入名单的原因", field="reason")
    if expires_on is not None and expires_on <= today:
        raise ValidationError("到期日应晚于今天", field="expires_on")
    lookup = vault.lookup_hash(number)
    async with in_transaction():
        current = await entries_in_force(lookup, today=today, bank_id=actor.bank_id)
        if any(e.list_kind == list_kind and e.bank_id == actor.bank_id for e in current.entries):
            raise Conflict(f"该客户已在{list_kind.label}中", code=CommonCode.DUPLICATE, field="id_number")
        entry = await ListEntry.create(
            id_number_hash=lookup,
            id_number_masked=idcard.mask(number),
            name=name.strip()[:32],
            list_kind=list_kind,
            reason=reason.strip()[:256],
            expires_on=expires_on,
            bank_id=actor.bank_id,  # the actor's bank's list; the system's entries are the platform's
            created_by_id=actor.id if actor.is_officer else None,
        )
        await audit.record(
            actor,
            "risk_list.add",
            "list_entry",
            entry.id,
            after={"listKind": list_kind.value, "idNumber": entry.id_number_masked, "reason": entry.reason, "expiresOn": expires_on.isoformat() if expires_on else None},
        )
    return entry


async def remove_from_list(*, actor: Actor, entry_id: UUID, reason: str, now: datetime) -> ListEntry:
    _require_manager(actor)
    if not reason.strip():
        raise ValidationError("请填写移出名单的原因", field="reason")
    async with in_transaction():
        entry = await ListEntry.get_or_none(id=entry_id, bank_id=actor.bank_id)  # only the actor's own bank's (or, for the system, the platform's) list
        if entry is None or entry.removed_at is not None:
            raise NotFound("名单记录不存在或已移出", field="entry_id")
        await ListEntry.filter(id=entry.id).update(
            removed_at=now, removed_by_id=actor.id if actor.is_officer else None, removed_reason=reason.strip()[:256]
        )
        await audit.record(
            actor,
            "risk_list.remove",
            "list_entry",
            entry.id,
            before={"listKind": entry.list_kind.value, "reason": entry.reason},
            after={"removedReason": reason.strip()[:256]},
        )
    await entry.refresh_from_db()
    return entry


async def list_status(*, actor: Actor, vault: Vault, id_number: str, today: date) -> ListStatus:
    """Which entries are in force for a number (expired and removed ones are ignored); audited."""
    require_staff(actor)
    number = idcard.normalize(id_number)
    status = await entries_in_force(vault.lookup_hash(number), today=today, bank_id=actor.bank_id)
    await audit.record(
        actor,
        "risk_list.check",
        "list_entry",
        None,
        after={"idNumber": idcard.mask(number), "black": len(status.black), "grey": len(status.grey)},
    )
    return status
