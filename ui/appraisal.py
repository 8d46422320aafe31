"""Back-to-back appraisal pages: the appraisal and its panel, and the voting pages.

A panel member's voting page shows the households and that member's own votes, never
anyone else's. Officers on the panel vote signed in; villagers vote through their personal
link (/vote/<member>/<token>), which needs no account and works only while 初评 is open.
Review, approval and publication pages are in ui/appraisal_review.py.
"""

from __future__ import annotations

from datetime import date
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.permissions import Action
from app.domain.appraisal import GRADE_LABELS, PANEL_ROLE_LABELS, STATUS_LABELS, Status
from app.domain.errors import DomainError, NotFound
from app.logging import request_id_var
from app.services.permissions import may
from app.services import business_date
from app.services.appraisal import reads
from app.services.appraisal.common import link_token, load_rules, rules_of
from app.services.appraisal.coverage import village_coverage
from app.services.appraisal.review import close_round
from app.services.appraisal.setup import add_panel_member, create_appraisal, open_round, remove_panel_member, renew_link
from app.services.appraisal.voting import ballot_sheet, link_actor, member_for_link, member_for_officer, panel_progress, seats_of, submit_vote
from ui.auth import login_required, redirect
from ui.templating import is_htmx, render
from ui.common import form_data, optional_money, optional_uuid
from ui.villages import errors_of, village_context

LABELS = {"grades": GRADE_LABELS, "roles": PANEL_ROLE_LABELS, "status_labels": STATUS_LABELS}


async def today(request: Request) -> date:
    return await business_date.current(default=clock.local_today(request.app.state.settings.business_tz))


@login_required
async def appraisal_create(request: Request) -> Response:
    village_id = request.path_params["village_id"]
    try:
        appraisal = await create_appraisal(actor=request.state.session.actor, village_id=village_id, rules=load_rules(request.app.state.settings.appraisal_rules_file))
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = {**await village_context(request, village_id), "coverage_error": exc.message}
        return render(request, "villages/village.html", context, status_code=422)
    return redirect(request, request.url_for("appraisal_detail", appraisal_id=str(appraisal.id)).path)


async def _overview(request: Request, appraisal_id: UUID) -> dict:
    actor = request.state.session.actor
    view = await reads.overview(actor, appraisal_id)
    appraisal, panel = view.appraisal, view.panel
    can_manage = may(actor, Action.APPRAISAL_MANAGE)
    show_links = can_manage and appraisal.status in (Status.DRAFT, Status.FIRST_ROUND)
    links = {m.id: str(request.url_for("vote_link", member_id=str(m.id), token=link_token(request.app.state.vault, m.id, m.link_nonce)))
             for m in panel if show_links and m.officer_id is None and m.link_nonce}
    return {
        **LABELS,
        "appraisal": appraisal, "village": appraisal.village, "panel": panel, "links": links, "officers": view.staff,
        "progress": await panel_progress(actor=actor, appraisal_id=appraisal.id),
        "households": view.households,
        "my_seat": next((m for m in panel if m.officer_id == actor.id), None),
        "coverage": await village_coverage(actor=actor, village_id=appraisal.village_id),
        "can_manage": can_manage, "can_approve": may(actor, Action.APPRAISAL_APPROVE),
        "rules": rules_of(appraisal), "error": None, "errors": {}, "form": {},
    }


@login_required
async def appraisal_detail(request: Request) -> Response:
    context = await _overview(request, request.path_params["appraisal_id"])
    return render(request, "appraisal/appraisal.html", context)


async def appraisal_action(request: Request, action, *, fragment: str = "appraisal/_actions.html") -> Response:
    """Run an appraisal action from a button; on a refusal show the reason in place (422)."""
    appraisal_id = request.path_params["appraisal_id"]
    form, multi = await form_data(request)
    try:
        await action(request.state.session.actor, appraisal_id, form)
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = {**await _overview(request, appraisal_id), "error": exc.message, "errors": errors_of(exc), "form": form}
        return render(request, "appraisal/appraisal.html", context, fragment=fragment, status_code=422)
    return redirect(request, request.url_for("appraisal_detail", appraisal_id=str(appraisal_id)).path)


@login_required
async def panel_add(request: Request) -> Response:
    async def action(actor, appraisal_id, form):
        await add_panel_member(actor=actor, appraisal_id=appraisal_id, role=form.get("role", ""), name=form.get("name", ""),
                               officer_id=optional_uuid(form.get("officer_id", "")))

    return await appraisal_action(request, action, fragment="appraisal/_panel.html")


@login_required
async def panel_remove(request: Request) -> Response:
    member_id = request.path_params["member_id"]
    return await appraisal_action(request, lambda actor, aid, form: remove_panel_member(actor=actor, appraisal_id=aid, member_id=member_id), fragment="appraisal/_panel.html")


