"""Black and grey lists: entries by ID number with a reason and an optional expiry; all audited.

An entry is in force while it is not removed and `today` is before its `expires_on`
(an entry expiring on the 1st no longer counts on the 1st).

Lists across banks (issue 15): an entry belongs to the bank whose staff added it and counts only in that
bank's decisions — another member bank never learns of it. An entry with no bank is the platform's list
(added by the system: the command line, the provincial feed) and counts in every bank's decisions.

Maker-checker (双人复核): the doors call `propose_list_add` / `propose_list_remove`. An officer's change is a pending
command (kind `list_change`) that an approver, branch manager or admin of the maker's branch tree checks; the entry
is added or removed only then (`OPERATION.execute` checks again that it is not already listed / still listed). The
command keeps the number's lookup hash and mask, never the number. When the settings leave `list_change` out of
`CUNXIN_MAKER_CHECKER_KINDS` the change runs at once through the same command; the system's changes run at once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from uuid import UUID

from tortoise.expressions import Q
from tortoise.transactions import in_transaction

from app.clock import now_utc
from app.crypto import Vault
from app.domain import idcard
from app.domain.error_codes import CommonCode
from app.domain.errors import Conflict, NotFound, ValidationError
from app.domain.maker_checker import CommandKind, Effect, Figure, MakerCheckerPolicy
from app.domain.permissions import Action
from app.models import ListEntry, Officer, PendingCommand
from app.models.risk import ListKind
from app.services import audit
from app.services.actor import Actor
from app.services.maker_checker.registry import Operation, Params, Subject
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


@dataclass(frozen=True, slots=True)
class _Addition:
    id_number_hash: str
    id_number_masked: str
    name: str
    list_kind: ListKind
    reason: str
    expires_on: date | None


def _addition(vault: Vault, *, id_number: str, name: str, list_kind: ListKind | str, reason: str, today: date, expires_on: date | None) -> _Addition:
    """The form checked (ValueError for an unknown list kind, as before); the number kept only as its hash and mask."""
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
    return _Addition(vault.lookup_hash(number), idcard.mask(number), name.strip()[:32], list_kind, reason.strip()[:256], expires_on)


async def _refuse_duplicate(add: _Addition, *, bank_id: UUID | None, today: date) -> ListStatus:
    current = await entries_in_force(add.id_number_hash, today=today, bank_id=bank_id)
    if any(e.list_kind == add.list_kind and e.bank_id == bank_id for e in current.entries):
        raise Conflict(f"该客户已在{add.list_kind.label}中", code=CommonCode.DUPLICATE, field="id_number")
    return current


async def _insert(actor: Actor, add: _Addition, *, bank_id: UUID | None, today: date, created_by_id: UUID | None) -> ListEntry:
    async with in_transaction():
        await _refuse_duplicate(add, bank_id=bank_id, today=today)
        entry = await ListEntry.create(
            id_number_hash=add.id_number_hash,
            id_number_masked=add.id_number_masked,
            name=add.name,
            list_kind=add.list_kind,
            reason=add.reason,
            expires_on=add.expires_on,
            bank_id=bank_id,  # the actor's bank's list; the system's entries are the platform's
            created_by_id=created_by_id,
        )
        await audit.record(
            actor,
            "risk_list.add",
            "list_entry",
            entry.id,
            after={"listKind": add.list_kind.value, "idNumber": entry.id_number_masked, "reason": entry.reason,
                   "expiresOn": add.expires_on.isoformat() if add.expires_on else None},
        )
    return entry


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
    """Add an entry at once (the system's changes, and what a checked command runs); the doors call `propose_list_add`."""
    _require_manager(actor)
    add = _addition(vault, id_number=id_number, name=name, list_kind=list_kind, reason=reason, today=today, expires_on=expires_on)
    return await _insert(actor, add, bank_id=actor.bank_id, today=today, created_by_id=actor.id if actor.is_officer else None)


def _check_remove_reason(reason: str) -> str:
    if not reason.strip():
        raise ValidationError("请填写移出名单的原因", field="reason")
    return reason.strip()[:256]


async def _delete(actor: Actor, *, entry_id: UUID | str, bank_id: UUID | None, reason: str, now: datetime, removed_by_id: UUID | None) -> ListEntry:
    async with in_transaction():
        entry = await ListEntry.get_or_none(id=entry_id, bank_id=bank_id)  # only the actor's own bank's (or, for the system, the platform's) list
        if entry is None or entry.removed_at is not None:
            raise NotFound("名单记录不存在或已移出", field="entry_id")
        moved = await ListEntry.filter(id=entry.id, removed_at=None).update(removed_at=now, removed_by_id=removed_by_id, removed_reason=reason)
        if not moved:
            raise NotFound("名单记录不存在或已移出", field="entry_id")
        await audit.record(
            actor,
            "risk_list.remove",
            "list_entry",
            entry.id,
            before={"listKind": entry.list_kind.value, "reason": entry.reason},
            after={"removedReason": reason},
        )
    await entry.refresh_from_db()
    return entry


async def remove_from_list(*, actor: Actor, entry_id: UUID, reason: str, now: datetime) -> ListEntry:
    """Remove an entry at once (the system's changes, and what a checked command runs); the doors call `propose_list_remove`."""
    _require_manager(actor)
    reason = _check_remove_reason(reason)
    return await _delete(actor, entry_id=entry_id, bank_id=actor.bank_id, reason=reason, now=now,
                         removed_by_id=actor.id if actor.is_officer else None)


# --- maker-checker (双人复核): a list change as a pending command ---------------------------------


async def _subject(actor: Actor, params: Params) -> Subject:
    """The maker's bank's list; the command sits at the maker's own branch. A removal names an entry of that bank."""
    officer = await Officer.get(id=actor.id)
    if params["action"] == "remove":
        entry = await ListEntry.get_or_none(id=params["entry_id"], bank_id=actor.bank_id)
        if entry is None or entry.removed_at is not None:
            raise NotFound("名单记录不存在或已移出", field="entry_id")
        label = f"移出{ListKind(entry.list_kind).label} {entry.id_number_masked}"
    else:
        label = f"列入{ListKind(params['list_kind']).label} {params['id_number_masked']}"
    return Subject(actor.bank_id, officer.branch_id, label[:128])


def _state(status: ListStatus, bank_id: UUID) -> str:
    kinds = sorted({e.list_kind.label for e in status.entries if e.bank_id == bank_id})
    return "、".join(kinds) if kinds else "未列入"


async def _preview(params: Params, today: date) -> Effect:
    bank_id = UUID(params["bank_id"])
    if params["action"] == "remove":
        entry = await ListEntry.get_or_none(id=params["entry_id"], bank_id=bank_id)
        if entry is None or entry.removed_at is not None:
            raise NotFound("名单记录不存在或已移出", field="entry_id")
        before = await entries_in_force(entry.id_number_hash, today=today, bank_id=bank_id)
        after = ListStatus(tuple(e for e in before.entries if e.id != entry.id))
        kind = ListKind(entry.list_kind)
        return Effect(
            f"移出{kind.label}：{entry.name}（{entry.id_number_masked}）",
            (Figure("本行名单", _state(before, bank_id), _state(after, bank_id), money=False),
             Figure(f"{kind.label}期限", entry.expires_on.isoformat() if entry.expires_on else "长期", "已移出", money=False)),
            (f"列入原因：{entry.reason}", f"移出原因：{params['reason']}", "移出后该客户在本行的准入、用信不再因此名单被拒（平台名单另计）"),
        )
    add = _params_addition(params)
    before = await _refuse_duplicate(add, bank_id=bank_id, today=today)
    after_kinds = sorted({e.list_kind.label for e in before.entries if e.bank_id == bank_id} | {add.list_kind.label})
    notes = [f"列入原因：{add.reason}"]
    notes.append("黑名单：本行对该客户的准入与用信一律拒绝" if add.list_kind == ListKind.BLACK else "灰名单：本行对该客户的业务转人工审查")
    return Effect(
        f"列入{add.list_kind.label}：{add.name}（{add.id_number_masked}）",
        (Figure("本行名单", _state(before, bank_id), "、".join(after_kinds), money=False),
         Figure("到期日", "—", add.expires_on.isoformat() if add.expires_on else "长期", money=False)),
        tuple(notes),
    )


def _params_addition(params: Params) -> _Addition:
    expires = params.get("expires_on")
    return _Addition(params["id_number_hash"], params["id_number_masked"], params["name"], ListKind(params["list_kind"]), params["reason"],
                     date.fromisoformat(expires) if expires else None)


async def _execute(actor: Actor, params: Params, today: date) -> dict[str, Any]:
    """Runs in the checker's transaction: not already listed (an addition) / still listed (a removal), checked again."""
    bank_id, maker_id = UUID(params["bank_id"]), UUID(params["maker_id"])
    if params["action"] == "remove":
        entry = await _delete(actor, entry_id=params["entry_id"], bank_id=bank_id, reason=params["reason"], now=now_utc(), removed_by_id=maker_id)
    else:
        entry = await _insert(actor, _params_addition(params), bank_id=bank_id, today=today, created_by_id=maker_id)
    return {"entry_id": str(entry.id), "action": params["action"]}


OPERATION = Operation(CommandKind.LIST_CHANGE, Action.LIST_MANAGE, Action.LIST_CHANGE_APPROVE, _subject, _preview, _execute)


async def propose_list_add(
    *, actor: Actor, vault: Vault, id_number: str, name: str, list_kind: ListKind | str, reason: str, today: date, now: datetime,
    policy: MakerCheckerPolicy, expires_on: date | None = None,
) -> PendingCommand | ListEntry:
    """A branch manager or admin lists a customer: a pending command for a checker (approved at once when the settings do
    not list `list_change`); the system's additions are stored at once (the `ListEntry`)."""
    from app.services.maker_checker.commands import propose

    _require_manager(actor)
    if not actor.is_officer or actor.bank_id is None:
        return await add_to_list(actor=actor, vault=vault, id_number=id_number, name=name, list_kind=ListKind(list_kind), reason=reason,
                                 today=today, expires_on=expires_on)
    add = _addition(vault, id_number=id_number, name=name, list_kind=list_kind, reason=reason, today=today, expires_on=expires_on)
    params = {"action": "add", "id_number_hash": add.id_number_hash, "id_number_masked": add.id_number_masked, "name": add.name,
              "list_kind": add.list_kind.value, "reason": add.reason, "expires_on": add.expires_on.isoformat() if add.expires_on else None,
              "bank_id": str(actor.bank_id), "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.LIST_CHANGE, params=params, reason=add.reason, today=today, now=now, policy=policy)


async def propose_list_remove(
    *, actor: Actor, entry_id: UUID | str, reason: str, today: date, now: datetime, policy: MakerCheckerPolicy,
) -> PendingCommand | ListEntry:
    """A branch manager or admin takes an entry off: a pending command for a checker (approved at once when the settings
    do not list `list_change`); the system's removals run at once (the `ListEntry`)."""
    from app.services.maker_checker.commands import propose

    _require_manager(actor)
    if not actor.is_officer or actor.bank_id is None:
        return await remove_from_list(actor=actor, entry_id=UUID(str(entry_id)), reason=reason, now=now)
    reason = _check_remove_reason(reason)
    params = {"action": "remove", "entry_id": str(entry_id), "reason": reason, "bank_id": str(actor.bank_id), "maker_id": str(actor.id)}
    return await propose(actor=actor, kind=CommandKind.LIST_CHANGE, params=params, reason=reason, today=today, now=now, policy=policy)


async def entry_by_number(*, actor: Actor, vault: Vault, id_number: str, list_kind: ListKind | str, today: date) -> ListEntry:
    """The entry in force on the actor's bank's list of that kind for a number (for a door that names the customer, not
    the entry: `cunxin maker-checker propose list-remove --id-number`); the lookup is audited like `list_status`."""
    _require_manager(actor)
    try:
        kind = ListKind(list_kind)
    except ValueError:
        raise ValidationError("请选择名单类型", field="list_kind") from None
    try:
        number = idcard.parse(id_number).number
    except ValueError as exc:
        raise ValidationError(str(exc), field="id_number") from None
    status = await entries_in_force(vault.lookup_hash(number), today=today, bank_id=actor.bank_id)
    await audit.record(actor, "risk_list.check", "list_entry", None, after={"idNumber": idcard.mask(number), "listKind": kind.value})
    own = [e for e in status.entries if e.list_kind == kind and e.bank_id == actor.bank_id]
    if not own:
        raise NotFound(f"该客户不在本行{kind.label}中", field="id_number")
    return own[0]


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
