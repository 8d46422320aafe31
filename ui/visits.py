"""The visit (走访/面签) pages: start with the tablet's location, then one guided flow with a step list.

The flow page renders the visit's state from the database: whatever step is current shows its
form, a job that is running shows a status fragment that polls itself and reloads the page when
the job ends. A dropped connection loses nothing but the last unsent form: reopening the visit
shows the next step. Step forms post to ui/visit_steps.py.
"""

from __future__ import annotations

import json
import math
from datetime import UTC, datetime
from typing import TYPE_CHECKING
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain import geo
from app.domain import visit as flow
from app.domain.errors import DomainError, NotFound
from app.domain.idcard_ocr.model import SIDE_LABELS
from app.domain.rules.strategies import LIMIT_TERMS
from app.domain.vocabulary import IDENTITY_OUTCOME_LABELS, RISK_OUTCOME_LABELS
from app.models.identity import JobStatus
from app.services import business_date
from app.services.contracts import SigningKit, current_document_id
from app.services.customers.trail import visit_trail
from app.services.identity_checks import RecordedFaceChecks
from app.services.visits import reads
from app.services.visits import (
    PointIn,
    VisitPolicy,
    abandon_visit,
    authority_for,
    face_check_of,
    line_refusal,
    member_lines,
    offer_for,
    open_visit_of,
    record_track_points,
    stage_of,
    start_visit,
    visible_visit,
    visit_contract,
)
from ui.auth import login_required, redirect
from ui.common import finite_number
from ui.forms import new_key
from ui.idcard_form import confirm_form
from ui.templating import render

if TYPE_CHECKING:  # annotations only: pages read rows through the services
    from app.models import Visit

TERMINAL = (JobStatus.DONE, JobStatus.FAILED)
# the borrower's and the co-borrower's identity and face steps share one form each (`who` tells them apart)
STEP_TEMPLATES = {
    flow.BORROWER_IDENTITY: "person_identity", flow.CO_IDENTITY: "person_identity",
    flow.BORROWER_FACE: "person_face", flow.CO_FACE: "person_face",
}


def policy_of(request: Request) -> VisitPolicy:
    return request.app.state.visit_policy  # from the settings, once (app/wiring.py)


def face_checks_of(request: Request) -> RecordedFaceChecks:
    return RecordedFaceChecks(now=clock.now_utc, fresh_minutes=request.app.state.settings.face_match_fresh_minutes)


def signing_kit(request: Request) -> SigningKit:
    """The process's kit (app/wiring.py loads the PKI on its first use and keeps it)."""
    return request.app.state.signing_kit()


# --- start ---------------------------------------------------------------------------------------


@login_required
async def visit_start(request: Request) -> Response:
    """GET: the member's start page (location). POST: open the visit (or resume the open one)."""
    actor = request.state.session.actor
    member, household = await reads.member_to_visit(actor, request.path_params["member_id"])
    existing = await open_visit_of(member.id)
    today = await business_date.current()
    refusal = None if existing else await line_refusal(member, policy_of(request), on=today)
    context = {"member": member, "household": household, "existing": existing, "errors": {}, "form": {},
               "lines": await member_lines(member, on=today), "refusal": refusal}
    if request.method != "POST":
        return render(request, "visits/start.html", context)
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=20)).items() if isinstance(v, str)}
    manual = form.get("source") == "manual"
    lat = finite_number(form.get("manual_lat" if manual else "lat", ""))
    lng = finite_number(form.get("manual_lng" if manual else "lng", ""))
    try:
        visit = await start_visit(actor=actor, member_id=member.id, lat=lat, lng=lng, accuracy_m=None if manual else finite_number(form.get("accuracy", "")),
                                  source="manual" if manual else "device", policy=policy_of(request), now=clock.now_utc(), today=today)
    except DomainError as exc:
        context.update(errors={exc.field or "_form": exc.message}, form=form)
        return render(request, "visits/start.html", context, fragment="visits/_start_form.html", status_code=422)
    return redirect(request, request.url_for("visit_page", visit_id=str(visit.id)).path)


@login_required
async def visit_list(request: Request) -> Response:
    actor = request.state.session.actor
    status = request.query_params.get("status", "")
    visits = await reads.visit_rows(actor, status=status if status in flow.STATUS_LABELS else None, limit=100)
    return render(request, "visits/list.html", {"visits": visits, "status": status, "status_labels": flow.STATUS_LABELS, "step_labels": flow.STEP_LABELS})


