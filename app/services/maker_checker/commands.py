"""Maker-checker (双人复核): a maker asks, a second officer checks, the operation runs exactly once.

`propose` stores the request as a `PendingCommand` with the effect the maker saw; `command_view` shows a checker
that effect and the one computed now (both when they differ); `approve` runs the operation inside the transaction
that moves the command from pending to approved by one conditional UPDATE, so of two concurrent approvals one wins
and the other is told the request was already decided; `reject` keeps the command with the checker's note; requests
older than the policy's hours expire (kept, never deleted). Nobody checks their own request (`require(maker_id=)`).

A command belongs to the maker's member bank, or — made by platform staff (a platform admin's change of the platform
default rule set) — to the platform (`bank_id` null): only platform staff see and check a platform command, and a
bank's officers only their own bank's (`_visible`: the viewer's bank must be the command's, None for both).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any
from uuid import UUID

from tortoise.transactions import in_transaction

from app.domain.error_codes import CommonCode, MakerCheckerCode
from app.domain.errors import Conflict, DomainError, Forbidden, NotFound, ValidationError
from app.domain.maker_checker import CommandKind, CommandStatus, Effect, MakerCheckerPolicy, effect_differs
from app.domain.money import Money
from app.domain.permissions import HEAD_OFFICE_ACTIONS, Action
from app.domain.vocabulary import ActorType
from app.models import Bank, Officer, PendingCommand
from app.services import audit
from app.services.actor import Actor
from app.services.maker_checker.kinds import OPERATIONS
from app.services.maker_checker.registry import Operation, Params
from app.services.permissions import may, require


def operation(kind: CommandKind | str) -> Operation:
    try:
        return OPERATIONS[CommandKind(kind)]
    except (ValueError, KeyError):
        raise ValidationError("该业务尚未接入双人复核", code=MakerCheckerCode.UNKNOWN_KIND, field="kind") from None


def _officer(actor: Actor) -> UUID:
    """The maker or checker: an officer (of a member bank, or platform staff for the platform's commands)."""
    if actor.type != ActorType.OFFICER or actor.id is None:
        raise Forbidden("双人复核的发起与复核须由工作人员办理", code=CommonCode.FORBIDDEN)
    return actor.id


class _Decided(Conflict):
    """Raised inside the approving transaction when another decision came first (rolls back, changes nothing)."""


def _ports(op: Operation, ports: dict[str, Any] | None) -> dict[str, Any]:
    """The outside systems the operation's execution needs, from what the door handed over."""
    missing = [name for name in op.ports if not ports or ports.get(name) is None]
    if missing:
        raise ValidationError("核心系统未接入，无法执行", code=CommonCode.INVALID)
    return {name: ports[name] for name in op.ports}


async def propose(
    *, actor: Actor, kind: CommandKind | str, params: Params, reason: str, today: date, now: datetime, policy: MakerCheckerPolicy,
    ports: dict[str, Any] | None = None,
) -> PendingCommand:
    """The maker's request: checked, previewed and stored as pending (or run at once when the policy does not list the kind)."""
    op = operation(kind)
    require(actor, op.make_action)
    maker_id = _officer(actor)
    reason = reason.strip()
    if not reason:
        raise ValidationError("请填写申请理由", code=CommonCode.REASON_REQUIRED, field="reason")
    subject = await op.subject(actor, params)
    if subject.bank_id != actor.bank_id:  # a command is the maker's bank's (platform staff: the platform's), never another's
        raise Forbidden("该业务不在您的管辖范围内", code=CommonCode.FORBIDDEN)
    require(actor, op.make_action, branch_id=subject.branch_id)
    effect = await op.preview(params, today)
    async with in_transaction():
        command = await PendingCommand.create(
            kind=op.kind, params=params, bank_id=subject.bank_id, branch_id=subject.branch_id, subject=subject.label[:128],
            amount_fen=subject.amount_fen, head_office=subject.bank_id is not None and policy.above_branch_authority(subject.amount_fen),
            maker_id=maker_id, reason=reason[:200], preview=effect.to_json(), made_on=today,
            expires_at=now + timedelta(hours=policy.expire_hours),
        )
        await audit.record(actor, "command.propose", "pending_command", command.id, after={"kind": op.kind.value, "subject": subject.label})
        if not policy.needs_check(op.kind):  # not on the settings' list: runs now, recorded like a checked one
            result = await op.execute(actor, params, today, **_ports(op, ports))
            await PendingCommand.filter(id=command.id).update(
                status=CommandStatus.APPROVED, check_preview=effect.to_json(), checked_on=today, decided_at=now, result=result,
                check_note="无需复核（设置未列入）",
            )
    return await PendingCommand.get(id=command.id)


@dataclass(frozen=True, slots=True)
class CommandView:
    command: PendingCommand
    label: str  # the kind's Chinese label
    seen: Effect  # what the maker saw
    now: Effect | None  # computed again for a pending command (None when it can no longer run: `blocked` says why)
    blocked: str  # why the operation cannot run now ("" when it can)
    may_check: bool  # this viewer may approve or reject it
    why_not: str  # why not ("" when they may)
    maker_name: str = ""
    checker_name: str = ""

    @property
    def changed(self) -> bool:
        return self.now is not None and effect_differs(self.seen, self.now)

    @property
    def checked(self) -> Effect | None:
        """The effect computed when the checker decided (kept on the command)."""
        return Effect.from_json(self.command.check_preview) if self.command.check_preview else None


async def _visible(actor: Actor, command_id: UUID) -> tuple[PendingCommand, Operation]:
    command = await PendingCommand.get_or_none(id=command_id)
    if command is None or actor.type != ActorType.OFFICER or actor.bank_id != command.bank_id:
        raise NotFound("复核申请不存在", field="command_id")
    op = operation(command.kind)
    if not (actor.in_branch(command.branch_id) or may(actor, op.check_action) or actor.id == command.maker_id):
        raise NotFound("复核申请不存在", field="command_id")
    return command, op


async def _check_refusal(actor: Actor, command: PendingCommand, op: Operation) -> str:
    try:
        await _require_checker(actor, command, op)
    except DomainError as exc:
        return exc.message
    return ""


async def _require_checker(actor: Actor, command: PendingCommand, op: Operation) -> None:
    """The policy's check action as this officer, not the maker; a head-office action, or a request above the branch's
    approval authority, by the bank's head office; a platform command (no bank: `_visible` already let only platform
    staff see it) within the maker's node."""
    head = await _checking_head(command, op)
    require(actor, op.check_action, maker_id=command.maker_id, head_branch_id=head)
    if head is None:
        require(actor, op.check_action, branch_id=command.branch_id)
    elif command.head_office and not actor.in_branch(head):
        raise Forbidden(f"该申请金额 {_yuan(command.amount_fen)} 超出支行审批权限，须由总行复核", code=CommonCode.FORBIDDEN)


async def command_view(*, actor: Actor, command_id: UUID, today: date, now: datetime) -> CommandView:
    """One request as its checker (or its maker) sees it: the effect the maker saw and, while pending, the effect now."""
    await expire_overdue(now=now)
    command, op = await _visible(actor, command_id)
    current, blocked = None, ""
    if command.status == CommandStatus.PENDING:
        try:
            current = await op.preview(command.params, today)
        except DomainError as exc:
            blocked = exc.message
    why_not = await _check_refusal(actor, command, op) if command.status == CommandStatus.PENDING else "该申请已处理"
    await audit.record(actor, "command.view", "pending_command", command.id)
    names = dict(await Officer.filter(id__in=[i for i in (command.maker_id, command.checker_id) if i]).values_list("id", "display_name"))
    return CommandView(command, op.kind.label, Effect.from_json(command.preview), current, blocked, not why_not, why_not,
                       names.get(command.maker_id, ""), names.get(command.checker_id, ""))


async def pending_queue(*, actor: Actor, now: datetime) -> list[PendingCommand]:
    """待复核: the pending requests of the actor's bank that the actor's role may check (their own included, marked by the page)."""
    await expire_overdue(now=now)
    if actor.type != ActorType.OFFICER:
        return []
    kinds = [k for k, op in OPERATIONS.items() if may(actor, op.check_action)]
    if not kinds:
        return []
    # the actor's bank's commands; platform staff (no bank): the platform's commands only
    rows = await PendingCommand.filter(bank_id=actor.bank_id, status=CommandStatus.PENDING, kind__in=kinds).order_by("created_at")
    visible = []
    for c in rows:
        head = await _checking_head(c, OPERATIONS[CommandKind(c.kind)])
        if actor.in_branch(head or c.branch_id):
            visible.append(c)
    return visible


async def _checking_head(command: PendingCommand, op: Operation) -> UUID | None:
    """The head branch whose officers check this request: for a head-office action or a request above the branch's
    authority; None when the branch's own checkers do."""
    return await _head_branch(command) if op.check_action in HEAD_OFFICE_ACTIONS or command.head_office else None


def _yuan(fen: int | None) -> str:
    return Money(fen or 0).format_yuan()


async def _head_branch(command: PendingCommand) -> UUID | None:
    """The head branch of the command's bank (None for a platform command: no bank, no head office)."""
    return None if command.bank_id is None else (await Bank.get(id=command.bank_id)).head_branch_id


async def my_requests(*, actor: Actor, limit: int = 50) -> list[PendingCommand]:
    """The maker's own requests, newest first, whatever their status."""
    if actor.type != ActorType.OFFICER:
        return []
    return await PendingCommand.filter(maker_id=actor.id).order_by("-created_at").limit(limit)


async def approve(
    *, actor: Actor, command_id: UUID, today: date, now: datetime, note: str = "", seen: dict | None = None,
    ports: dict[str, Any] | None = None,
) -> PendingCommand:
    """The checker approves: the effect is computed again and the operation runs once, in one transaction.

    `seen`: the effect the checker was shown (`Effect.to_json()`); when the effect changed since, nothing runs and the
    checker is asked to look again (EFFECT_CHANGED). If the operation cannot run, the command is kept as failed with
    the reason and nothing else changes.
    """
    command, op = await _visible(actor, command_id)
    await _require_checker(actor, command, op)
    checker_id = _officer(actor)
    given = _ports(op, ports)
    if command.status != CommandStatus.PENDING:
        raise Conflict(f"该申请已处理（{CommandStatus(command.status).label}）", code=MakerCheckerCode.COMMAND_DECIDED, field="command_id")
    if now >= command.expires_at:
        await expire_overdue(now=now)
        raise Conflict("该申请已过期，请发起人重新提交", code=MakerCheckerCode.REQUEST_EXPIRED, field="command_id")
    try:
        async with in_transaction():
            effect = await op.preview(command.params, today)
            if seen is not None and Effect.from_json(seen).to_json() != effect.to_json():
                raise _Decided("影响已变化，请重新查看后再审批", code=MakerCheckerCode.EFFECT_CHANGED, field="command_id")
            won = await PendingCommand.filter(id=command.id, status=CommandStatus.PENDING).update(
                status=CommandStatus.APPROVED, checker_id=checker_id, check_preview=effect.to_json(), checked_on=today, decided_at=now,
                check_note=note.strip()[:200],
            )
            if not won:
                raise _Decided("该申请已由他人处理", code=MakerCheckerCode.COMMAND_DECIDED, field="command_id")
            result = await op.execute(actor, {**command.params, "command_id": str(command.id)}, today, **given)
            await PendingCommand.filter(id=command.id).update(result=result)
            await audit.record(actor, "command.approve", "pending_command", command.id,
                               after={"kind": op.kind.value, "maker": str(command.maker_id), "changed": effect_differs(Effect.from_json(command.preview), effect)})
    except _Decided:
        raise
    except DomainError as exc:
        if not await _fail(actor, command, exc.message, today=today, now=now):  # another checker decided first (and may have run it)
            raise Conflict("该申请已由他人处理", code=MakerCheckerCode.COMMAND_DECIDED, field="command_id") from exc
        raise Conflict(f"执行失败，未做任何变更：{exc.message}", code=MakerCheckerCode.EXECUTION_FAILED, field=exc.field) from exc
    return await PendingCommand.get(id=command.id)


async def _fail(actor: Actor, command: PendingCommand, message: str, *, today: date, now: datetime) -> bool:
    """Keep the command as failed; False when it was no longer pending (a concurrent checker decided it first)."""
    async with in_transaction():
        failed = await PendingCommand.filter(id=command.id, status=CommandStatus.PENDING).update(
            status=CommandStatus.FAILED, checker_id=actor.id, checked_on=today, decided_at=now, error=message[:200],
        )
        if failed:
            await audit.record(actor, "command.fail", "pending_command", command.id, after={"error": message[:200]})
    return bool(failed)


async def reject(*, actor: Actor, command_id: UUID, note: str, today: date, now: datetime) -> PendingCommand:
    """The checker sends the request back with a reason; it is kept as rejected."""
    command, op = await _visible(actor, command_id)
    await _require_checker(actor, command, op)
    checker_id = _officer(actor)
    note = note.strip()
    if not note:
        raise ValidationError("请填写退回理由", code=CommonCode.REASON_REQUIRED, field="note")
    async with in_transaction():
        won = await PendingCommand.filter(id=command.id, status=CommandStatus.PENDING, expires_at__gt=now).update(
            status=CommandStatus.REJECTED, checker_id=checker_id, checked_on=today, decided_at=now, check_note=note[:200],
        )
        if not won:
            raise Conflict("该申请已处理或已过期", code=MakerCheckerCode.COMMAND_DECIDED, field="command_id")
        await audit.record(actor, "command.reject", "pending_command", command.id, after={"note": note[:200]})
    return await PendingCommand.get(id=command.id)


async def expire_overdue(*, now: datetime) -> int:
    """Pending requests past their time become expired (kept)."""
    return await PendingCommand.filter(status=CommandStatus.PENDING, expires_at__lte=now).update(status=CommandStatus.EXPIRED, decided_at=now)


def is_command(made: object) -> bool:
    """For doors whose service returns either a command (went through maker-checker) or the changed thing (ran at once)."""
    return isinstance(made, PendingCommand)


def check_action_of(kind: CommandKind | str) -> Action:
    return operation(kind).check_action
