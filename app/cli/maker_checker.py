"""`cunxin maker-checker list|show|approve|reject` (双人复核 from the server): an operator acts as a named officer
(`--as USERNAME`) and the permission policy applies exactly as on the PAD — the same service functions
(`pending_queue`, `command_view`, `approve`, `reject`), so a maker cannot approve or reject their own request here
either, and every step is audited under the officer's name."""

from __future__ import annotations

from uuid import UUID

import typer

from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app.cli.base import run_in_db as _run

commands = typer.Typer(help="双人复核：以指定工作人员身份查看、审批或退回待复核申请（权限规则与 PAD 相同，发起人不能复核本人的申请）",
                       no_args_is_help=True, add_completion=False)
cli.add_typer(commands, name="maker-checker")

AS_HELP = "以该工作人员身份办理（登录用户名）；按其角色、机构和法人行判断权限"


def _id(text: str) -> UUID:
    try:
        return UUID(text.strip())
    except ValueError:
        _fail(f"申请编号格式不正确：{text}（应为 list 列出的完整编号）")


def _value(value: int | str | None, money: bool) -> str:
    from app.domain.money import yuan_str

    if value is None:
        return "—"
    return f"{yuan_str(value)} 元" if money and isinstance(value, int) else str(value)


def effect_lines(effect) -> list[str]:
    lines = [f"  {effect.title}"]
    lines += [f"  {f.label}：{_value(f.before, f.money)} → {_value(f.after, f.money)}" for f in effect.figures]
    lines += [f"  · {note}" for note in effect.notes]
    return lines


@commands.command("list")
def list_(username: str = typer.Option(..., "--as", help=AS_HELP)) -> None:
    """待复核: the pending requests this officer's role may check (their own marked: they cannot approve those)."""
    from app import clock
    from app.domain.maker_checker import COMMAND_KIND_LABELS
    from app.services.auth.officers import actor_by_username
    from app.services.maker_checker.commands import pending_queue

    async def work():
        actor = await actor_by_username(username)
        return actor, await pending_queue(actor=actor, now=clock.now_utc())

    actor, pending = _run(work, "查询失败")
    if not pending:
        typer.echo("暂无待复核的申请")
        return
    for c in pending:
        own = "  （本人发起，不能审批）" if c.maker_id == actor.id else ""
        typer.echo(f"{c.id}  {COMMAND_KIND_LABELS[c.kind]}  {c.subject}  {c.created_at:%Y-%m-%d %H:%M}  理由：{c.reason}{own}")


@commands.command("show")
def show(command_id: str = typer.Argument(..., help="申请编号（list 列出的完整编号）"), username: str = typer.Option(..., "--as", help=AS_HELP)) -> None:
    """One request: the effect the maker saw and the effect now, and whether this officer may decide it."""
    from app import clock
    from app.services import business_date
    from app.services.auth.officers import actor_by_username
    from app.domain.maker_checker import CommandStatus
    from app.services.maker_checker.commands import command_view

    cid = _id(command_id)

    async def work():
        actor = await actor_by_username(username)
        return await command_view(actor=actor, command_id=cid, today=await business_date.current(), now=clock.now_utc())

    view = _run(work, "查询失败")
    c = view.command
    typer.echo(f"{view.label}  {c.subject}  状态：{CommandStatus(c.status).label}  发起人：{view.maker_name}  理由：{c.reason}")
    typer.echo("发起时的影响：")
    typer.echo("\n".join(effect_lines(view.seen)))
    if view.now is not None and view.changed:
        typer.echo("现在的影响（与发起时不同，请核对）：")
        typer.echo("\n".join(effect_lines(view.now)))
    if view.blocked:
        typer.echo(f"现在无法执行：{view.blocked}")
    typer.echo("可以审批" if view.may_check else f"不能审批：{view.why_not}")


@commands.command("approve")
def approve_(
    command_id: str = typer.Argument(..., help="申请编号（list 列出的完整编号）"),
    username: str = typer.Option(..., "--as", help=AS_HELP),
    note: str = typer.Option("", "--note", help="审批意见（可不填）"),
) -> None:
    """Approve a request: its effect is computed again and shown, then the operation runs once (as on the PAD)."""
    from app import clock
    from app.services import business_date
    from app.services.auth.officers import actor_by_username
    from app.services.maker_checker.commands import approve, command_view

    cid = _id(command_id)
    ports = adapters()

    async def work():
        actor = await actor_by_username(username)
        today, now = await business_date.current(), clock.now_utc()
        view = await command_view(actor=actor, command_id=cid, today=today, now=now)
        seen = view.now.to_json() if view.now is not None else None  # what is printed is what is approved
        done = await approve(actor=actor, command_id=cid, today=today, now=now, note=note, seen=seen,
                             ports={"core": ports.core, "vault": ports.vault})
        return view, done

    view, done = _run(work, "审批失败")
    typer.echo(f"已审批通过并执行：{view.label}  {done.subject}")
    if view.now is not None:
        typer.echo("\n".join(effect_lines(view.now)))


@commands.command("reject")
def reject_(
    command_id: str = typer.Argument(..., help="申请编号（list 列出的完整编号）"),
    username: str = typer.Option(..., "--as", help=AS_HELP),
    reason: str = typer.Option(..., "--reason", help="退回理由（必填，发起人可见）"),
) -> None:
    """Send a request back with a reason; it is kept as rejected and nothing runs."""
    from app import clock
    from app.services import business_date
    from app.services.auth.officers import actor_by_username
    from app.services.maker_checker.commands import reject

    cid = _id(command_id)

    async def work():
        actor = await actor_by_username(username)
        return await reject(actor=actor, command_id=cid, note=reason, today=await business_date.current(), now=clock.now_utc())

    done = _run(work, "退回失败")
    typer.echo(f"已退回：{done.subject}  理由：{done.check_note}")