# --- the flow page --------------------------------------------------------------------------------


async def _id_step(visit: Visit, who: str, form: dict | None, errors: dict) -> dict:
    person = visit.file.person(who)
    confirmed = set(person.confirmed)
    for side in ("front", "back"):
        if side in confirmed:
            continue
        read = await reads.read_of(visit, person.reads.get(side))
        confirm = None
        if read is not None and read.status == JobStatus.DONE:
            confirm = confirm_form(read, form_id=f"idcard-{who}-{side}-confirm", route="visit_idcard_confirm", route_params={"visit_id": visit.id},
                                   target="#visit-step", hidden={"who": who, "side": side}, form=form, errors=errors, form_error_inside=False)
        return {"side": side, "side_label": SIDE_LABELS[side], "read": read, "confirmed": sorted(confirmed),
                "terminal": read is not None and read.status in TERMINAL, "confirm": confirm}
    return {"side": None, "confirmed": sorted(confirmed)}


async def _signing(request: Request, visit: Visit) -> dict:
    contract = await visit_contract(visit)
    stage = stage_of(visit, contract)
    face = await reads.face_of(visit, "sign", stage) if stage in flow.WHO_LABELS else None
    signer = await reads.signer_of(visit, stage) if stage in flow.WHO_LABELS else None
    return {"contract": contract, "stage": stage, "stage_label": flow.SIGNING_STAGE_LABELS[stage], "face": face, "signer": signer,
            "current_document": current_document_id(contract) if contract else None}


async def visit_context(request: Request, visit: Visit, *, errors: dict | None = None, form: dict | None = None) -> dict:
    """Everything the flow page shows, from the visit's state."""
    errors = errors or {}
    step = visit.step
    ctx: dict = {
        "visit": visit, "board": flow.step_board(visit.done_steps, visit.skipped_steps), "step": step, "step_labels": flow.STEP_LABELS,
        "step_templates": STEP_TEMPLATES,
        "status_labels": flow.STATUS_LABELS, "who_labels": flow.WHO_LABELS, "errors": errors, "form": form or {},
        "distance": geo.format_distance(visit.distance_m), "file": visit.file, "outcome_labels": RISK_OUTCOME_LABELS,
        "identity_labels": IDENTITY_OUTCOME_LABELS, "limit_terms": LIMIT_TERMS, "categories": flow.PHOTO_CATEGORIES, "closed": visit.status in flow.CLOSED,
        "max_mb": request.app.state.settings.idcard_max_bytes // (1024 * 1024),
        "track_seconds": request.app.state.settings.visit_track_interval_seconds, "trail": visit_trail(visit),
    }
    if visit.status == flow.VisitStatus.SIGNED:
        ctx["next_household"] = await reads.next_household(visit)
    who = {flow.BORROWER_ID: flow.BORROWER, flow.BORROWER_IDENTITY: flow.BORROWER, flow.BORROWER_FACE: flow.BORROWER,
           flow.CO_ID: flow.CO_BORROWER, flow.CO_IDENTITY: flow.CO_BORROWER, flow.CO_FACE: flow.CO_BORROWER}.get(step)
    if who is not None:
        ctx["who"] = who
        ctx["person_name"] = (visit.member if who == flow.BORROWER else visit.co_member).name
    if step in (flow.BORROWER_ID, flow.CO_ID):
        ctx["id"] = await _id_step(visit, who, form, errors)
    elif step in (flow.BORROWER_FACE, flow.CO_FACE):
        ctx["face"] = await reads.face_of(visit, "match", who)
    elif step == flow.PHOTOS:
        items = visit.file.photos.items
        docs = await reads.photo_documents(visit)
        ctx["photos"] = [{"doc": docs.get(i.document), "category": i.category} for i in items]
    elif step == flow.AUTHORISATION:
        ctx["face"] = await reads.face_of(visit, "authorisation", flow.BORROWER)
        ctx["authorisation_days"] = request.app.state.settings.visit_authorisation_days
    elif step == flow.DECISION:
        ctx["risk"] = await reads.risk_of(visit)
        ctx["offer"] = await offer_for(visit, policy_of(request))
        authority = await authority_for(visit, policy_of(request))  # the visit's bank's matrix
        ctx["my_limit"] = authority.limit_for(request.state.session.actor.role)
        ctx["decision_key"] = new_key()
    elif step == flow.SIGNING:
        ctx.update(await _signing(request, visit))
    if visit.status == flow.VisitStatus.SIGNED and visit.contract_id:
        ctx["contract"] = await reads.contract_of(visit)
    return ctx


