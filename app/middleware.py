"""The app-wide middleware, pure ASGI (`BaseHTTPMiddleware` breaks ContextVars): every door goes through it.

It guards the pages and /graphql alike; `app.main.create_app` lists each class on its own, in order:
- `RequestIdMiddleware`: a request id for the logs, echoed as `X-Request-ID`;
- `SecurityHeadersMiddleware`: CSP, framing, no sniffing, no caching, HSTS in prod;
- `RequestMetricsMiddleware`: request latency by route template (app/services/metrics.py);
- `ServiceUnavailableMiddleware`: 503 while PostgreSQL or Redis is away;
- `HeadAsGetMiddleware`: HEAD is GET without a body;
- `BodyLimitMiddleware`: a cap on every unsafe request that is not a multipart upload;
- `CSRFMiddleware`: the double-submit cookie.
"""

from __future__ import annotations

import hmac
import json
import logging
import secrets
import time
import uuid
from collections.abc import Sequence
from typing import Any

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.responses import PlainTextResponse, Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logging import request_id_var
from app.services import metrics
from app.services.outage import RETRY_AFTER_SECONDS, dependency_down

logger = logging.getLogger(__name__)



# --- request id and CSRF (double-submit cookie) ----------------------------------------------


SAFE_METHODS = {"GET", "HEAD", "OPTIONS", "TRACE"}
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "x-csrf-token"


class RequestIdMiddleware:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        incoming = Headers(scope=scope).get("x-request-id", "")
        rid = incoming if incoming and len(incoming) <= 64 and incoming.isprintable() else uuid.uuid4().hex
        token = request_id_var.set(rid)

        async def send_with_id(message: Message) -> None:
            if message["type"] == "http.response.start":
                MutableHeaders(scope=message).append("X-Request-ID", rid)
            await send(message)

        try:
            await self.app(scope, receive, send_with_id)
        finally:
            request_id_var.reset(token)


class CSRFMiddleware:
    """Every unsafe request must echo the CSRF cookie in a header or a form field.

    API calls without a session cookie are exempt: a browser never attaches a bearer
    token by itself, so there is nothing to forge. A request that carries the session
    cookie is checked whatever other headers (Authorization, ...) it also carries.
    """

    def __init__(self, app: ASGIApp, *, csrf_cookie: str, session_cookie: str, max_body: int, secure: bool) -> None:
        self.app = app
        self.csrf_cookie = csrf_cookie
        self.session_cookie = session_cookie
        self.max_body = max_body
        self.secure = secure

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        raw_cookie = headers.get("cookie", "")
        cookies = cookie_parser(raw_cookie)  # the same parser as request.cookies, so both see the same session
        cookie_token = cookies.get(self.csrf_cookie, "")
        issued = ""
        if not cookie_token:
            issued = cookie_token = secrets.token_urlsafe(24)
        scope.setdefault("state", {})["csrf_token"] = cookie_token

        if scope["method"] not in SAFE_METHODS and self._tossed(raw_cookie):
            await PlainTextResponse("安全校验失败（Cookie 重复），请清除本站 Cookie 后重新登录", status_code=403)(scope, receive, send)
            return
        if scope["method"] not in SAFE_METHODS and self._needs_check(scope, headers, cookies):
            sent = headers.get(CSRF_HEADER, "")
            if not sent:
                body = await read_body(receive, self.max_body)
                if body is None:
                    await PlainTextResponse("请求内容过大", status_code=413)(scope, receive, send)
                    return
                sent = await self._form_token(scope, body)
                receive = replaying(body, receive)
            if issued or not sent or not hmac.compare_digest(sent, cookie_token):
                await PlainTextResponse("安全校验失败（CSRF），请刷新页面后重试", status_code=403)(scope, receive, send)
                return

        async def send_with_cookie(message: Message) -> None:
            if message["type"] == "http.response.start" and issued:
                flags = "; Secure" if self.secure else ""
                MutableHeaders(scope=message).append(
                    "Set-Cookie", f"{self.csrf_cookie}={issued}; Path=/; HttpOnly; SameSite=Lax{flags}"
                )
            await send(message)

        await self.app(scope, receive, send_with_cookie)

    def _tossed(self, raw_cookie: str) -> bool:
        """The CSRF or session cookie sent twice: one was planted (cookie tossing from a sibling host)."""
        names = [part.split("=", 1)[0].strip() for part in raw_cookie.split(";")]
        return names.count(self.csrf_cookie) > 1 or names.count(self.session_cookie) > 1

    def _needs_check(self, scope: Scope, headers: Headers, cookies: dict[str, str]) -> bool:
        if scope["path"].startswith("/graphql"):
            return self.session_cookie in cookies
        return True

    async def _form_token(self, scope: Scope, body: bytes) -> str:
        content_type = Headers(scope=scope).get("content-type", "")
        if not content_type.startswith(("application/x-www-form-urlencoded", "multipart/form-data")):
            return ""

        async def once() -> Message:
            return {"type": "http.request", "body": body, "more_body": False}

        try:
            form = await Request(scope, once).form()
        except Exception:  # a malformed body simply carries no token
            return ""
        value = form.get(CSRF_FIELD, "")
        return value if isinstance(value, str) else ""

