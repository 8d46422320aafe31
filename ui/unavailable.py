"""503 while PostgreSQL or Redis is away: a short Chinese page (or GraphQL error) and one log line.

A pure ASGI middleware around every door. A request that fails because a dependency is down
gets `503` with `Retry-After` instead of a bare 500 and a traceback per request; the next
request after the server returns is served normally (the pools reconnect by themselves).
Paths under `json_paths` (GraphQL) get the JSON body the composition root passes in.
"""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from typing import Any

from starlette.requests import Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.services.outage import RETRY_AFTER_SECONDS, dependency_down

logger = logging.getLogger(__name__)


class ServiceUnavailableMiddleware:
    def __init__(self, app: ASGIApp, *, json_paths: Sequence[str] = (), json_body: dict[str, Any] | None = None) -> None:
        self.app = app
        self.json_paths = tuple(json_paths)
        self.json_body = json.dumps(json_body or {}, ensure_ascii=False).encode()

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def send_tracking(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, send_tracking)
        except Exception as exc:
            what = dependency_down(exc)
            if what is None or started:
                raise
            logger.warning("%s unavailable: %s %s -> 503 (%s)", what, scope.get("method"), scope.get("path"), type(exc).__name__)
            await self._respond(scope)(scope, receive, send)

    def _respond(self, scope: Scope) -> Response:
        headers = {"Retry-After": str(RETRY_AFTER_SECONDS), "Cache-Control": "no-store"}
        if scope.get("path", "").startswith(self.json_paths) if self.json_paths else False:
            return Response(self.json_body, status_code=503, media_type="application/json", headers=headers)
        templates = scope["app"].state.templates
        page = templates.get_template("unavailable.html").render(request=Request(scope), retry_after=RETRY_AFTER_SECONDS)
        return Response(page, status_code=503, media_type="text/html; charset=utf-8", headers=headers)
