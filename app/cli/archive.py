"""E-archive and contract commands: archive-verify, contract-render, outbox-send."""

from __future__ import annotations

import asyncio
from uuid import UUID
from zoneinfo import ZoneInfo

import typer

from app import clock
from app.cli.base import adapters, cli
from app.cli.base import fail as _fail
from app.config import get_settings
from app.db import init_db
from app.domain.errors import DomainError
from app.services.actor import SYSTEM


def _uuid(value: str, what: str) -> UUID:
    try:
        return UUID(value)
    except ValueError:
        _fail(f"{what}格式不正确：{value[:64]}")


async def _with_db(work):
    ctx = await init_db(get_settings())
    try:
        return await work()
    finally:
        await ctx.close_connections()


@cli.command("archive-verify")
def archive_verify(customer_id: str = typer.Argument(..., metavar="CUSTOMER_ID", help="客户 ID（UUID）")) -> None:
    """Re-hash every document of a customer's e-archive and validate every PDF signature; exit 1 on any failure."""
    from app.domain.vocabulary import DocumentKind
    from app.services.customers.archive import verify_archive
    from app.services.contracts.pki import PkiConfigurationError

    settings = get_settings()
    cid = _uuid(customer_id, "客户 ID ")
    outside = adapters()
    try:
        pki = outside.signing_kit().pki
    except PkiConfigurationError as exc:
        _fail(f"签名证书配置错误：{exc}")

    async def work():
        return await verify_archive(actor=SYSTEM, customer_id=cid, media=outside.media, trust_roots=pki.trust_roots)

    try:
        report = asyncio.run(_with_db(work))
    except DomainError as exc:
        _fail(f"核验失败：{exc.message}")
    tz = ZoneInfo(settings.business_tz)
    customer = report.customer
    typer.echo(f"客户 {customer.name}（{customer.id_number_masked}）电子档案：{len(report.checks)} 个文件")
    for check in report.checks:
        doc = check.document
        when = doc.created_at.astimezone(tz).strftime("%Y-%m-%d %H:%M") if doc.created_at else ""
        typer.echo(f"[{'通过' if check.ok else '失败'}] {when} {DocumentKind(doc.kind).label} {doc.title or '-'} ({doc.id})")
        typer.echo(f"    sha256 {doc.sha256}  哈希{'通过' if check.hash_ok else '失败：' + check.hash_message}")
        if check.expected_signatures is not None and len(check.signatures) != check.expected_signatures:
            typer.echo(f"    签名失败：应有 {check.expected_signatures} 个签名，实有 {len(check.signatures)} 个")
        for sig in check.signatures:
            ts = "，含时间戳" if sig.timestamped else ""
            typer.echo(f"    签名 {sig.field} {sig.signer or '-'}：{'通过' if sig.ok else '失败：' + sig.message}{ts}")
    failed = sum(1 for c in report.checks if not c.ok)
    if failed:
        _fail(f"核验未通过：{failed} / {len(report.checks)} 个文件有问题")
    typer.echo(f"核验通过：{len(report.checks)} 个文件的哈希与签名均有效")


@cli.command("contract-render")
def contract_render(contract_id: str = typer.Argument(..., metavar="CONTRACT_ID", help="合同 ID（UUID）")) -> None:
    """Render a draft contract's PDF in this process (what the worker job does)."""
    from app.services.contracts import render_contract
    from workers.engines.pdf import WeasyRenderer  # the CLI is a composition root, like the worker

    cid = _uuid(contract_id, "合同 ID ")
    media = adapters().media

    async def work():
        return await render_contract(contract_id=cid, media=media, renderer=WeasyRenderer(), now=clock.now_utc(), actor=SYSTEM)

    try:
        contract = asyncio.run(_with_db(work))
    except DomainError as exc:
        _fail(f"生成失败：{exc.message}")
    if contract.error and contract.status.value == "draft":
        _fail(f"生成失败：{contract.error}")
    typer.echo(f"合同 {contract.number}：{contract.status.value}")


@cli.command("outbox-send")
def outbox_send() -> None:
    """Send the due provincial sync messages once (the worker's cron does this every minute)."""
    from app.services.outbox import send_due_messages

    settings = get_settings()
    provincial = adapters().provincial

    async def work():
        return await send_due_messages(
            adapter=provincial, now=clock.now_utc(), max_attempts=settings.outbox_max_attempts,
            base_seconds=settings.outbox_retry_base_seconds, max_seconds=settings.outbox_retry_max_seconds,
        )

    report = asyncio.run(_with_db(work))
    typer.echo(f"省联社同步：发送成功 {report.sent}，稍后重试 {report.retried}，转入死信 {report.dead}")
