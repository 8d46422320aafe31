"""Appraisal pages after 初评: 复评 with the aggregate, 支行审定, 公示 with objections, closing."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.permissions import Action
from app.domain.appraisal import EXCLUSION_BASIS_LABELS, Grade, published_grade
from app.domain.errors import DomainError, NotFound
from app.services.permissions import may
from app.services.appraisal.approval import (
    approval_rows,
    approve,
    close_appraisal,
    publish,
    record_objection,
    resolve_objection,
    send_back,
)
from app.services.appraisal import reads
from app.services.appraisal.common import rules_of
from app.services.appraisal.review import accept_aggregates, review_household, review_rows, submit_for_approval
from ui.appraisal import LABELS, appraisal_action, today
from ui.auth import login_required, redirect
from ui.templating import render
from ui.common import form_data, money, optional_money, optional_uuid
from ui.villages import errors_of


def _detail_url(request: Request, appraisal_id: UUID) -> str:
    return request.url_for("appraisal_detail", appraisal_id=str(appraisal_id)).path


async def _review_context(request: Request, appraisal_id: UUID) -> dict:
    appraisal = await reads.appraisal_with(request.state.session.actor, appraisal_id, "village", "product")
    rows = await review_rows(appraisal)
    return {**LABELS, "appraisal": appraisal, "rows": rows, "rules": rules_of(appraisal), "basis_labels": EXCLUSION_BASIS_LABELS,
            "reviewed": sum(1 for r in rows if r.review), "error": None}


@login_required
async def review_page(request: Request) -> Response:
    context = await _review_context(request, request.path_params["appraisal_id"])
    return render(request, "appraisal/review.html", context)


async def _review_action(request: Request, action) -> Response:
    appraisal_id = request.path_params["appraisal_id"]
    try:
        await action(request.state.session.actor, appraisal_id)
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = {**await _review_context(request, appraisal_id), "error": exc.message}
        return render(request, "appraisal/review.html", context, fragment="appraisal/_review_actions.html", status_code=422)
    return redirect(request, request.url_for("review_page", appraisal_id=str(appraisal_id)).path)


@login_required
async def review_accept_all(request: Request) -> Response:
    return await _review_action(request, lambda actor, aid: accept_aggregates(actor=actor, appraisal_id=aid, now=clock.now_utc()))


@login_required
async def review_submit(request: Request) -> Response:
    response = await _review_action(request, lambda actor, aid: submit_for_approval(actor=actor, appraisal_id=aid, now=clock.now_utc()))
    if response.status_code in (204, 303):
        return redirect(request, _detail_url(request, request.path_params["appraisal_id"]))
    return response


@login_required
async def review_household_page(request: Request) -> Response:
    """复评 of one household: the aggregate of the votes (never the individual votes), and the officer's decision."""
    appraisal_id, household_id = request.path_params["appraisal_id"], request.path_params["household_id"]
    actor = request.state.session.actor
    view = await reads.household_review(actor, appraisal_id, household_id)
    appraisal, household, outcome, review = view.appraisal, view.household, view.outcome, view.review
    rules = rules_of(appraisal)
    form = {"grade": review.grade.value if review else (Grade.DECLINE.value if outcome.excluded else (outcome.grade.value if outcome.grade else "")),
            "amount": f"{review.amount_fen // 100}" if review else "", "note": review.note if review else "",
            "reasons": review.exclusion_reasons if review else [], **{f"facts.{k}": v for k, v in (review.facts if review else {}).items()}}
    errors: dict[str, str] = {}
    if request.method == "POST":
        data, multi = await form_data(request)
        form = {**data, "reasons": multi.get("reasons", [])}
        facts = {f.code: data.get(f"facts.{f.code}", "") for f in rules.scorecard.factors}
        try:
            await review_household(actor=actor, appraisal_id=appraisal.id, household_id=household_id, grade=data.get("grade", ""), amount=optional_money(data.get("amount"), field="amount"),
                                   reasons=multi.get("reasons", []), facts=facts, note=data.get("note", ""), now=clock.now_utc())
        except DomainError as exc:
            errors = errors_of(exc)
        else:
            return redirect(request, request.url_for("review_page", appraisal_id=str(appraisal.id)).path + f"#household-{household_id}-review")
    context = {**LABELS, "appraisal": appraisal, "household": household, "outcome": outcome, "review": review, "rules": rules,
               "basis_labels": EXCLUSION_BASIS_LABELS, "form": form, "errors": errors}
    return render(request, "appraisal/review_household.html", context, fragment="appraisal/_review_form.html", status_code=422 if errors else 200)


