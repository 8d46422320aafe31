"""Trusted documents of the mobile app (docs/mobile.md, "Trusted documents"):
`cunxin export-manifest`, `import-manifest FILE`, `manifest-list`, `manifest-check`, `manifest-retire NAME`.

An import is checked whole against this release's GraphQL schema before anything is stored, and is
effective on every web machine at once (the documents live in the database).
"""

from __future__ import annotations

import json
from pathlib import Path
from zoneinfo import ZoneInfo

import typer

from app import clock
from app.cli.base import cli, fail
from app.cli.base import run_in_db as _run
from app.config import ROOT, get_settings
from app.services.actor import SYSTEM

MOBILE = ROOT / "graphql" / "mobile"


@cli.command("export-manifest")
def export_manifest(
    output: Path | None = typer.Option(None, "--output", "-o", help="输出文件；不给则写到标准输出"),
    relay: bool = typer.Option(False, "--relay", help="Relay 的持久化 ID 格式（{id: 文本}），默认 Apollo 清单"),
) -> None:
    """The app's own documents (graphql/mobile) as an Apollo persisted-query manifest (id = sha256 of the body)."""
    from app.api.trusted_documents import export_manifest as build

    manifest = build(MOBILE)
    data = {op["id"]: op["body"] for op in manifest["operations"]} if relay else manifest
    text = json.dumps(data, ensure_ascii=False, indent=2) + "\n"
    if output is None:
        typer.echo(text, nl=False)
        return
    output.parent.mkdir(parents=True, exist_ok=True)
    output.write_text(text, encoding="utf-8")
    typer.echo(f"已写入 {output}（{len(manifest['operations'])} 个操作）", err=True)


@cli.command("import-manifest")
def import_manifest(
    file: Path = typer.Argument(..., help="App 构建产出的清单：Apollo 持久化查询清单，或 Relay 的持久化 ID 文件"),
    name: str | None = typer.Option(None, "--name", help="清单名称，如 android-2.4.0（默认取文件名）；同名清单被替换"),
) -> None:
    """Check every document of an app build's manifest against the schema, then trust them all (or none)."""
    from app.api.limits import alias_rule, depth_rule
    from app.api.schema import MAX_ALIASES, MAX_DEPTH, schema
    from app.api.trusted_documents import ManifestInvalid, read_manifest
    from app.services.persisted_documents import check_manifest_name, import_manifest as store
    from app.domain.errors import DomainError

    label = name or file.stem
    try:
        check_manifest_name(label)
    except DomainError as exc:
        fail(f"导入失败：{exc.message}")
    try:
        raw = file.read_bytes()
    except OSError as exc:
        fail(f"导入失败：无法读取 {file}（{exc.strerror}）")
    try:
        operations = read_manifest(raw, schema._schema, (depth_rule(MAX_DEPTH), alias_rule(MAX_ALIASES)))
    except ManifestInvalid as exc:
        fail(f"导入失败：清单 {file} 有 {len(exc.problems)} 处问题，未导入任何操作：\n" + "\n".join(f"- {p}" for p in exc.problems))
    replaced = _run(lambda: store(actor=SYSTEM, name=label, operations=operations, now=clock.now_utc()), "导入失败")
    again = f"，替换了同名清单的 {replaced} 个" if replaced else ""
    typer.echo(f"已导入清单「{label}」：{len(operations)} 个操作{again}")


@cli.command("manifest-list")
def manifest_list() -> None:
    """The imported manifests: name, documents, when."""
    from app.services.persisted_documents import stored_manifests

    manifests = _run(stored_manifests, "查询失败")
    if not manifests:
        typer.echo("尚未导入任何清单（只认 graphql/mobile 中随服务发布的操作）")
    tz = ZoneInfo(get_settings().business_tz)
    for m in manifests:
        typer.echo(f"{m.name}  {m.documents} 个操作  导入于 {m.imported_at.astimezone(tz):%Y-%m-%d %H:%M}")


@cli.command("manifest-check")
def manifest_check() -> None:
    """Check every imported document against this release's schema (after an upgrade, before traffic): exit 1 if one fails."""
    from app.api.limits import alias_rule, depth_rule
    from app.api.schema import MAX_ALIASES, MAX_DEPTH, schema
    from app.api.trusted_documents import schema_problems
    from app.services.persisted_documents import stored_documents

    documents = _run(stored_documents, "检查失败")
    problems = schema_problems([op for _, op in documents], schema._schema, (depth_rule(MAX_DEPTH), alias_rule(MAX_ALIASES)))
    broken = [(manifest, op) for manifest, op in documents if op.id in problems]
    for manifest, op in broken:
        typer.echo(f"清单「{manifest}」操作 {op.name}（id {op.id[:80]}）：{problems[op.id]}", err=True)
    if broken:
        fail(f"{len(broken)} 个已导入的操作不符合当前 GraphQL 模式：使用这些 App 版本的手机将无法调用它们")
    manifests = len({manifest for manifest, _ in documents})
    typer.echo(f"已导入的 {manifests} 份清单、{len(documents)} 个操作均符合当前 GraphQL 模式")


@cli.command("manifest-retire")
def manifest_retire(name: str = typer.Argument(..., help="要停用的清单名称")) -> None:
    """Stop trusting a manifest (its app release is no longer supported); documents also in another manifest stay."""
    from app.services.persisted_documents import retire_manifest

    removed = _run(lambda: retire_manifest(actor=SYSTEM, name=name), "停用失败")
    typer.echo(f"已停用清单「{name}」（{removed} 个操作）；各服务进程最迟 5 分钟内不再接受其中仅此清单有的操作")