async def render_visit(request: Request, visit_id: UUID, *, errors: dict | None = None, form: dict | None = None, status_code: int = 200) -> Response:
    visit = await reads.visit_page(request.state.session.actor, visit_id)
    context = await visit_context(request, visit, errors=errors, form=form)
    context["own"] = visit.officer_id == request.state.session.actor.id
    return render(request, "visits/visit.html", context, fragment="visits/_step.html", status_code=status_code)


@login_required
async def visit_page(request: Request) -> Response:
    return await render_visit(request, request.path_params["visit_id"])


# --- status fragments (they poll themselves; a finished job reloads the page) ---------------------


def _reload_when(done: bool, response: Response) -> Response:
    if done:
        response.headers["HX-Refresh"] = "true"
    return response


@login_required
async def read_status(request: Request) -> Response:
    visit_id, read_id = request.path_params["visit_id"], request.path_params["read_id"]
    visit, read = await reads.visit_read(request.state.session.actor, visit_id, read_id)
    response = render(request, "visits/_job_status.html", {"visit": visit, "kind": "read", "job": read, "terminal": read.status in TERMINAL,
                                                            "url": request.url.path, "label": "正在识别身份证"})
    return _reload_when(read.status in TERMINAL, response)


@login_required
async def face_status(request: Request) -> Response:
    visit_id = request.path_params["visit_id"]
    v = await face_check_of(actor=request.state.session.actor, visit_id=visit_id, verification_id=request.path_params["verification_id"])
    response = render(request, "visits/_job_status.html", {"visit_id": visit_id, "kind": "face", "job": v, "terminal": v.status in TERMINAL,
                                                            "url": request.url.path, "label": "正在比对人脸"})
    return _reload_when(v.status in TERMINAL, response)


@login_required
async def contract_status(request: Request) -> Response:
    visit = await visible_visit(request.state.session.actor, request.path_params["visit_id"])
    contract = await visit_contract(visit)
    done = contract is None or contract.status.value != "draft" or contract.render_status in (JobStatus.DONE, JobStatus.FAILED)
    label = "正在生成合同 PDF" if contract is not None and contract.render_status == JobStatus.RUNNING else "排队等待生成合同"
    response = render(request, "visits/_job_status.html", {"visit": visit, "kind": "contract", "job": contract, "terminal": done,
                                                            "url": request.url.path, "label": label})
    return _reload_when(done, response)


# --- track and abandon ---------------------------------------------------------------------------


def _point(raw: object) -> PointIn | None:
    if not isinstance(raw, dict):
        return None
    at = None
    if isinstance(raw.get("at"), int | float) and not isinstance(raw.get("at"), bool) and math.isfinite(raw["at"]):
        try:
            at = datetime.fromtimestamp(raw["at"] / 1000, tz=UTC)
        except (OverflowError, OSError, ValueError):
            at = None
    return PointIn(lat=raw.get("lat"), lng=raw.get("lng"), accuracy_m=raw.get("accuracy"), at=at)


@login_required
async def visit_track(request: Request) -> Response:
    """The open visit page posts the tablet's positions here (JSON: {"points": [{lat, lng, accuracy, at}]})."""
    try:
        body = json.loads(await request.body() or b"{}")
    except ValueError:
        return Response("请求格式错误", status_code=400)
    raw = body.get("points") if isinstance(body, dict) else None
    points = [_point(p) for p in raw] if isinstance(raw, list) else []
    if not points or any(p is None for p in points):
        return Response("请求格式错误", status_code=400)
    try:
        stored = await record_track_points(actor=request.state.session.actor, points=points, visit_id=request.path_params["visit_id"], now=clock.now_utc())
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        return Response(exc.message, status_code=422)
    return Response(status_code=204, headers={"X-Stored": str(stored)})


@login_required
async def visit_abandon(request: Request) -> Response:
    visit_id = request.path_params["visit_id"]
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=10)).items() if isinstance(v, str)}
    try:
        await abandon_visit(actor=request.state.session.actor, visit_id=visit_id, reason=form.get("reason", ""), now=clock.now_utc())
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        return await render_visit(request, visit_id, errors={"abandon": exc.message}, form=form, status_code=422)
    return redirect(request, request.url_for("visit_page", visit_id=str(visit_id)).path)
