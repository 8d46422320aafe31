"""Persisted documents for stock clients (issue 16): an Apollo-style client hashes the printed document with
`__typename` added and sends only the hash; the server trusts what `cunxin export-manifest` wrote once
`cunxin import-manifest` stored it. Relay-style ids too; an unknown id is never registered; a bad manifest
is refused whole."""

import hashlib
import json
import os
import subprocess
import sys
from datetime import UTC, datetime

import pytest
from graphql import FieldNode, NameNode, OperationDefinitionNode, SelectionSetNode, Visitor, parse, print_ast, visit
from graphql.language import DocumentNode

from app.api.schema import schema
from app.api.trusted_documents import ManifestInvalid, apollo_body, document_hash, export_manifest, read_manifest
from app.config import ROOT
from app.domain.errors import Conflict
from app.models import AuditEvent, PersistedDocument
from app.services import persisted_documents as stored
from app.services.actor import SYSTEM
from tests.factories.borrower import MOBILE, PHONE, borrower, last_sms_code, mobile_operations

NOW = datetime(2026, 12, 3, 4, 0, tzinfo=UTC)


# --- an Apollo-style client, written here from the client's rules (not the server's code) ------------


class _ApolloAddTypename(Visitor):
    """Apollo Client's addTypename: `__typename` last in every selection set below the operation's root."""

    def enter_selection_set(self, node, _key, parent, _path, _ancestors):
        if isinstance(parent, OperationDefinitionNode) or any(isinstance(s, FieldNode) and s.name.value.startswith("__") for s in node.selections):
            return None
        return SelectionSetNode(selections=(*node.selections, FieldNode(name=NameNode(value="__typename"), arguments=(), directives=())))


def apollo_client_hash(text: str) -> str:
    document = visit(parse(text), _ApolloAddTypename())
    ordered = sorted(document.definitions, key=lambda d: (not isinstance(d, OperationDefinitionNode), d.name.value))
    return hashlib.sha256(print_ast(DocumentNode(definitions=tuple(ordered))).encode("utf-8")).hexdigest()


def _text(name: str) -> str:
    return (MOBILE / f"{name}.graphql").read_text(encoding="utf-8")


async def _post(client, body: dict, token: str | None = None) -> dict:
    headers = {"Content-Type": "application/json", **({"Authorization": f"Bearer {token}"} if token else {})}
    response = await client.post("/graphql", content=json.dumps(body), headers=headers)
    assert response.status_code == 200, response.text
    return response.json()


async def _apollo(client, name: str, variables: dict | None = None, token: str | None = None) -> dict:
    """What Apollo's persisted-query link sends: the hash only, no query text."""
    extensions = {"persistedQuery": {"version": 1, "sha256Hash": apollo_client_hash(_text(name))}}
    return await _post(client, {"operationName": name, "variables": variables or {}, "extensions": extensions}, token)


def _cunxin(*args: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "app.cli", *args], cwd=ROOT, env=dict(os.environ), capture_output=True, text=True, timeout=120)


# --- the printed form is graphql-js 16's (what Apollo hashes) -----------------------------------------

# Hashes computed with graphql 16.15.0 print, @apollo/client 3.14.1 addTypenameToDocument and
# @apollo/persisted-query-lists sortTopLevelDefinitions, for documents with what the printers differ on.
PINNED = [
    ('fragment Z on Loan { id installments { number } }\nquery Sample($first: Int = 20, $status: [String!] = ["active", "overdue"], '
     '$input: SomeInput = {a: 1, b: "x", c: {d: [1, 2]}}) @live {\n  loans(first: $first, status: $status, someVeryLongArgumentName: '
     '"a long value that pushes the line past eighty") {\n    edges { node { ...Z ... on Loan @include(if: true) { principal } meta { __typename kind } } }\n'
     '  }\n  me { id }\n}\nfragment A on Customer { id name }\n',
     "06b6e9272cab3adc30be02caabf756f3ca7dea5a9e0c16178bf95099a7ed8860"),
    ('query Hard($ids: [ID!]! = ["aaaaaaaaaaaaaaaa", "bbbbbbbbbbbbbbbbbbbb", "cccccccccccccccccccc", "dddddddddddddddddd"], '
     '$v: Int @deprecated(reason: "x")) @cached(ttl: 1.5) {\n  a: loans(filter: {statusList: ["active", "overdue", "written_off", '
     '"settled", "restructured", "cancelled"], q: null, e: ACTIVE, f: -1.25e3}) @include(if: $v) {\n    note(text: """\n      多行\n'
     '        "quoted" \\""" block\n    """, other: "tab\\there \\"q\\" back\\\\slash \\u0001 中文 é")\n    ... on Loan { id }\n'
     '    ...F @skip(if: false)\n    __typename\n  }\n  b: me { ... @include(if: true) { id } }\n}\nfragment F on Loan @dir { id }\n',
     "fb590a4846cd298268a8b6d44c84eaf217b88d13029b484d5b52c827c7b51b2a"),
]


