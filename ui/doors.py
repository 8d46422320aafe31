"""Door middleware (pure ASGI, like ui/middleware.py): HEAD as GET, body caps, security headers.

Each class does one thing and is listed on its own in app.main.create_app.
"""

from __future__ import annotations

from starlette.datastructures import Headers, MutableHeaders
from starlette.responses import PlainTextResponse
from starlette.types import ASGIApp, Message, Receive, Scope, Send

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