@login_required
async def panel_relink(request: Request) -> Response:
    member_id = request.path_params["member_id"]
    return await appraisal_action(request, lambda actor, aid, form: renew_link(actor=actor, appraisal_id=aid, member_id=member_id), fragment="appraisal/_panel.html")


@login_required
async def appraisal_open(request: Request) -> Response:
    return await appraisal_action(request, lambda actor, aid, form: open_round(actor=actor, appraisal_id=aid, now=clock.now_utc()))


@login_required
async def appraisal_close_round(request: Request) -> Response:
    return await appraisal_action(request, lambda actor, aid, form: close_round(actor=actor, appraisal_id=aid, now=clock.now_utc()))


# ---- voting -------------------------------------------------------------------------------------


async def _sheet_context(appraisal, member, post_url: str) -> dict:
    sheet = await ballot_sheet(appraisal=appraisal, member=member)
    return {**LABELS, "sheet": sheet, "appraisal": appraisal, "member": member, "rules": rules_of(appraisal), "post_url": post_url,
            "row_errors": {}, "row_form": {}, "open": appraisal.status == Status.FIRST_ROUND}


def _vote_fields(form: dict[str, str], multi: dict[str, list[str]]) -> dict:
    knows = form.get("knows") == "1"
    return {"knows": knows, "grade": form.get("grade") or None, "amount": optional_money(form.get("amount"), field="amount"), "reasons": multi.get("reasons", [])}


async def _cast(request: Request, *, appraisal, member, actor, page: str, post_url: str, back_url: str) -> Response:
    form, multi = await form_data(request)
    household_id = optional_uuid(form.get("household_id", ""))
    if household_id is None:
        return render(request, page, {**await _sheet_context(appraisal, member, post_url), "error": "请选择农户"}, status_code=422)
    try:
        await submit_vote(actor=actor, member_id=member.id, household_id=household_id, now=clock.now_utc(), **_vote_fields(form, multi))
    except DomainError as exc:
        context = await _sheet_context(appraisal, member, post_url)
        context.update(row_errors={household_id: errors_of(exc)}, row_form={household_id: {**form, "reasons": multi.get("reasons", [])}},
                       error=exc.message, open=True)
        row = next((r for r in context["sheet"].rows if r.household.id == household_id), None)
        if is_htmx(request) and row is not None:
            return render(request, "appraisal/_ballot_row.html", {**context, "row": row}, status_code=422)
        return render(request, page, context, status_code=422)
    if is_htmx(request):  # swap just this household's row: the member goes on with the next one
        context = await _sheet_context(appraisal, member, post_url)
        row = next(r for r in context["sheet"].rows if r.household.id == household_id)
        response = render(request, "appraisal/_ballot_row.html", {**context, "row": row})
        response.headers["HX-Trigger"] = "vote-recorded"
        return response
    return redirect(request, f"{back_url}#household-{household_id}-ballot")


@login_required
async def my_ballots(request: Request) -> Response:
    """The open 初评 rounds where the signed-in officer has a seat (also villages not in their care)."""
    seats = await seats_of(request.state.session.actor)
    return render(request, "appraisal/ballots.html", {"seats": seats})


@login_required
async def vote_officer(request: Request) -> Response:
    """The voting page of the signed-in officer's seat on the panel."""
    appraisal_id = request.path_params["appraisal_id"]
    appraisal, member = await member_for_officer(actor=request.state.session.actor, appraisal_id=appraisal_id)
    url = request.url_for("vote_officer", appraisal_id=str(appraisal_id)).path
    if request.method == "POST":
        return await _cast(request, appraisal=appraisal, member=member, actor=request.state.session.actor, page="appraisal/vote.html", post_url=url, back_url=url)
    return render(request, "appraisal/vote.html", {**await _sheet_context(appraisal, member, url), "error": None})


async def vote_link(request: Request) -> Response:
    """A villager's voting page, reached through their personal link (no sign-in)."""
    try:
        member_id = UUID(request.path_params["member_id"])
        appraisal, member = await member_for_link(vault=request.app.state.vault, member_id=member_id, token=request.path_params["token"])
    except (ValueError, NotFound):
        return render(request, "appraisal/vote_public.html", {**LABELS, "invalid": True}, status_code=404)
    url = request.url.path
    if request.method == "POST":
        actor = link_actor(member, request_id=request_id_var.get(), ip=request.client.host if request.client else "")
        return await _cast(request, appraisal=appraisal, member=member, actor=actor, page="appraisal/vote_public.html", post_url=url, back_url=url)
    return render(request, "appraisal/vote_public.html", {**await _sheet_context(appraisal, member, url), "error": None, "invalid": False})