@pytest.mark.parametrize("text, expected", PINNED)
def test_the_exported_body_is_what_apollo_prints_and_hashes(text, expected):
    assert document_hash(apollo_body(text)) == expected


def test_the_export_holds_every_app_document_by_the_hash_an_apollo_client_computes():
    manifest = export_manifest(MOBILE)
    assert (manifest["format"], manifest["version"]) == ("apollo-persisted-query-manifest", 1)
    by_name = {op["name"]: op for op in manifest["operations"]}
    assert sorted(by_name) == mobile_operations()
    for name, op in by_name.items():
        assert op["id"] == document_hash(op["body"]) == apollo_client_hash(_text(name)), name
    assert by_name["Me"]["type"] == "query" and by_name["CardBind"]["type"] == "mutation"
    assert "__typename" in by_name["Me"]["body"] and "__typename" not in _text("Me")


# --- through the command line and HTTP ------------------------------------------------------------------


async def test_an_apollo_client_runs_the_app_documents_after_export_and_import(prod_client, prod_app, demo, vault, tmp_path):
    customer, _ = await borrower(vault)
    # before the import the server knows the files' bytes only: the printed form is unknown
    before = await _apollo(prod_client, "SignInRequestCode", {"input": {"phone": PHONE}})
    assert before["data"] is None and before["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND"

    path = tmp_path / "persisted-query-manifest.json"
    exported = _cunxin("export-manifest", "--output", str(path))
    assert exported.returncode == 0, exported.stderr
    imported = _cunxin("import-manifest", str(path), "--name", "android-2.4.0")
    assert imported.returncode == 0, imported.stderr
    assert f"已导入清单「android-2.4.0」：{len(mobile_operations())} 个操作" in imported.stdout
    assert await PersistedDocument.filter(manifest="android-2.4.0").count() == len(mobile_operations())
    assert (await AuditEvent.get(action="graphql.manifest_imported")).entity_id == "android-2.4.0"

    # sign in (anonymous: the sign-in documents only), then the app's queries, by hash alone
    asked = await _apollo(prod_client, "SignInRequestCode", {"input": {"phone": PHONE}})
    assert asked["data"]["signInRequestCode"]["errors"] == [], asked
    verify = {"input": {"phone": PHONE, "code": last_sms_code(prod_app), "deviceId": "apollo-device-1"}}
    signed = (await _apollo(prod_client, "SignInVerify", verify))["data"]["signInVerify"]
    assert signed["errors"] == [] and "__typename" in signed, signed
    token = signed["tokens"]["accessToken"]
    me = await _apollo(prod_client, "Me", token=token)
    assert me.get("errors") is None and me["data"]["me"]["id"] == str(customer.id)
    assert isinstance(me["data"]["me"]["__typename"], str)  # the manifest's body (with __typename) is what ran
    loans = await _apollo(prod_client, "Loans", token=token)  # fragments: operations first, then fragments
    assert loans.get("errors") is None and loans["data"]["loans"]["__typename"].endswith("Connection")
    products = await _apollo(prod_client, "Products", token=token)
    assert products.get("errors") is None, products

    # the same id the Relay way: doc_id, documentId or id at the top level
    me_id = apollo_client_hash(_text("Me"))
    for key in ("doc_id", "documentId", "id"):
        relay = await _post(prod_client, {key: me_id, "variables": {}}, token)
        assert relay.get("errors") is None and relay["data"]["me"]["id"] == str(customer.id), key

    # an unknown id is refused with its code, with or without text, and the text is not registered
    unknown = hashlib.sha256(b"query Nope { me { id } }").hexdigest()
    for body in ({"extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown}}},
                 {"query": "query Nope { me { id } }", "extensions": {"persistedQuery": {"version": 1, "sha256Hash": unknown}}},
                 {"doc_id": unknown}):
        refused = await _post(prod_client, body, token)
        assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_FOUND", body
    assert await PersistedDocument.filter(document_id=unknown).count() == 0
    # the app's own documents under their files' hashes keep working (builds from before manifests)
    legacy = await _post(prod_client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_hash(_text("Me"))}}}, token)
    assert legacy["data"]["me"]["id"] == str(customer.id)

    listed = _cunxin("manifest-list")
    assert listed.returncode == 0 and listed.stdout.startswith(f"android-2.4.0  {len(mobile_operations())} 个操作"), listed.stdout


