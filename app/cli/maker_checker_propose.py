"""`cunxin maker-checker propose ruleset-upload|ruleset-activate|ruleset-default|list-add|list-remove --as USERNAME`:
the maker's side of 双人复核 from the server. The operator acts as the named officer (as `maker-checker approve`
does) and each command calls the one proposing service the PAD and GraphQL call (`propose_ruleset_upload`,
`propose_ruleset_activate`, `propose_use_platform_default`, `propose_list_add`, `propose_list_remove`), so the
permission policy, the request's effect and the audit trail are the same; a second officer decides the request with
`maker-checker approve|reject` or on the PAD. Never the system: the named officer is always the maker.
"""

from __future__ import annotations

from datetime import date
from pathlib import Path
from uuid import UUID

import typer

from app.cli.base import adapters, read_file
from app.cli.base import fail as _fail
from app.cli.base import run_in_db as _run
from app.cli.maker_checker import AS_HELP, commands, effect_lines

propose = typer.Typer(help="发起双人复核申请：以指定工作人员身份提交规则集、黑灰名单变更（权限规则与 PAD 相同，须另一位工作人员复核后生效）",
                      no_args_is_help=True, add_completion=False)
commands.add_typer(propose, name="propose")

REASON_HELP = "申请理由（复核人可见）"
FAILURE = "提交失败"


def _ruleset_kind(text: str):
    from app.domain.vocabulary import RuleSetKind

    try:
        return RuleSetKind(text.strip().lower())
    except ValueError:
        _fail(f"规则集类型不正确：{text}（应为 {'、'.join(k.value for k in RuleSetKind)} 之一）")


def _read_text(path: Path) -> str:
    data = read_file(path, "规则集文件")
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        _fail(f"规则集文件 {path} 不是 UTF-8 文本")


def _policy():
    from app.config import get_settings
    from app.wiring import maker_checker_policy

    return maker_checker_policy(get_settings())


async def _stamp() -> dict:
    from app import clock
    from app.services import business_date

    return {"today": await business_date.current(), "now": clock.now_utc()}


def _report(made) -> None:
    """What was asked, the request's number and its effect; or (when the settings leave the kind out) that it ran."""
    from app.domain.maker_checker import COMMAND_KIND_LABELS, CommandStatus, Effect
    from app.services.maker_checker.commands import is_command

    if not is_command(made):  # not reached from here: the named officer's change is always a command
        typer.echo("已执行（无需复核）")
        return
    label = COMMAND_KIND_LABELS[made.kind]
    if made.status == CommandStatus.PENDING:
        typer.echo(f"已提交复核：{label}  {made.subject}")
    else:
        typer.echo(f"无需复核（设置未列入），已执行：{label}  {made.subject}")
    typer.echo(f"申请编号：{made.id}")
    typer.echo("影响：")
    typer.echo("\n".join(effect_lines(Effect.from_json(made.preview))))
    if made.status == CommandStatus.PENDING:
        typer.echo(f"须由另一位有权复核的工作人员审批：cunxin maker-checker approve {made.id} --as 复核人用户名（或在 PAD 待复核页面）")


@propose.command("ruleset-upload")
def ruleset_upload(
    file: Path = typer.Argument(..., help="规则集 YAML 文件（UTF-8）"),
    username: str = typer.Option(..., "--as", help=AS_HELP),
    kind: str = typer.Option("reject", "--kind", help="规则集类型：reject（征信拒绝规则）、strategy（准入与额度策略）、online（线上产品策略）"),
    reason: str = typer.Option("", "--reason", help=REASON_HELP + "；留空则用规则集的说明"),
) -> None:
    """上传规则集：法人行管理员的本行版本由另一位管理员或总行审批人复核；平台管理员的平台默认版本由另一位平台管理员复核。"""
    from app.services.auth.officers import actor_by_username
    from app.services.risk.rulesets import propose_ruleset_upload

    ruleset_kind = _ruleset_kind(kind)
    text = _read_text(file)
    policy = _policy()

    async def work():
        actor = await actor_by_username(username)
        return await propose_ruleset_upload(actor=actor, yaml_text=text, kind=ruleset_kind, reason=reason, policy=policy, **await _stamp())

    _report(_run(work, FAILURE))


@propose.command("ruleset-activate")
def ruleset_activate(
    version: str = typer.Argument(..., help="要重新启用的已上传版本号（本行的；平台管理员：平台默认的）"),
    username: str = typer.Option(..., "--as", help=AS_HELP),
    reason: str = typer.Option("", "--reason", help=REASON_HELP),
) -> None:
    """重新启用一个旧版本（回退），复核通过后生效。"""
    from app.services.auth.officers import actor_by_username
    from app.services.risk.rulesets import propose_ruleset_activate

    policy = _policy()

    async def work():
        actor = await actor_by_username(username)
        return await propose_ruleset_activate(actor=actor, version=version, reason=reason, policy=policy, **await _stamp())

    _report(_run(work, FAILURE))


