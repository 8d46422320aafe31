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