def _manifest(*operations: dict) -> bytes:
    return json.dumps({"format": "apollo-persisted-query-manifest", "version": 1, "operations": list(operations)}).encode()


def _op(body: str, *, name: str | None = None, type_: str = "query", id_: str | None = None) -> dict:
    return {"id": id_ or document_hash(body), "name": name or body.split()[1].split("(")[0], "type": type_, "body": body}


def test_a_malformed_manifest_is_refused_with_every_problem_and_nothing_stored(db, tmp_path):
    bad = _manifest(
        _op("query Me { me { id noSuchField } }"),  # not in the schema
        _op("query Me2 { me { id } }", name="Other"),  # name differs from the document's
        _op("query Broken { me { id }"),  # does not parse
        _op("query Me3 { me { id } }", type_="mutation"),
        _op("query Ok { me { id } }", id_="has space"),
        _op("{ me { id } }", name="Anon"),  # anonymous
    )
    path = tmp_path / "bad.json"
    path.write_bytes(bad)
    refused = _cunxin("import-manifest", str(path), "--name", "android-2.5.0")
    assert refused.returncode == 1
    assert "导入失败：清单" in refused.stderr and "有 6 处问题，未导入任何操作" in refused.stderr, refused.stderr
    for words in ("noSuchField", "name 为 Other，与文档中的操作名 Me2 不一致", "文档无法解析", "type 为 mutation", "可打印 ASCII", "操作必须有名字"):
        assert words in refused.stderr, (words, refused.stderr)
    path.write_text('{"format": "apollo-persisted-query-manifest", "version": 2, "operations": [')
    not_json = _cunxin("import-manifest", str(path))
    assert not_json.returncode == 1 and "不是有效的 JSON" in not_json.stderr
    listed = _cunxin("manifest-list")
    assert listed.returncode == 0 and "尚未导入任何清单" in listed.stdout


@pytest.mark.parametrize("data, problem", [
    ({"format": "relay", "version": 1, "operations": []}, 'format 应为 "apollo-persisted-query-manifest"'),
    ({"format": "apollo-persisted-query-manifest", "version": 2, "operations": [_op("query Me { me { id } }")]}, "version 应为 1"),
    ({"format": "apollo-persisted-query-manifest", "version": 1, "operations": [{"id": "x"}]}, "缺少字符串字段：name、type、body"),
    ([1, 2], "无法识别的清单格式"),
    ({"format": "apollo-persisted-query-manifest", "version": 1, "operations": []}, "清单中没有任何操作"),
    ({"abc": "query A { me { id } }", "abd": "mutation B { nope }"}, "不符合当前 GraphQL 模式"),
    ({"format": "apollo-persisted-query-manifest", "version": 1,
      "operations": [_op("query Me { me { id } }", id_="same"), _op("query Me { me { nameMasked } }", id_="same")]}, "同一 id 在清单中对应两份不同的文本"),
])
def test_read_manifest_names_the_problem(data, problem):
    with pytest.raises(ManifestInvalid) as refused:
        read_manifest(json.dumps(data).encode(), schema._schema)
    assert any(problem in p for p in refused.value.problems), refused.value.problems


def test_a_relay_persisted_ids_file_is_read_with_names_and_types_from_the_documents():
    text = _text("CardBind")
    operations = read_manifest(json.dumps({"3be4abb81fa595e25eb725b2c6a87508": text}).encode(), schema._schema)
    assert [(op.id, op.name, op.type, op.body) for op in operations] == [("3be4abb81fa595e25eb725b2c6a87508", "CardBind", "mutation", text)]


