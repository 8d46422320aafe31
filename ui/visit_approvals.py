"""The approver's queue: visits above the officer's authority (or with a risk review), the whole file, approve or decline."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain import visit as flow
from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.rules.strategies import LIMIT_TERMS
from app.domain.vocabulary import RISK_OUTCOME_LABELS
from app.services import business_date
from app.services.visits import approval_queue, approve_visit, authority_for, decline_visit, latest_strategy, reads
from ui.auth import login_required, redirect
from ui.forms import new_key
from ui.common import external_access, forbidden_page, optional_money
from ui.permissions import POLICY_CODES
from ui.visits import policy_of
from ui.templating import render


@login_required
async def approvals(request: Request) -> Response:
    visits = await approval_queue(actor=request.state.session.actor)
    return render(request, "visits/approvals.html", {"visits": visits})


async def _file(request: Request, visit_id: UUID) -> dict:
    """Everything the approver reads before deciding."""
    file = await reads.approval_file(request.state.session.actor, visit_id)
    visit = file.visit
    strategy = await latest_strategy(visit)
    authority = await authority_for(visit, policy_of(request))  # the visit's bank's matrix
    role = request.state.session.actor.role
    return {
        "visit": visit, "documents": file.documents, "identities": file.identities, "authorisation": file.authorisation, "risk": file.risk,
        "strategy": strategy, "limit_terms": LIMIT_TERMS,
        "outcome_labels": RISK_OUTCOME_LABELS, "status_labels": flow.STATUS_LABELS, "who_labels": flow.WHO_LABELS, "file": visit.file,
        "my_limit": authority.limit_for(role), "within": authority.within(role, visit.proposed_amount_fen or 0),
        "pending": visit.status == flow.VisitStatus.AWAITING_APPROVAL, "errors": {}, "form": {}, "key": new_key(),
    }


@login_required
async def approval_page(request: Request) -> Response:
    visit_id = request.path_params["visit_id"]
    context = await _file(request, visit_id)
    if request.method != "POST":
        return render(request, "visits/approval.html", context)
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=10)).items() if isinstance(v, str)}
    actor = request.state.session.actor
    try:
        if form.get("action") == "decline":
            await decline_visit(actor=actor, visit_id=visit_id, reason=form.get("reason", ""), now=clock.now_utc())
        else:
            amount = optional_money(form.get("amount"), field="amount")
            await approve_visit(actor=actor, visit_id=visit_id, amount_fen=amount.fen if amount is not None else None, policy=policy_of(request), media=request.app.state.media,
                                vault=request.app.state.vault, today=await business_date.current(), now=clock.now_utc(), external=external_access(request))
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        if isinstance(exc, Forbidden) and exc.code in POLICY_CODES:  # the permission policy refused: a 403 page
            return forbidden_page(request, exc.message)
        context = await _file(request, visit_id)
        context.update(errors={exc.field if exc.field in ("amount", "reason") else "_form": exc.message}, form=form)
        return render(request, "visits/approval.html", context, fragment="visits/_approval_form.html", status_code=422)
    return redirect(request, request.url_for("visit_approval_page", visit_id=str(visit_id)).path)
