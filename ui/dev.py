"""Developer pages, in dev and test only: /dev/sms lists what the sandbox SMS gateway sent (sign-in, card-binding and
drawdown codes), from every process, so an app developer finishes every journey without a phone. In production (or
with a real gateway) the page does not exist: 404."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.services.customers.identifiers import mask_phone
from ui.common import not_found
from ui.templating import render


async def sms_page(request: Request) -> Response:
    settings = request.app.state.settings
    recent = getattr(request.app.state.sms, "recent", None)
    if settings.env not in ("dev", "test") or recent is None:
        return await not_found(request, LookupError())
    try:
        messages = await recent(100)
        unavailable = False
    except Exception:  # Redis away: say so on the page
        messages, unavailable = [], True
    rows = [{"phone": mask_phone(m.phone), "tail": m.phone[-4:], "code": m.code, "text": m.text, "sent_at": m.sent_at} for m in messages]
    response = render(request, "dev/sms.html", {"messages": rows, "unavailable": unavailable, "tz": settings.business_tz})
    response.headers["Cache-Control"] = "no-store"
    return response
