"""The officer's home page: the workbench (工作台) — today's work by priority, then the villages in their care."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.domain.vocabulary import ROLE_LABELS
from app.services import business_date
from app.services.dashboard import officer_dashboard
from app.services.workbench import workbench
from ui.auth import login_required
from ui.templating import render

# An item's kind -> the page it opens (route name, path parameter); app/services/workbench.py makes the items.
TARGETS = {
    "visit": ("visit_page", "visit_id"),
    "visit_approval": ("visit_approval_page", "visit_id"),
    "appraisal_approval": ("approval_page", "appraisal_id"),
    "ballot": ("vote_officer", "appraisal_id"),
    "collection": ("task_detail", "task_id"),
    "warning": ("warning_detail", "warning_id"),
    "publication": ("publication_page", "appraisal_id"),
    "postloan_check": ("postloan_check", "check_id"),
    "extension_application": ("loan_detail", "loan_id"),
}
# A section's list page, for “还有更多”.
MORE = {
    "visits": "visit_list", "visit_approvals": "visit_approvals", "ballots": "my_ballots",
    "collections": "task_list", "warnings": "warning_list", "postloan": "postloan_list",
}


def _href(request: Request, kind: str, target_id) -> str:
    name, param = TARGETS[kind]
    return str(request.url_for(name, **{param: target_id}))


@login_required
async def home(request: Request) -> Response:
    info = request.state.session
    business_on = await business_date.current()
    board = await officer_dashboard(info.actor, info.officer.branch_id)
    bench = await workbench(actor=info.actor, on=business_on, tz=request.app.state.settings.business_tz)
    context = {
        "officer": info.officer,
        "role_label": ROLE_LABELS[info.officer.role],
        "board": board,
        "bench": bench,
        "href": lambda kind, target_id: _href(request, kind, target_id),
        "more": MORE,
        "business_on": business_on,
    }
    return render(request, "dashboard/index.html", context)
