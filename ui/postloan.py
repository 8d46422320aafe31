"""Post-loan pages (贷后管理): the due list and overdue monitoring, a check with photos and its form, the manager's review.

Officers see their own checks, branch managers their branch by officer (the services decide). The
form posts to `submit_check`: a refused record re-renders the form with every error at its input
(422); success redirects (303). Photos post one at a time and come back to the same page.
"""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.classification import CLASS_LABELS, LoanClass
from app.domain.errors import DomainError, NotFound
from app.domain.permissions import Action
from app.domain.vocabulary import Role
from app.domain.postloan import (
    CONCLUSION_LABELS, QUESTIONS, RISK_SIGNALS, STATUS_LABELS, TO_DO_STATUSES, CheckInvalid, CheckStatus,
)
from app.services import business_date
from app.services.permissions import may
from app.services.postloan import add_check_photo, check_file, check_rows, officer_monitoring, review_check, submit_check
from ui.auth import login_required, redirect
from ui.common import finite_number, read_upload
from ui.templating import render

FORM_INPUTS = {"lat", "photo", "note", "conclusion", "proposed_class", "risk_signals", *QUESTIONS}
LABELS = {"questions": QUESTIONS, "signals": RISK_SIGNALS, "conclusions": CONCLUSION_LABELS, "statuses": STATUS_LABELS, "class_labels": CLASS_LABELS}


def _actor(request: Request):
    return request.state.session.actor


def _errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, CheckInvalid):
        return {k if k in FORM_INPUTS else "_form": v for k, v in exc.errors.items()}
    return {exc.field if exc.field in FORM_INPUTS else "_form": exc.message}


@login_required
async def postloan_list(request: Request) -> Response:
    actor = _actor(request)
    today = await business_date.current()
    status = request.query_params.get("status", "open")
    status = status if status in {"open", "all", *(s.value for s in CheckStatus)} else "open"
    rows = await check_rows(actor, on=today, status=status)
    manager = actor.role != Role.OFFICER  # managers, approvers, auditors: the branch, by officer
    context = {
        "rows": rows, "status": status, "today": today, "manager": manager,
        "loads": await officer_monitoring(actor, today) if manager else [],
        "to_review": [r for r in rows if r.to_review] if may(actor, Action.POSTLOAN_REVIEW) else [], **LABELS,
    }
    return render(request, "postloan/list.html", context)


async def _check_page(request: Request, check_id: UUID, *, errors: dict, form: dict, signals: list[str], review_errors: dict | None = None,
                      review_form: dict | None = None, status_code: int = 200, fragment: str | None = None) -> Response:
    actor = _actor(request)
    file = await check_file(actor, check_id)
    check = file.check
    may_work = may(actor, Action.POSTLOAN_CHECK) and check.status in TO_DO_STATUSES
    may_review = (may(actor, Action.POSTLOAN_REVIEW) and check.status == CheckStatus.SUBMITTED
                  and (check.submitted_by_id is None or check.submitted_by_id != actor.id))
    current = LoanClass(check.loan.classification)
    stricter = {c.value: c.label for c in LoanClass if c.rank > current.rank}
    previous = dict(check.answers or {})
    if not form and previous:  # a returned check: the officer starts from what they submitted
        form = {"funds_use": previous.get("fundsUse", ""), "household": previous.get("household", ""), "repayment": previous.get("repayment", ""),
                "guarantee": previous.get("guarantee", ""), "conclusion": previous.get("conclusion", ""),
                "proposed_class": previous.get("proposedClass") or "", "note": previous.get("note", "")}
        signals = list(previous.get("riskSignals", []))
    context = {
        "check": check, "loan": check.loan, "photos": file.photos, "answers": file.answers, "trail": file.trail, "errors": errors,
        "form": form, "chosen_signals": set(signals), "may_work": may_work, "may_review": may_review, "stricter": stricter,
        "review_errors": review_errors or {}, "review_form": review_form or {}, "today": await business_date.current(), **LABELS,
    }
    return render(request, "postloan/check.html", context, fragment=fragment, status_code=status_code)


@login_required
async def postloan_check(request: Request) -> Response:
    """GET: the check. POST: submit the record and the conclusion."""
    check_id = request.path_params["check_id"]
    if request.method != "POST":
        return await _check_page(request, check_id, errors={}, form={}, signals=[])
    data = await request.form(max_files=0, max_fields=40)
    form = {k: str(v) for k, v in data.items() if isinstance(v, str) and k != "risk_signals"}
    signals = [str(v) for v in data.getlist("risk_signals") if isinstance(v, str)]
    manual = form.get("source") == "manual"
    try:
        await submit_check(
            actor=_actor(request), check_id=check_id, answers=form, risk_signals=signals,
            lat=finite_number(form.get("manual_lat" if manual else "lat", "")), lng=finite_number(form.get("manual_lng" if manual else "lng", "")),
            accuracy_m=None if manual else finite_number(form.get("accuracy", "")), source="manual" if manual else "device",
            now=clock.now_utc(), today=await business_date.current(),
        )
    except NotFound:
        raise
    except DomainError as exc:
        return await _check_page(request, check_id, errors=_errors(exc), form=form, signals=signals, status_code=422,
                                 fragment="postloan/_check_form.html")
    return redirect(request, request.url_for("postloan_check", check_id=str(check_id)).path)


@login_required
async def postloan_photo(request: Request) -> Response:
    check_id = request.path_params["check_id"]
    limit = request.app.state.settings.max_upload_bytes
    data = await request.form(max_files=1, max_fields=5)
    try:
        await add_check_photo(actor=_actor(request), check_id=check_id, data=await read_upload(data.get("photo"), limit),
                              media=request.app.state.media, max_bytes=limit)
    except NotFound:
        raise
    except DomainError as exc:
        return await _check_page(request, check_id, errors=_errors(exc), form={}, signals=[], status_code=422)
    return redirect(request, request.url_for("postloan_check", check_id=str(check_id)).path)


@login_required
async def postloan_review(request: Request) -> Response:
    check_id = request.path_params["check_id"]
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=10)).items() if isinstance(v, str)}
    try:
        await review_check(
            actor=_actor(request), check_id=check_id, approve=form.get("decision") == "approve", note=form.get("review_note", ""),
            media=request.app.state.media, max_bytes=request.app.state.settings.max_upload_bytes, now=clock.now_utc(),
            today=await business_date.current(),
        )
    except NotFound:
        raise
    except DomainError as exc:
        field = "review_note" if exc.field == "note" else "_form"
        return await _check_page(request, check_id, errors={}, form={}, signals=[], review_errors={field: exc.message}, review_form=form,
                                 status_code=422, fragment="postloan/_review_form.html")
    return redirect(request, request.url_for("postloan_check", check_id=str(check_id)).path)
