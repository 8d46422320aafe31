"""The approver's queue of online credit applications referred to a person (a silent source, a bureau review, a
borrower's request for review of an automated refusal — PIPL art. 24): the evidence, approve with a limit or decline."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.external_data import CreditApplicationStatus
from app.domain.rules.strategies import LIMIT_TERMS
from app.services import business_date
from app.services.lending import online_credit
from ui.auth import login_required, redirect
from ui.common import forbidden_page, optional_fen
from ui.permissions import POLICY_CODES
from ui.templating import render


def _policy(request: Request) -> online_credit.OnlineCreditPolicy:
    return request.app.state.online_credit_policy  # from the settings, once (app/wiring.py)


@login_required
async def credit_approvals(request: Request) -> Response:
    try:
        rows = await online_credit.referred_queue(actor=request.state.session.actor)
    except Forbidden as exc:
        return forbidden_page(request, exc.message)
    return render(request, "credit/approvals.html", {"rows": rows})


async def _context(request: Request, application_id: UUID) -> dict:
    row = await online_credit.referral_file(actor=request.state.session.actor, application_id=application_id)
    return {"row": row, "evidence": row.decision or {}, "limit_terms": {t.value: t.label for t in LIMIT_TERMS},
            "pending": row.status == CreditApplicationStatus.REFERRED, "errors": {}, "form": {}}


@login_required
async def credit_approval_page(request: Request) -> Response:
    application_id = request.path_params["application_id"]
    actor = request.state.session.actor
    try:
        context = await _context(request, application_id)
    except Forbidden as exc:
        return forbidden_page(request, exc.message)
    if request.method != "POST":
        return render(request, "credit/approval.html", context)
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=10)).items() if isinstance(v, str)}
    try:
        approve = form.get("action") != "decline"
        await online_credit.decide_referral(
            actor=actor, application_id=application_id, approve=approve, limit_fen=optional_fen(form.get("limit"), field="limit") if approve else None,
            reason=form.get("reason", ""), now=clock.now_utc(), today=await business_date.current(), policy=_policy(request),
        )
    except NotFound:
        raise
    except DomainError as exc:
        if isinstance(exc, Forbidden) and exc.code in POLICY_CODES:
            return forbidden_page(request, exc.message)
        context = await _context(request, application_id)
        context.update(errors={exc.field if exc.field in ("limit", "reason") else "_form": exc.message}, form=form)
        return render(request, "credit/approval.html", context, status_code=422)
    return redirect(request, request.url_for("credit_approval_page", application_id=str(application_id)).path)