# --- doors: HEAD as GET, body caps, security headers -----------------------------------------


UNSAFE_METHODS = {"POST", "PUT", "PATCH", "DELETE"}


class HeadAsGetMiddleware:
    """HEAD is GET without a body, for every route at once.

    The application sees a GET with an empty request body (a HEAD carrying form fields
    never reaches a POST branch), and the response body is dropped. Handlers therefore
    only ever see GET or POST and branch on `request.method == "POST"`.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] != "HEAD":
            await self.app(scope, receive, send)
            return
        delivered = False

        async def no_body() -> Message:
            nonlocal delivered
            if not delivered:
                delivered = True
                return {"type": "http.request", "body": b"", "more_body": False}
            while True:  # the client's body is never handed on; wait for the disconnect
                message = await receive()
                if message["type"] != "http.request":
                    return message

        async def headers_only(message: Message) -> None:
            if message["type"] == "http.response.body":
                if message.get("more_body", False):
                    return
                message = {"type": "http.response.body", "body": b"", "more_body": False}
            await send(message)

        await self.app({**scope, "method": "GET"}, no_body, headers_only)


class BodyLimitMiddleware:
    """Unsafe requests that are not multipart uploads (forms, /graphql) carry at most `max_body` bytes.

    The body is read here, up to the cap, before anything parses it: a larger one is a 413
    whatever its Content-Length says, and nothing downstream ever reads past the cap.
    Multipart uploads keep their own, larger limit (settings.max_upload_bytes).
    """

    def __init__(self, app: ASGIApp, *, max_body: int) -> None:
        self.app = app
        self.max_body = max_body

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or scope["method"] not in UNSAFE_METHODS:
            await self.app(scope, receive, send)
            return
        headers = Headers(scope=scope)
        if headers.get("content-type", "").lower().startswith("multipart/form-data"):
            await self.app(scope, receive, send)
            return
        declared = headers.get("content-length", "")
        body = None if declared.isdigit() and int(declared) > self.max_body else await read_body(receive, self.max_body)
        if body is None:
            await PlainTextResponse(f"请求内容过大（最多 {self.max_body // 1024} KB）", status_code=413)(scope, receive, send)
            return
        await self.app(scope, replaying(body, receive), send)


async def read_body(receive: Receive, max_body: int) -> bytes | None:
    """The whole request body, or None as soon as it passes `max_body` bytes (a disconnect ends it early)."""
    chunks, size, more = [], 0, True
    while more:
        message = await receive()
        if message["type"] != "http.request":
            return b"".join(chunks)
        chunk = message.get("body", b"")
        size += len(chunk)
        if size > max_body:
            return None
        chunks.append(chunk)
        more = message.get("more_body", False)
    return b"".join(chunks)


def replaying(body: bytes, receive: Receive) -> Receive:
    """A `receive` that hands the already-read body on once, then the client's later messages."""
    delivered = False

    async def replay() -> Message:
        nonlocal delivered
        if not delivered:
            delivered = True
            return {"type": "http.request", "body": body, "more_body": False}
        return await receive()

    return replay


CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; media-src 'self' blob:; "
    "connect-src 'self'; font-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
)
HSTS = "max-age=31536000; includeSubDomains"


class SecurityHeadersMiddleware:
    """Headers on every response: a self-only CSP (no inline scripts or styles anywhere in ui/),
    framing refused, no MIME sniffing, the referrer kept on this site, and no caching of
    anything but /static (pages, downloads and /graphql carry personal data). HSTS in prod.

    `skip_csp` lists paths whose page is not ours (the dev GraphQL IDE loads its scripts
    from a CDN).
    """

    def __init__(self, app: ASGIApp, *, hsts: bool, skip_csp: tuple[str, ...] = ()) -> None:
        self.app = app
        self.hsts = hsts
        self.skip_csp = skip_csp

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        path = scope["path"]

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                if path not in self.skip_csp:
                    headers.setdefault("Content-Security-Policy", CSP)
                headers.setdefault("X-Frame-Options", "DENY")
                headers.setdefault("X-Content-Type-Options", "nosniff")
                headers.setdefault("Referrer-Policy", "same-origin")
                if not path.startswith("/static/"):
                    headers["Cache-Control"] = "no-store"
                if self.hsts:
                    headers.setdefault("Strict-Transport-Security", HSTS)
            await send(message)

        await self.app(scope, receive, with_headers)

# --- 503 while PostgreSQL or Redis is away ---------------------------------------------------


class ServiceUnavailableMiddleware:
    """A short Chinese page (or GraphQL error) and one log line while PostgreSQL or Redis is away.

    Around every door: a request that fails because a dependency is down gets `503` with
    `Retry-After` instead of a bare 500 and a traceback per request; the next request after the
    server returns is served normally (the pools reconnect by themselves). Paths under
    `json_paths` (GraphQL) get the JSON body the composition root passes in.
    """

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

# --- request metrics -------------------------------------------------------------------------


class RequestMetricsMiddleware:
    """Request latency by route template (`/identity/idcard/{read_id}`, never the raw path), method and status."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            route = getattr(scope.get("route"), "path", None) or "unmatched"
            metrics.REQUEST_SECONDS.labels(scope["method"], route, str(status)).observe(time.perf_counter() - started)