async def test_manifests_coexist_conflicts_are_refused_and_retiring_keeps_shared_documents(db):
    me, loans = _op(apollo_body(_text("Me")), name="Me"), _op(apollo_body(_text("Loans")), name="Loans")
    old = [stored.ManifestOperation(id=o["id"], name=o["name"], type=o["type"], body=o["body"]) for o in (me, loans)]
    new = [stored.ManifestOperation(id=me["id"], name="Me", type="query", body=me["body"]),
           stored.ManifestOperation(id="relay-md5-1", name="Me", type="query", body="query Me { me { id } }")]
    await stored.import_manifest(actor=SYSTEM, name="android-2.4.0", operations=old, now=NOW)
    await stored.import_manifest(actor=SYSTEM, name="android-2.5.0", operations=new, now=NOW)
    assert [(m.name, m.documents) for m in await stored.stored_manifests()] == [("android-2.4.0", 2), ("android-2.5.0", 2)]
    # an id both know must mean one text: a third manifest saying otherwise is refused whole
    clash = [stored.ManifestOperation(id=me["id"], name="Me", type="query", body="query Me { me { nameMasked } }"),
             stored.ManifestOperation(id="fresh", name="X", type="query", body="query X { me { id } }")]
    with pytest.raises(Conflict, match="冲突"):
        await stored.import_manifest(actor=SYSTEM, name="ios-2.5.0", operations=clash, now=NOW)
    assert await stored.find_document("fresh") is None
    # the old release retired: its own document goes, the shared one stays through the new manifest
    assert await stored.retire_manifest(actor=SYSTEM, name="android-2.4.0") == 2
    assert await stored.find_document(loans["id"]) is None
    assert (await stored.find_document(me["id"])).body == me["body"]
    assert [e.action for e in await AuditEvent.filter(entity_type="graphql_manifest").order_by("at")] == [
        "graphql.manifest_imported", "graphql.manifest_imported", "graphql.manifest_retired"]


async def test_without_a_token_only_sign_in_documents_run_whatever_they_are_called(prod_client, prod_app, demo, vault):
    await borrower(vault)
    disguised = "mutation SignInVerify { cardUnbind(input: {cardId: \"x\"}) { errors { code } } }"  # named like sign-in, is not
    renamed = "mutation AskCode($input: SignInRequestCodeInput!) { signInRequestCode(input: $input) { expiresAt errors { code } } }"
    operations = [stored.ManifestOperation(id=document_hash(text), name=name, type="mutation", body=text)
                  for name, text in (("SignInVerify", disguised), ("AskCode", renamed))]
    await stored.import_manifest(actor=SYSTEM, name="ios-2.5.0", operations=operations, now=NOW)
    refused = await _post(prod_client, {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_hash(disguised)}}})
    assert refused["data"] is None and refused["errors"][0]["extensions"]["code"] == "PERSISTED_QUERY_NOT_ALLOWED"
    asked = await _post(prod_client, {"variables": {"input": {"phone": PHONE}}, "extensions": {"persistedQuery": {"version": 1, "sha256Hash": document_hash(renamed)}}})
    assert asked["data"]["signInRequestCode"]["errors"] == [], asked


async def test_manifest_check_lists_imported_documents_the_running_schema_no_longer_accepts(db):
    # an old release's document asks for a field this server does not have (stored as an old server accepted it)
    fine = apollo_body(_text("Me"))
    outdated = "query OldMe { me { id oldNickname } }"
    await stored.import_manifest(actor=SYSTEM, name="android-2.4.0", operations=[stored.ManifestOperation(id="old-1", name="OldMe", type="query", body=outdated)], now=NOW)
    await stored.import_manifest(actor=SYSTEM, name="android-2.5.0", operations=[stored.ManifestOperation(id=document_hash(fine), name="Me", type="query", body=fine)], now=NOW)
    checked = _cunxin("manifest-check")
    assert checked.returncode == 1
    assert "清单「android-2.4.0」操作 OldMe（id old-1）：不符合当前 GraphQL 模式" in checked.stderr and "oldNickname" in checked.stderr
    assert "1 个已导入的操作不符合当前 GraphQL 模式" in checked.stderr and "android-2.5.0" not in checked.stderr
    retired = _cunxin("manifest-retire", "android-2.4.0")
    assert retired.returncode == 0 and "已停用清单「android-2.4.0」（1 个操作）" in retired.stdout
    again = _cunxin("manifest-check")
    assert again.returncode == 0 and "已导入的 1 份清单、1 个操作均符合当前 GraphQL 模式" in again.stdout
