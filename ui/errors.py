"""Error pages for the PAD."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.domain.errors import NotFound
from ui.templating import render


async def not_found(request: Request, exc: Exception) -> Response:
    message = exc.message if isinstance(exc, NotFound) else "页面不存在或您无权查看。"
    return render(request, "not_found.html", {"message": message}, status_code=404)
