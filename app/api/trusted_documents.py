"""Trusted documents (persisted queries) for the mobile app: docs/mobile.md, "Trusted documents".

The server knows a document by an id and never learns one from a request. It knows:

- the operations shipped in `graphql/mobile/`, each by the SHA-256 (hex) of its file's UTF-8 bytes
  (what app builds before manifests sent; kept so those builds keep working);
- every document of the manifests imported with `cunxin import-manifest` (stored in the database by
  app/services/persisted_documents.py, so every web machine sees an import at once): Apollo's
  persisted-query manifest or Relay's persisted ids, each document checked against the schema first.

`cunxin export-manifest` writes the project's own documents as an Apollo manifest: each body is the
file printed the way Apollo Client prints a document before hashing it (`__typename` added to every
selection set below the root, operations before fragments, graphql-js `print`), its id the SHA-256 of
that body. A client sends the id the Apollo way

    {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<id>"}}, "variables": {...}}

or the Relay way, at the top level of the body: `doc_id`, `documentId` or `id`.

Any caller may send an id instead of the text; an unknown id is refused (`PERSISTED_QUERY_NOT_FOUND`),
whatever text comes with it: nothing is registered at run time. In production (`CUNXIN_ENV=prod`) a
borrower's token may run *only* trusted documents: a request with a query text and no id is refused
(`PERSISTED_QUERY_REQUIRED`), and a text sent along with an id must be that very document
(`PERSISTED_QUERY_MISMATCH`). In production an anonymous caller is held to the same rule and may run
only sign-in documents: mutations whose every root field is one of SIGN_IN_FIELDS, whatever the
operation is called (others: `PERSISTED_QUERY_NOT_ALLOWED`).
Officers and report keys are not limited this way (their scope is checked by the resolvers). Every
refusal is audited (`graphql.document_refused`).
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import re
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from graphql import (
    ExecutionResult,
    FieldNode,
    FragmentDefinitionNode,
    FragmentSpreadNode,
    GraphQLError,
    GraphQLSchema,
    GraphQLSyntaxError,
    NameNode,
    OperationDefinitionNode,
    SelectionSetNode,
    Visitor,
    parse,
    specified_rules,
    validate,
    visit,
)
from graphql.language import DocumentNode
from graphql.language import printer as _printer
from graphql.language.reducer import reduce as _reduce
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData

from app.logging import request_id_var
from app.domain.vocabulary import ActorType
from app.services.auth.borrowers import record_refused_document
from app.services.persisted_documents import ManifestOperation, find_document

SIGN_IN_FIELDS = frozenset({"signInRequestCode", "signInVerify", "tokenRefresh", "__typename"})  # before a borrower has a token
APOLLO_FORMAT = "apollo-persisted-query-manifest"
RELAY_ID_KEYS = ("doc_id", "documentId", "id")  # where Relay-style clients put the id (top level of the body)
DOCUMENT_ID = re.compile(r"[!-~]{1,128}")  # printable ASCII, no spaces: sha256/md5 hex, base64, a name
OPERATION_TYPES = ("query", "mutation")  # the schema has no subscriptions
FOUND_TTL_SECONDS = 300.0  # an imported document found is remembered this long per process (a retired one: this late)
FOUND_MAX = 2048


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    name: str
    id: str
    text: str
    sign_in_only: bool = False  # a mutation of SIGN_IN_FIELDS only: what a caller without a token may run

    @classmethod
    def of(cls, name: str, id_: str, text: str) -> TrustedDocument:
        return cls(name=name, id=id_, text=text, sign_in_only=_sign_in_only(text))


def _sign_in_only(text: str) -> bool:
    """Whether the document is one mutation selecting only SIGN_IN_FIELDS at its root (fragments followed)."""
    try:
        document = parse(text, no_location=True)
    except GraphQLSyntaxError:
        return False
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1 or operations[0].operation.value != "mutation":
        return False
    fragments = {d.name.value: d for d in document.definitions if isinstance(d, FragmentDefinitionNode)}
    pending, seen = [operations[0].selection_set], set()
    while pending:
        for selection in pending.pop().selections:
            if isinstance(selection, FieldNode):
                if selection.name.value not in SIGN_IN_FIELDS:
                    return False
            elif isinstance(selection, FragmentSpreadNode):
                name = selection.name.value
                if name not in fragments:
                    return False
                if name not in seen:
                    seen.add(name)
                    pending.append(fragments[name].selection_set)
            else:
                pending.append(selection.selection_set)
    return True


class Manifest:
    """The operations shipped in graphql/mobile, by the hash of their files' bytes."""

    def __init__(self, documents: list[TrustedDocument]) -> None:
        self._by_id = {d.id: d for d in documents}

    @classmethod
    def from_dir(cls, folder: Path) -> Manifest:
        docs = []
        for path in sorted(folder.glob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            docs.append(TrustedDocument.of(path.stem, document_hash(text), text))
        return cls(docs)

    def get(self, document_id: str) -> TrustedDocument | None:
        return self._by_id.get(document_id)

    def __len__(self) -> int:
        return len(self._by_id)


# --- Apollo's printed form and the exported manifest -----------------------------------------------


class _AddTypename(Visitor):
    """`__typename` appended to every selection set but an operation's root, as Apollo Client's addTypename:
    not where the set already asks for it or for another `__` field, nor under a field marked @export."""

    def enter_selection_set(self, node: SelectionSetNode, _key, parent, _path, _ancestors):
        if isinstance(parent, OperationDefinitionNode):
            return None
        if any(isinstance(s, FieldNode) and s.name.value.startswith("__") for s in node.selections):
            return None
        if isinstance(parent, FieldNode) and any(d.name.value == "export" for d in parent.directives or ()):
            return None
        typename = FieldNode(alias=None, name=NameNode(value="__typename"), arguments=(), directives=(), selection_set=None)
        return SelectionSetNode(selections=(*node.selections, typename))


def _sorted_definitions(document: DocumentNode) -> DocumentNode:
    """Operations before fragments, each by name (Apollo's sortTopLevelDefinitions; the sort is stable)."""
    def key(definition) -> tuple[int, str]:
        kind = 0 if isinstance(definition, OperationDefinitionNode) else 1 if isinstance(definition, FragmentDefinitionNode) else 2
        name = definition.name.value if getattr(definition, "name", None) else ""
        return kind, name

    return DocumentNode(definitions=tuple(sorted(document.definitions, key=key)))


# graphql-core 3.3 prints like graphql-js 17; Apollo clients and tools print with graphql-js 16, which
# writes lists on one line and objects without inner spaces: `{a: 1}`, not `{ a: 1 }`.
_JS16_PRINTER = {
    **_printer.print_doc_ast_reducer,
    "list_value": lambda node: _printer.join(("[", _printer.join(node.values, ", "), "]")),
    "object_value": lambda node: _printer.join(("{", _printer.join(node.fields, ", "), "}")),
}


def print_like_graphql_js(document: DocumentNode) -> str:
    """`print` of graphql-js 16 (what Apollo hashes); print_ast for every other node."""
    return _printer.render(_reduce(document, _JS16_PRINTER), sys.maxsize)


def apollo_body(text: str) -> str:
    """The document as an Apollo client with the default cache prints it to hash it (and as Apollo's
    manifest generator writes it): `__typename` added, definitions sorted, printed by graphql-js 16."""
    return print_like_graphql_js(_sorted_definitions(visit(parse(text, no_location=True), _AddTypename())))


def _operation(document: DocumentNode) -> OperationDefinitionNode:
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        raise ValueError(f"one operation per document, found {len(operations)}")
    return operations[0]


def export_manifest(folder: Path) -> dict[str, Any]:
    """The operations of `folder` as an Apollo persisted-query manifest (id = sha256 of the body)."""
    operations = []
    for path in sorted(folder.glob("*.graphql")):
        body = apollo_body(path.read_text(encoding="utf-8"))
        operation = _operation(parse(body, no_location=True))
        name = operation.name.value if operation.name else path.stem
        operations.append({"id": document_hash(body), "name": name, "type": operation.operation.value, "body": body})
    operations.sort(key=lambda op: op["name"])
    return {"format": APOLLO_FORMAT, "version": 1, "operations": operations}


# --- reading a manifest: every document checked before anything is stored --------------------------


class ManifestInvalid(Exception):
    """The manifest cannot be the trusted set: every problem found, in Chinese, one per line."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("\n".join(problems))
        self.problems = problems


def read_manifest(raw: bytes, schema: GraphQLSchema, rules: tuple = ()) -> list[ManifestOperation]:
    """The documents of an Apollo persisted-query manifest or a Relay persisted-ids file (`{id: text}`),
    each parsed, one named query or mutation, and valid against `schema` (with the standard rules and
    `rules`), or ManifestInvalid listing every problem."""
    try:
        data = json.loads(raw.decode("utf-8"))
    except UnicodeDecodeError:
        raise ManifestInvalid(["清单文件不是 UTF-8 编码"]) from None
    except json.JSONDecodeError as exc:
        raise ManifestInvalid([f"清单文件不是有效的 JSON（第 {exc.lineno} 行第 {exc.colno} 列：{exc.msg}）"]) from None
    if isinstance(data, dict) and "format" in data:
        entries, problems = _apollo_entries(data)
    elif isinstance(data, dict) and data and all(isinstance(v, str) for v in data.values()):
        entries, problems = [(key, None, None, text) for key, text in data.items()], []
    else:
        raise ManifestInvalid([
            f"无法识别的清单格式：应为 Apollo 持久化查询清单（{{\"format\": \"{APOLLO_FORMAT}\", \"version\": 1, "
            "\"operations\": [{\"id\", \"name\", \"type\", \"body\"}]}），或 Relay 的持久化 ID 文件（{\"<id>\": \"<文档文本>\"}）"
        ])
    operations: dict[str, ManifestOperation] = {}
    for id_, name, type_, body in entries:
        label = f"操作 {name or '?'}（id {str(id_)[:80]}）"
        if not isinstance(id_, str) or not DOCUMENT_ID.fullmatch(id_):
            problems.append(f"{label}：id 应为 1–128 个可打印 ASCII 字符，不含空格")
            continue
        found = _check_document(body, schema, rules)
        if isinstance(found, str):
            problems.append(f"{label}：{found}")
            continue
        operation_name, operation_type = found
        label = f"操作 {operation_name}（id {id_[:80]}）"
        if name is not None and name != operation_name:
            problems.append(f"{label}：name 为 {name}，与文档中的操作名 {operation_name} 不一致")
        if type_ is not None and type_ != operation_type:
            problems.append(f"{label}：type 为 {type_}，与文档中的操作类型 {operation_type} 不一致")
        earlier = operations.get(id_)
        if earlier is not None and earlier.body != body:
            problems.append(f"{label}：同一 id 在清单中对应两份不同的文本")
        operations[id_] = ManifestOperation(id=id_, name=operation_name, type=operation_type, body=body)
    if not operations and not problems:
        problems.append("清单中没有任何操作")
    if problems:
        raise ManifestInvalid(problems)
    return list(operations.values())


def schema_problems(operations: list[ManifestOperation], schema: GraphQLSchema, rules: tuple = ()) -> dict[str, str]:
    """{id: what is wrong} for the documents that `schema` no longer accepts (a server upgrade that would break an app release)."""
    problems = {}
    for op in operations:
        found = _check_document(op.body, schema, rules)
        if isinstance(found, str):
            problems[op.id] = found
    return problems


def _apollo_entries(data: dict) -> tuple[list[tuple], list[str]]:
    problems = []
    if data.get("format") != APOLLO_FORMAT:
        problems.append(f"format 应为 \"{APOLLO_FORMAT}\"，实为 {json.dumps(data.get('format'), ensure_ascii=False)[:80]}")
    if data.get("version") != 1:
        problems.append(f"version 应为 1，实为 {json.dumps(data.get('version'), ensure_ascii=False)[:80]}")
    operations = data.get("operations")
    if not isinstance(operations, list):
        return [], [*problems, "operations 应为操作的列表"]
    entries = []
    for index, op in enumerate(operations, start=1):
        fields = {k: op.get(k) for k in ("id", "name", "type", "body")} if isinstance(op, dict) else {}
        missing = [k for k in ("id", "name", "type", "body") if not isinstance(fields.get(k), str)]
        if missing:
            problems.append(f"第 {index} 个操作缺少字符串字段：{'、'.join(missing)}")
            continue
        entries.append((fields["id"], fields["name"], fields["type"], fields["body"]))
    return entries, problems


def _check_document(body: str | None, schema: GraphQLSchema, rules: tuple) -> tuple[str, str] | str:
    """(operation name, type) of a valid document, or what is wrong with it."""
    try:
        document = parse(body or "", no_location=False)
    except GraphQLSyntaxError as exc:
        return f"文档无法解析：{exc.message}"
    operations = [d for d in document.definitions if isinstance(d, OperationDefinitionNode)]
    if len(operations) != 1:
        return f"每份文档应恰好有一个操作，实有 {len(operations)} 个"
    operation = operations[0]
    if operation.name is None:
        return "操作必须有名字（匿名操作无法按名字对应 id）"
    if operation.operation.value not in OPERATION_TYPES:
        return f"不支持的操作类型 {operation.operation.value}（只接受 query、mutation）"
    errors = validate(schema, document, [*specified_rules, *rules])
    if errors:
        return "不符合当前 GraphQL 模式：" + "；".join(e.message for e in errors[:5])
    return operation.name.value, operation.operation.value


# --- serving ----------------------------------------------------------------------------------------


class DocumentRefused(Exception):
    def __init__(self, code: str, message: str, document_id: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.document_id = code, message, document_id


def requested_id(data: GraphQLRequestData) -> str | None:
    """The id the request names (Apollo's persistedQuery.sha256Hash, or a Relay id moved there), None if it
    names none, "" if it names one badly."""
    persisted = (data.extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    value = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    return value if isinstance(value, str) and DOCUMENT_ID.fullmatch(value) else ""


def check_document(
    data: GraphQLRequestData, document_id: str | None, doc: TrustedDocument | None, *, trusted_only: bool, sign_in_only: bool = False
) -> GraphQLRequestData:
    """The request with the trusted text in place of its id, or DocumentRefused.

    `sign_in_only`: the caller (no token, production) may run sign-in documents only.
    """
    if document_id is None:
        if trusted_only:
            raise DocumentRefused("PERSISTED_QUERY_REQUIRED", "手机银行只能执行 App 内置的操作，请按哈希发送（persistedQuery.sha256Hash）")
        return data
    if doc is None:
        raise DocumentRefused("PERSISTED_QUERY_NOT_FOUND", "未知的操作哈希：App 版本可能已过期，请升级后重试", document_id)
    if data.query is not None and data.query != doc.text:
        raise DocumentRefused("PERSISTED_QUERY_MISMATCH", "请求中的操作文本与哈希不符", document_id)
    if sign_in_only and not doc.sign_in_only:
        raise DocumentRefused("PERSISTED_QUERY_NOT_ALLOWED", "请先登录手机银行", document_id)
    return dataclasses.replace(data, query=doc.text)


class TrustedDocumentsView(GraphQL):
    """strawberry's ASGI view plus the trusted documents; subclassed by app.api.http.GraphQLApp."""

    manifest: Manifest
    trusted_only_for_borrowers: bool

    def setup_trusted_documents(self, folder: Path, *, enforce: bool) -> None:
        self.manifest = Manifest.from_dir(folder)
        self.trusted_only_for_borrowers = enforce
        self._found: dict[str, tuple[float, TrustedDocument]] = {}

    async def find_trusted(self, document_id: str) -> TrustedDocument | None:
        """A shipped document, or an imported one (remembered FOUND_TTL_SECONDS; an unknown id asks each time)."""
        doc = self.manifest.get(document_id) or self.manifest.get(document_id.lower())
        if doc is not None:
            return doc
        now = time.monotonic()
        remembered = self._found.get(document_id)
        if remembered is not None and remembered[0] > now:
            return remembered[1]
        stored = await find_document(document_id)
        if stored is None:
            self._found.pop(document_id, None)
            return None
        if len(self._found) >= FOUND_MAX:
            self._found.clear()
        doc = TrustedDocument.of(stored.name, stored.id, stored.body)
        self._found[document_id] = (now + FOUND_TTL_SECONDS, doc)
        return doc

    async def parse_http_body(self, request):
        """strawberry's parsing, plus the Relay way of naming a document: `doc_id`, `documentId` or `id` at the
        top level of a body without a query (read again only then: the body is cached)."""
        data = await super().parse_http_body(request)
        if not isinstance(data, GraphQLRequestData) or data.query or "persistedQuery" in (data.extensions or {}):
            return data
        if request.method != "POST":
            return data
        body = self.parse_json(await request.get_body())
        named = next((body[k] for k in RELAY_ID_KEYS if k in body), None) if isinstance(body, dict) else None
        if named is None:
            return data
        extensions = {**(data.extensions or {}), "persistedQuery": {"version": 1, "sha256Hash": named}}
        return dataclasses.replace(data, query=None, extensions=extensions)

    async def execute_operation(self, request, request_adapter, request_data, context, root_value, sub_response):
        actor = getattr(context, "actor", None)
        anonymous = self.trusted_only_for_borrowers and actor is None
        trusted_only = anonymous or (self.trusted_only_for_borrowers and actor is not None and actor.type == ActorType.CUSTOMER)
        items = request_data if isinstance(request_data, list) else [request_data]
        try:
            resolved = []
            for item in items:
                document_id = requested_id(item)
                doc = await self.find_trusted(document_id) if document_id else None
                resolved.append(check_document(item, document_id, doc, trusted_only=trusted_only, sign_in_only=anonymous))
        except DocumentRefused as refused:
            client = request.client.host if request.client else ""
            await record_refused_document(actor=actor, reason=refused.code, document_hash=refused.document_id, request_id=request_id_var.get(), ip=client)
            result = ExecutionResult(data=None, errors=[GraphQLError(refused.message, extensions={"code": refused.code})])
            return [result for _ in items] if isinstance(request_data, list) else result
        request_data = resolved if isinstance(request_data, list) else resolved[0]
        return await super().execute_operation(request, request_adapter, request_data, context, root_value, sub_response)