@propose.command("ruleset-default")
def ruleset_default(
    username: str = typer.Option(..., "--as", help=AS_HELP),
    kind: str = typer.Option(..., "--kind", help="规则集类型：reject 或 strategy"),
    reason: str = typer.Option("", "--reason", help=REASON_HELP),
) -> None:
    """停用本行版本、改用平台默认版本（法人行管理员），复核通过后生效。"""
    from app.services.auth.officers import actor_by_username
    from app.services.risk.rulesets import propose_use_platform_default

    ruleset_kind = _ruleset_kind(kind)
    policy = _policy()

    async def work():
        actor = await actor_by_username(username)
        return await propose_use_platform_default(actor=actor, kind=ruleset_kind, reason=reason, policy=policy, **await _stamp())

    _report(_run(work, FAILURE))


@propose.command("list-add")
def list_add(
    username: str = typer.Option(..., "--as", help=AS_HELP),
    id_number: str = typer.Option(..., "--id-number", prompt="身份证号码", hide_input=True,
                                  help="客户身份证号码（不写则提示输入，不回显；申请只保存其掩码与查询摘要）"),
    name: str = typer.Option(..., "--name", help="客户姓名"),
    list_kind: str = typer.Option(..., "--list", help="名单类型：black（黑名单）或 grey（灰名单）"),
    reason: str = typer.Option(..., "--reason", help="列入名单的原因"),
    expires: str = typer.Option("", "--expires", help="到期日 YYYY-MM-DD（不写则长期）"),
) -> None:
    """列入本行黑名单或灰名单，复核通过后生效。"""
    from app.domain.vocabulary import ListKind
    from app.services.auth.officers import actor_by_username
    from app.services.risk.lists import propose_list_add

    try:
        kind = ListKind(list_kind.strip().lower())
    except ValueError:
        _fail(f"名单类型不正确：{list_kind}（应为 black 或 grey）")
    try:
        expires_on = date.fromisoformat(expires.strip()) if expires.strip() else None
    except ValueError:
        _fail(f"日期格式不正确：{expires}（应为 YYYY-MM-DD）")
    policy = _policy()
    vault = adapters().vault

    async def work():
        actor = await actor_by_username(username)
        return await propose_list_add(actor=actor, vault=vault, id_number=id_number, name=name, list_kind=kind, reason=reason,
                                      expires_on=expires_on, policy=policy, **await _stamp())

    _report(_run(work, FAILURE))


@propose.command("list-remove")
def list_remove(
    entry_id: str = typer.Argument("", help="名单记录编号（PAD 黑灰名单页面或 GraphQL 的记录编号）；或改用 --id-number 与 --list"),
    username: str = typer.Option(..., "--as", help=AS_HELP),
    reason: str = typer.Option(..., "--reason", help="移出名单的原因"),
    id_number: str = typer.Option("", "--id-number", help="客户身份证号码（不给记录编号时：移出该客户在本行该名单中的记录）"),
    list_kind: str = typer.Option("", "--list", help="名单类型：black 或 grey（与 --id-number 一起用）"),
) -> None:
    """将一条本行名单记录移出，复核通过后生效。"""
    from app.domain.vocabulary import ListKind
    from app.services.auth.officers import actor_by_username
    from app.services.risk.lists import entry_by_number, propose_list_remove

    entry = kind = None
    if entry_id.strip():
        try:
            entry = UUID(entry_id.strip())
        except ValueError:
            _fail(f"名单记录编号格式不正确：{entry_id}")
    elif not id_number.strip():
        _fail("请给出名单记录编号，或用 --id-number 与 --list 指明客户和名单")
    else:
        try:
            kind = ListKind(list_kind.strip().lower())
        except ValueError:
            _fail(f"名单类型不正确：{list_kind}（应为 black 或 grey）")
    policy = _policy()
    vault = adapters().vault if entry is None else None

    async def work():
        actor = await actor_by_username(username)
        stamp = await _stamp()
        target = entry
        if target is None:
            target = (await entry_by_number(actor=actor, vault=vault, id_number=id_number, list_kind=kind, today=stamp["today"])).id
        return await propose_list_remove(actor=actor, entry_id=target, reason=reason, policy=policy, **stamp)

    _report(_run(work, FAILURE))
