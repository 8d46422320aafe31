"""The /graphql endpoint: resolves the caller from a bearer token or the PAD session cookie.

Cookie-authenticated POSTs pass the CSRF middleware like any form; bearer calls
carry no cookie and need no CSRF token.
"""

from __future__ import annotations

from typing import Any

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.api.context import Context
from app.api.mobile.deps import MobileDeps
from app.api.mobile.trusted import TrustedDocumentsView
from app.config import ROOT, Env, Settings
from app.logging import request_id_var
from app.services import auth, borrower_auth, reporting


def bearer_token(request: Request) -> str:
    header = request.headers.get("authorization", "")
    scheme, _, token = header.partition(" ")
    return token.strip() if scheme.lower() == "bearer" else ""


class GraphQLApp(TrustedDocumentsView):
    def __init__(self, schema, settings: Settings) -> None:
        super().__init__(schema, graphql_ide="graphiql" if settings.is_dev else None, allow_queries_via_get=False)
        self.settings = settings
        self.mobile = MobileDeps.build(settings)  # borrower side: SMS, bureau, sign-in policy
        self.setup_trusted_documents(ROOT / "graphql" / "mobile", enforce=settings.env == Env.PROD)  # app/api/mobile/trusted.py

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
