"""The officer's home page."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.domain.vocabulary import ROLE_LABELS
from app.services import business_date
from app.services.dashboard import officer_dashboard
from ui.auth import login_required
from ui.templating import render


@login_required
async def home(request: Request) -> Response:
    info = request.state.session
    board = await officer_dashboard(info.actor, info.officer.branch_id)
    context = {
        "officer": info.officer,
        "role_label": ROLE_LABELS[info.officer.role],
        "board": board,
        "business_on": await business_date.current(),
    }
    return render(request, "dashboard/index.html", context)
