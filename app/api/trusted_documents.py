"""Trusted documents (persisted queries) for the mobile app.

The manifest is built when the GraphQL app starts, from the files under
`graphql/mobile/`: each operation is known by the SHA-256 (hex) of its file's
UTF-8 bytes. A client sends the hash the Apollo way:

    {"extensions": {"persistedQuery": {"version": 1, "sha256Hash": "<hex>"}}, "variables": {...}}

Any caller may send a hash instead of the text; an unknown hash is refused
(`PERSISTED_QUERY_NOT_FOUND`). In production (`CUNXIN_ENV=prod`) a borrower's
token may run *only* manifest operations: a request with a query text and no
hash is refused (`PERSISTED_QUERY_REQUIRED`), and a text sent along with a hash
must be that very document (`PERSISTED_QUERY_MISMATCH`). In production an
anonymous caller is held to the same rule and may run only the sign-in documents
(ANONYMOUS_DOCUMENTS; others: `PERSISTED_QUERY_NOT_ALLOWED`). Officers and report
keys are not limited this way (their scope is checked by the resolvers). Every
refusal is audited (`graphql.document_refused`).
"""

from __future__ import annotations

import dataclasses
import hashlib
from dataclasses import dataclass
from pathlib import Path

from graphql import ExecutionResult, GraphQLError
from strawberry.asgi import GraphQL
from strawberry.http import GraphQLRequestData

from app.logging import request_id_var
from app.domain.vocabulary import ActorType
from app.services.auth.borrowers import record_refused_document


ANONYMOUS_DOCUMENTS = frozenset({"SignInRequestCode", "SignInVerify", "TokenRefresh"})  # before a borrower has a token


def document_hash(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True, slots=True)
class TrustedDocument:
    name: str
    sha256: str
    text: str


class Manifest:
    def __init__(self, documents: list[TrustedDocument]) -> None:
        self._by_hash = {d.sha256: d for d in documents}

    @classmethod
    def from_dir(cls, folder: Path) -> Manifest:
        docs = []
        for path in sorted(folder.glob("*.graphql")):
            text = path.read_text(encoding="utf-8")
            docs.append(TrustedDocument(name=path.stem, sha256=document_hash(text), text=text))
        return cls(docs)

    def get(self, sha256: str) -> TrustedDocument | None:
        return self._by_hash.get(sha256)

    def __len__(self) -> int:
        return len(self._by_hash)

    def as_json(self) -> dict[str, str]:
        """{hash: operation name}: what an app build ships."""
        return {h: d.name for h, d in sorted(self._by_hash.items(), key=lambda kv: kv[1].name)}


class DocumentRefused(Exception):
    def __init__(self, code: str, message: str, sha256: str = "") -> None:
        super().__init__(message)
        self.code, self.message, self.sha256 = code, message, sha256


def _requested_hash(data: GraphQLRequestData) -> str | None:
    persisted = (data.extensions or {}).get("persistedQuery")
    if persisted is None:
        return None
    value = persisted.get("sha256Hash") if isinstance(persisted, dict) else None
    return value.lower() if isinstance(value, str) else ""


def resolve_document(
    data: GraphQLRequestData, manifest: Manifest, *, trusted_only: bool, allowed: frozenset[str] | None = None
) -> GraphQLRequestData:
    """The request with the manifest's text in place of its hash, or DocumentRefused.

    `allowed`: the only manifest operations this caller may run (None: all of them).
    """
    sha = _requested_hash(data)
    if sha is None:
        if trusted_only:
            raise DocumentRefused("PERSISTED_QUERY_REQUIRED", "手机银行只能执行 App 内置的操作，请按哈希发送（persistedQuery.sha256Hash）")
        return data
    doc = manifest.get(sha)
    if doc is None:
        raise DocumentRefused("PERSISTED_QUERY_NOT_FOUND", "未知的操作哈希：App 版本可能已过期，请升级后重试", sha)
    if data.query is not None and data.query != doc.text:
        raise DocumentRefused("PERSISTED_QUERY_MISMATCH", "请求中的操作文本与哈希不符", sha)
    if allowed is not None and doc.name not in allowed:
        raise DocumentRefused("PERSISTED_QUERY_NOT_ALLOWED", "请先登录手机银行", sha)
    return dataclasses.replace(data, query=doc.text)


class TrustedDocumentsView(GraphQL):
    """strawberry's ASGI view plus the manifest; subclassed by app.api.http.GraphQLApp."""

    manifest: Manifest
    trusted_only_for_borrowers: bool

    def setup_trusted_documents(self, folder: Path, *, enforce: bool) -> None:
        self.manifest = Manifest.from_dir(folder)
        self.trusted_only_for_borrowers = enforce

    async def execute_operation(self, request, request_adapter, request_data, context, root_value, sub_response):
        actor = getattr(context, "actor", None)
        anonymous = self.trusted_only_for_borrowers and actor is None
        trusted_only = anonymous or (self.trusted_only_for_borrowers and actor is not None and actor.type == ActorType.CUSTOMER)
        allowed = ANONYMOUS_DOCUMENTS if anonymous else None
        items = request_data if isinstance(request_data, list) else [request_data]
        try:
            resolved = [resolve_document(item, self.manifest, trusted_only=trusted_only, allowed=allowed) for item in items]
        except DocumentRefused as refused:
            client = request.client.host if request.client else ""
            await record_refused_document(actor=actor, reason=refused.code, document_hash=refused.sha256, request_id=request_id_var.get(), ip=client)
            result = ExecutionResult(data=None, errors=[GraphQLError(refused.message, extensions={"code": refused.code})])
            return [result for _ in items] if isinstance(request_data, list) else result
        request_data = resolved if isinstance(request_data, list) else resolved[0]
        return await super().execute_operation(request, request_adapter, request_data, context, root_value, sub_response)