async def _approval_context(request: Request, appraisal_id: UUID) -> dict:
    actor = request.state.session.actor
    appraisal = await reads.appraisal_with(actor, appraisal_id, "village", "product", "reviewed_by")
    rows = await approval_rows(appraisal)
    return {**LABELS, "appraisal": appraisal, "rows": rows, "rules": rules_of(appraisal), "error": None, "form": {},
            "total_proposed": sum(r.proposed_fen for r in rows), "zero_rows": sum(1 for r in rows if r.zero and not r.approval),
            "can_approve": may(actor, Action.APPRAISAL_APPROVE)}


@login_required
async def approval_page(request: Request) -> Response:
    """支行审定: the approver sees the review and the proposal per household and confirms the amounts at once."""
    appraisal_id = request.path_params["appraisal_id"]
    context = await _approval_context(request, appraisal_id)
    if request.method == "POST":
        data, _ = await form_data(request)
        try:
            amounts = {hid: money(data[f"amount_{hid}"], field=f"amount.{hid}")
                       for hid in (r.household.id for r in context["rows"]) if data.get(f"amount_{hid}", "").strip()}
            await approve(actor=request.state.session.actor, appraisal_id=appraisal_id, amounts=amounts, now=clock.now_utc())
        except DomainError as exc:
            return render(request, "appraisal/approval.html", {**context, "error": exc.message, "form": data},
                          fragment="appraisal/_approval_form.html", status_code=422)
        return redirect(request, _detail_url(request, appraisal_id))
    return render(request, "appraisal/approval.html", context)


@login_required
async def approval_send_back(request: Request) -> Response:
    appraisal_id = request.path_params["appraisal_id"]
    data, _ = await form_data(request)
    try:
        await send_back(actor=request.state.session.actor, appraisal_id=appraisal_id, note=data.get("note", ""))
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = {**await _approval_context(request, appraisal_id), "error": exc.message}
        return render(request, "appraisal/approval.html", context, fragment="appraisal/_approval_form.html", status_code=422)
    return redirect(request, _detail_url(request, appraisal_id))


@login_required
async def appraisal_publish(request: Request) -> Response:
    async def action(actor, aid, form):
        await publish(actor=actor, appraisal_id=aid, today=await today(request))

    return await appraisal_action(request, action)


@login_required
async def appraisal_close(request: Request) -> Response:
    async def action(actor, aid, form):
        await close_appraisal(actor=actor, appraisal_id=aid, today=await today(request), now=clock.now_utc())

    return await appraisal_action(request, action)


async def _publication_context(request: Request, appraisal_id: UUID) -> dict:
    actor = request.state.session.actor
    view = await reads.publication(actor, appraisal_id)
    return {**LABELS, "appraisal": view.appraisal, "approvals": view.approvals, "objections": view.objections, "today": await today(request),
            "published_grade": published_grade,
            "can_approve": may(actor, Action.APPRAISAL_APPROVE), "error": None, "errors": {}, "form": {}}


@login_required
async def publication_page(request: Request) -> Response:
    context = await _publication_context(request, request.path_params["appraisal_id"])
    return render(request, "appraisal/publication.html", context)


@login_required
async def objection_create(request: Request) -> Response:
    appraisal_id = request.path_params["appraisal_id"]
    data, _ = await form_data(request)
    try:
        household_id = optional_uuid(data.get("household_id", ""))
        if household_id is None:
            raise NotFound("请选择提出异议的农户", field="household_id")
        await record_objection(actor=request.state.session.actor, appraisal_id=appraisal_id, household_id=household_id,
                               raised_by=data.get("raised_by", ""), content=data.get("content", ""), today=await today(request))
    except DomainError as exc:
        context = await _publication_context(request, appraisal_id)
        return render(request, "appraisal/publication.html", {**context, "errors": errors_of(exc), "form": data},
                      fragment="appraisal/_objection_form.html", status_code=422)
    return redirect(request, request.url_for("publication_page", appraisal_id=str(appraisal_id)).path)


@login_required
async def objection_resolve(request: Request) -> Response:
    objection_id = request.path_params["objection_id"]
    objection = await reads.objection_for(request.state.session.actor, objection_id)
    data, _ = await form_data(request)
    try:
        await resolve_objection(actor=request.state.session.actor, objection_id=objection_id, upheld=data.get("upheld") == "1",
                                resolution=data.get("resolution", ""), now=clock.now_utc(),
                                amount=optional_money(data.get("amount"), field="amount") if data.get("upheld") == "1" else None)
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = {**await _publication_context(request, objection.appraisal_id), "error": exc.message}
        return render(request, "appraisal/publication.html", context, status_code=422)
    return redirect(request, request.url_for("publication_page", appraisal_id=str(objection.appraisal_id)).path)
