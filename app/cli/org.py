"""Member banks: `cunxin bank create|list|seal` (operators on the server, as the system actor, audited)."""

from __future__ import annotations

from pathlib import Path

import typer

from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app.cli.base import run_in_db as _run
from app.clock import now_utc
from app.config import get_settings
from app.domain.errors import NotFound
from app.domain.vocabulary import BankKind
from app.services.actor import SYSTEM

banks = typer.Typer(help="法人行：平台下的成员银行（农商行、农信联社）", no_args_is_help=True, add_completion=False)
cli.add_typer(banks, name="bank")

_KINDS = {k.value: k for k in BankKind} | {k.label: k for k in BankKind}


@banks.command("create")
def create(
    code: str = typer.Option(..., help="机构代码（核心系统返回的开户机构号，数字）"),
    name: str = typer.Option(..., help="简称，如 襄汾农商行"),
    legal_name: str = typer.Option(..., help="全称（合同抬头）"),
    kind: str = typer.Option(..., help="rural_commercial（农商行）或 rural_credit_union（农信联社）"),
    address: str = typer.Option(..., help="住所地址"),
    legal_representative: str = typer.Option(..., help="法定代表人"),
    contract_prefix: str = typer.Option(..., help="合同编号前缀（大写字母开头，各行不同）"),
    head_branch_code: str | None = typer.Option(None, help="总行机构号，默认 B+机构代码"),
    seal_cert: str | None = typer.Option(None, help="本行电子印章证书（PEM）；不填则用本系统的签章配置"),
    seal_key: str | None = typer.Option(None, help="本行电子印章私钥（PEM）"),
    products_from: str | None = typer.Option(None, help="从该机构代码的法人行复制全部产品"),
) -> None:
    """Add a member bank: its record and head branch under the platform (optionally a copy of another bank's products)."""
    from app.services.org import create_bank

    bank_kind = _KINDS.get(kind.strip())
    if bank_kind is None:
        _fail(f"新建失败：法人行类型应为 {' / '.join(f'{k.value}（{k.label}）' for k in BankKind)}")
    bank = _run(
        lambda: create_bank(
            actor=SYSTEM, code=code, name=name, legal_name=legal_name, kind=bank_kind, address=address, legal_representative=legal_representative,
            contract_prefix=contract_prefix, head_branch_code=head_branch_code, seal_cert_path=seal_cert, seal_key_path=seal_key, products_from=products_from,
        ),
        "新建失败",
    )
    typer.echo(f"已新建法人行「{bank.name}」（机构代码 {bank.code}，合同编号前缀 {bank.contract_prefix}）")


@banks.command("seal")
def seal(
    code: str = typer.Option(..., help="法人行机构代码"),
    cert: str | None = typer.Option(None, help="本行电子印章证书（PEM，可附签发证书链）"),
    key: str | None = typer.Option(None, help="本行电子印章私钥（PEM，不加密）"),
    sandbox: bool = typer.Option(False, "--sandbox", help="由开发测试 CA 签发沙箱印章（仅开发、演示环境）"),
    clear: bool = typer.Option(False, "--clear", help="不再使用本行印章，改用本系统的签章配置"),
) -> None:
    """Set a bank's own seal: its certificate and key, a sandbox seal from the development CA, or none (the installation's)."""
    from app.services.contracts.pki import PkiConfigurationError, issue_sandbox_seal, load_bank_seal
    from app.services.org import bank_by_code, set_bank_seal
    from app.wiring import sandbox_seal_dir

    if sum((bool(cert or key), sandbox, clear)) != 1:
        _fail("设置失败：请给出 --cert 与 --key，或 --sandbox，或 --clear 之一")
    try:
        kit = adapters().signing_kit()
        if sandbox:
            cert_path, key_path = issue_sandbox_seal(kit.pki, directory=sandbox_seal_dir(get_settings(), code.strip()), bank_name=_bank_name(code), now=now_utc())
            cert, key = str(cert_path), str(key_path)
        elif cert and key:
            load_bank_seal(kit.pki, Path(cert), Path(key))  # refuse a pair that cannot seal before it is recorded
    except PkiConfigurationError as exc:
        _fail(f"设置失败：{exc}")

    async def work():
        bank = await bank_by_code(code)
        if bank is None:
            raise NotFound(f"法人行 {code} 不存在", field="code")
        return await set_bank_seal(actor=SYSTEM, bank_id=bank.id, seal_cert_path=None if clear else cert, seal_key_path=None if clear else key)

    bank = _run(work, "设置失败")
    typer.echo(f"{bank.name}：" + (f"本行印章 {bank.seal_cert_path}" if bank.seal_cert_path else "使用本系统的签章配置"))


def _bank_name(code: str) -> str:
    from app.services.org import bank_by_code

    bank = _run(lambda: bank_by_code(code), "设置失败")
    if bank is None:
        _fail(f"设置失败：法人行 {code} 不存在")
    return bank.name


@banks.command("list")
def list_banks() -> None:
    """The member banks, by institution code."""
    from app.models import Branch
    from app.services.org import banks_visible

    async def work():
        return [(b, await Branch.get(id=b.head_branch_id)) for b in await banks_visible(SYSTEM)]

    rows = _run(work, "查询失败")
    if not rows:
        typer.echo("暂无法人行")
    for bank, head in rows:
        state = "" if bank.is_active else "（停用）"
        seal = "本行印章" if bank.seal_cert_path else "系统签章"
        typer.echo(f"{bank.code}  {bank.name}{state}  {bank.kind.label}  总行 {head.code}  合同前缀 {bank.contract_prefix}  {seal}  {bank.legal_name}")


@banks.command("authority")
def authority(
    code: str = typer.Option(..., help="法人行机构代码"),
    officer_yuan: int | None = typer.Option(None, help="客户经理授信权限（元）"),
    approver_yuan: int | None = typer.Option(None, help="审批人授信权限（元）"),
    branch_manager_yuan: int | None = typer.Option(None, help="支行行长授信权限（元）"),
    clear: bool = typer.Option(False, "--clear", help="清除本行设置，改用平台默认（CUNXIN_VISIT_AUTHORITY_*）"),
) -> None:
    """Set a bank's own credit authority by role (all three), or --clear it (the platform's settings apply)."""
    from app.services.org import bank_by_code, set_bank_authority

    values = (officer_yuan, approver_yuan, branch_manager_yuan)
    if clear == any(v is not None for v in values):
        _fail("设置失败：请填写三个授信权限，或只用 --clear（改用平台默认）")

    async def work():
        bank = await bank_by_code(code)
        if bank is None:
            _fail(f"设置失败：法人行 {code} 不存在")
        fen = [v * 100 if v is not None else None for v in values]
        return await set_bank_authority(actor=SYSTEM, bank_id=bank.id, officer_fen=fen[0], approver_fen=fen[1], branch_manager_fen=fen[2])

    bank = _run(work, "设置失败")
    if bank.authority is None:
        typer.echo(f"「{bank.name}」的授信权限改用平台默认")
    else:
        a = bank.authority
        typer.echo(f"「{bank.name}」的授信权限：客户经理 {a['officer_fen'] // 100} 元，审批人 {a['approver_fen'] // 100} 元，支行行长 {a['branch_manager_fen'] // 100} 元")
