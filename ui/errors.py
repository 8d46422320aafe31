"""Error pages for the PAD."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.domain.errors import Forbidden, NotFound
from ui.templating import render


async def not_found(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, NotFound) else "页面不存在或您无权查看。"
    return render(request, "not_found.html", {"message": message}, status_code=404)


async def forbidden(request: Request, exc: Exception) -> Response:
    """A refusal of the permission policy that a page did not handle itself: the 403 page."""
    message = exc.message if isinstance(exc, Forbidden) else "您的角色不能执行此操作。"
    return render(request, "forbidden.html", {"message": message}, status_code=403)
