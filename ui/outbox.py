"""Provincial sync dead letters (admins): the list, each with its reason and 重试 (ui/jobs.py)."""

from __future__ import annotations

import json

from starlette.requests import Request
from starlette.responses import Response

from app.domain.vocabulary import OUTBOX_KIND_LABELS
from app.services.outbox import dead_letters
from ui.auth import login_required
from ui.templating import render

async def _page(request: Request) -> Response:
    messages = await dead_letters(actor=request.state.session.actor)
    rows = [{"m": m, "payload": json.dumps(m.payload, ensure_ascii=False, sort_keys=True)} for m in messages]
    return render(request, "outbox/dead_letters.html", {"rows": rows, "kinds": OUTBOX_KIND_LABELS})


@login_required
async def dead_letter_list(request: Request) -> Response:
    return await _page(request)
