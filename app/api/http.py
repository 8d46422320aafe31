"""The /graphql endpoint: resolves the caller from a bearer token or the PAD session cookie.

Cookie-authenticated POSTs pass the CSRF middleware like any form; bearer calls
carry no cookie and need no CSRF token. The body is capped before it gets here
(app/middleware.py); one that is not a UTF-8 JSON object of reasonable nesting is a 400.
In production, introspection and "did you mean" suggestions are for officers only.
"""

from __future__ import annotations

import dataclasses
import json
import re
from typing import Any

from cross_web import HTTPException
from graphql import ExecutionResult, GraphQLError
from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.api.context import Context
from app.api.deps import MobileDeps
from app.api.trusted_documents import TrustedDocumentsView
from app.config import ROOT, Env, Settings
from app.logging import request_id_var, truncate_long_messages
from app.domain.vocabulary import ActorType
from app.services import reporting
from app.services.auth import officers as auth
from app.services.auth import borrowers as borrower_auth

MAX_JSON_NESTING = 32  # objects and lists inside each other in one request body
_INTROSPECTION = re.compile(r"\b__(schema|type)\b")
_SUGGESTION = re.compile(r"\s*Did you mean .*\?\s*$", re.S)


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class GraphQLApp(TrustedDocumentsView):
    def __init__(self, schema, settings: Settings, *, mobile: MobileDeps) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.is_dev else None, allow_queries_via_get=False)
        self.settings = settings
        self.mobile = mobile  # borrower side: SMS, bureau, media, sign-in policy (built once in create_app)
        self.setup_trusted_documents(ROOT / "graphql" / "mobile", enforce=settings.env == Env.PROD)  # app/api/trusted_documents.py
        truncate_long_messages("strawberry.execution")  # an error quoting a huge document logs 2,000 characters of it

    def parse_json(self, data: str | bytes) -> Any:
        """A JSON object in UTF-8, nested at most MAX_JSON_NESTING deep; anything else is a 400."""
        try:
            text = data.decode("utf-8") if isinstance(data, bytes) else data
        except UnicodeDecodeError:
            raise HTTPException(400, "请求体不是有效的 UTF-8 编码") from None
        try:
            value = json.loads(text)
        except (json.JSONDecodeError, RecursionError):
            raise HTTPException(400, "请求体不是有效的 JSON") from None
        if not isinstance(value, dict):
            raise HTTPException(400, "请求体必须是一个 JSON 对象（批量请求不受支持）")
        if _nesting(value) > MAX_JSON_NESTING:
            raise HTTPException(400, f"请求体嵌套过深（最多 {MAX_JSON_NESTING} 层）")
        return value

    async def execute_operation(self, request, request_adapter, request_data, context, root_value, sub_response):
        actor = getattr(context, "actor", None)
        guarded = self.settings.env == Env.PROD and not _is_officer(actor)
        sends_text = actor is not None and actor.type != ActorType.CUSTOMER  # anonymous callers and borrowers run trusted documents only
        items = request_data if isinstance(request_data, list) else [request_data]
        if guarded and sends_text and any(_INTROSPECTION.search(item.query or "") for item in items):
            error = GraphQLError("内省查询仅对行内员工开放", extensions={"code": "INTROSPECTION_DISABLED"})
            return ExecutionResult(data=None, errors=[error])
        result = await super().execute_operation(request, request_adapter, request_data, context, root_value, sub_response)
        return _without_suggestions(result) if guarded else result

    async def get_context(self, request: Request, response: Response | Any) -> Context:
        token = bearer_token(request) or request.cookies.get(self.settings.session_cookie, "")
        client = request.client.host if request.client else ""
        if borrower_auth.is_access_token(token):  # a borrower of the mobile app (officer tokens never start so)
            state = request.app.state
            actor = await borrower_auth.resolve_access_token(token, vault=state.vault, now=clock.now_utc(), request_id=request_id_var.get(), ip=client)
            return Context(request=request, actor=actor, response=response, core=state.core, vault=state.vault, mobile=self.mobile)
        if reporting.is_report_key(token):  # a reporting tool's key (app/services/reporting/keys.py); unknown keys fall through
            actor = await reporting.resolve_report_key(token, now=clock.now_utc(), request_id=request_id_var.get(), ip=client)
            if actor is not None:
                state = request.app.state
                return Context(request=request, actor=actor, response=response, core=state.core, vault=state.vault, mobile=self.mobile)
        info = await auth.resolve_session(token, now=clock.now_utc(), request_id=request_id_var.get(), ip=client)
        if info is not None and self.settings.face_login_required and info.session.face_verified_at is None:
            info = None  # the password alone opens nothing: the face step must pass first (ui/identity.py)
        state = request.app.state
        if info is None:
            return Context(request=request, actor=None, response=response, core=state.core, vault=state.vault, mobile=self.mobile)
        return Context(request=request, actor=info.actor, officer=info.officer, response=response, core=state.core, vault=state.vault, mobile=self.mobile)


def _is_officer(actor) -> bool:
    return actor is not None and actor.type == ActorType.OFFICER


def _nesting(value: Any) -> int:
    """How deep objects and lists are nested (iterative: a hostile body cannot exhaust the stack)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, dict | list):
            deepest = max(deepest, depth)
            if deepest > MAX_JSON_NESTING:
                return deepest
            stack.extend((child, depth + 1) for child in (item.values() if isinstance(item, dict) else item))
    return deepest


def _without_suggestions(result: Any) -> Any:
    """The same result with "Did you mean …?" cut from every error message (new errors: results may be cached)."""
    if isinstance(result, list):
        return [_without_suggestions(r) for r in result]
    if not getattr(result, "errors", None):
        return result
    errors = [
        GraphQLError(_SUGGESTION.sub("", e.message), nodes=e.nodes, source=e.source, positions=e.positions, path=e.path,
                     original_error=e.original_error, extensions=e.extensions)
        if _SUGGESTION.search(e.message) else e
        for e in result.errors
    ]
    if isinstance(result, ExecutionResult):
        return ExecutionResult(data=result.data, errors=errors, extensions=result.extensions)
    return dataclasses.replace(result, errors=errors)  # strawberry's own ExecutionResult
