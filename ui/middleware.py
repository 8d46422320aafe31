"""Pure ASGI middleware: request id and CSRF (double-submit cookie).

`BaseHTTPMiddleware` breaks ContextVars, so both are plain ASGI callables.
"""

from __future__ import annotations

import hmac
import secrets
import uuid

from starlette.datastructures import Headers, MutableHeaders
from starlette.requests import Request, cookie_parser
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from app.logging import request_id_var
from ui.doors import read_body, replaying

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
