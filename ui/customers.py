"""The customer page (客户视图): a person's household, lines, loans, visits, warnings and collections, with the next action."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app.domain.visit import STATUS_LABELS as VISIT_STATUS_LABELS
from app.domain.warnings import KIND_LABELS as WARNING_KIND_LABELS
from app.services.customers.view import customer_view
from ui.auth import login_required
from ui.templating import render

# A next action's kind -> the page that does it (route name, path parameter).
ACTION_TARGETS = {
    "visit": ("visit_page", "visit_id"),
    "collection": ("task_detail", "task_id"),
    "warning": ("warning_detail", "warning_id"),
    "drawdown": ("line_detail", "line_id"),
    "start_visit": ("visit_start", "member_id"),
}


@login_required
async def customer_page(request: Request) -> Response:
    view = await customer_view(actor=request.state.session.actor, customer_id=request.path_params["customer_id"])

    def action_href(action) -> str:
        name, param = ACTION_TARGETS[action.kind]
        return str(request.url_for(name, **{param: action.target_id}))

    context = {
        "view": view, "customer": view.customer, "trail": view.trail, "action_href": action_href,
        "visit_status": VISIT_STATUS_LABELS, "warning_kinds": WARNING_KIND_LABELS
    }
    return render(request, "customers/customer.html", context)
