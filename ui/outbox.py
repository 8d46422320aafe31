"""Provincial sync dead letters (admins): the list and a resend button."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, Forbidden
from app.services.outbox import dead_letters, resend_dead_letter
from ui.auth import login_required, redirect
from ui.templating import render

KIND_LABELS = {"line_granted": "额度授信", "contract_signed": "合同签署"}


async def _page(request: Request, *, error: str | None = None, status_code: int = 200) -> Response:
    messages = await dead_letters(actor=request.state.session.actor)
    rows = [{"m": m, "payload": json.dumps(m.payload, ensure_ascii=False, sort_keys=True)} for m in messages]
    return render(request, "outbox/dead_letters.html", {"rows": rows, "kinds": KIND_LABELS, "error": error}, status_code=status_code)


@login_required
async def dead_letter_list(request: Request) -> Response:
    return await _page(request)


@login_required
async def dead_letter_resend(request: Request) -> Response:
    try:
        await resend_dead_letter(actor=request.state.session.actor, message_id=request.path_params["message_id"], now=clock.now_utc())
    except Forbidden:
        raise
    except DomainError as exc:
        return await _page(request, error=exc.message, status_code=422)
    return redirect(request, request.url_for("dead_letter_list").path)
