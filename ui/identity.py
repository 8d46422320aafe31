"""Face login (the second factor), face enrolment, and the shared capture helpers.

After the password the session opens no page (ui/auth.login_required) until a live face check
passes: a random challenge (blink / turn) judged on a burst of camera frames, and several of
those same frames compared with the officer's enrolment. The burst comes from the live camera
only: the login page has no file-upload fallback (customer documents keep theirs). An officer without an enrolment is sent to enrol first:
trust on first use, right after a password login. An admin can reset an enrolment
(`cunxin face-reset USERNAME`). ID-card capture and the customer face match are in
ui/identity_visit.py.
"""

from __future__ import annotations

import random
from collections.abc import Awaitable, Callable
from datetime import timedelta
from urllib.parse import quote
from uuid import UUID

from starlette.datastructures import UploadFile
from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, NotFound
from app.models.identity import JobStatus
from app.services.auth import officers as auth
from app.services import identity_checks as checks
from ui.auth import end_session, redirect, safe_next, session_required
from ui.common import read_upload
from ui.templating import is_htmx, render

Endpoint = Callable[[Request], Awaitable[Response]]
BURST_FRAMES = 48  # ≈6 s at 8 frames a second: time for three steps
BURST_INTERVAL_MS = 125


def _rng(request: Request) -> random.Random:
    seed = request.app.state.settings.liveness_seed
    if seed is not None and request.app.state.settings.env != "prod":
        return random.Random(seed)  # tests only: a fixed challenge (the e2e camera performs it)
    return random.SystemRandom()


# --- face login -------------------------------------------------------------------------------


@session_required
async def face_login(request: Request) -> Response:
    """GET: what happens and a start button. POST: a fresh challenge bound to this session."""
    info: auth.SessionInfo = request.state.session
    settings = request.app.state.settings
    next_url = safe_next(request.query_params.get("next"))
    if info.session.face_verified_at is not None or (not settings.face_login_required and request.method != "POST"):
        return redirect(request, next_url)
    officer = await checks.own_officer(info.actor)
    if officer.face_embeddings_enc is None:
        return redirect(request, request.url_for("face_enrol").path + "?next=" + quote(next_url, safe="/"))
    if request.method != "POST":
        return render(request, "identity/face_login.html", {"officer": officer, "next": next_url})
    check = await checks.start_liveness(
        actor=info.actor, now=clock.now_utc(), rng=_rng(request), ttl=timedelta(seconds=settings.liveness_ttl_seconds),
        session_id=info.session.id,
    )
    return redirect(request, request.url_for("face_login_check", liveness_id=str(check.id)).path + "?next=" + quote(next_url, safe="/"))


async def _login_context(request: Request, liveness_id: UUID) -> dict:
    info: auth.SessionInfo = request.state.session
    state = await checks.face_login_state(actor=info.actor, session_id=info.session.id, liveness_id=liveness_id, now=clock.now_utc())
    challenge = checks.challenge_of(state.liveness)
    return {
        "state": state, "check": state.liveness, "verification": state.verification, "prompts": challenge.prompts,
        "nonce": challenge.nonce, "next": safe_next(request.query_params.get("next")), "errors": {},
        "burst_frames": BURST_FRAMES, "burst_interval_ms": BURST_INTERVAL_MS, "officer": info.officer,
    }


@session_required
async def face_login_check(request: Request) -> Response:
    """The challenge and the capture form, then the status (htmx polls this URL for the fragment)."""
    context = await _login_context(request, request.path_params["liveness_id"])
    response = render(request, "identity/face_check.html", context, fragment="identity/_face_login_status.html")
    if context["state"].status == "passed" and is_htmx(request):
        response.headers["HX-Redirect"] = context["next"]
    return response


@session_required
async def face_login_frames(request: Request) -> Response:
    info: auth.SessionInfo = request.state.session
    settings = request.app.state.settings
    liveness_id = request.path_params["liveness_id"]
    form = await request.form(max_files=settings.liveness_max_frames + 2, max_fields=10)
    frames = [await read_upload(f, settings.liveness_frame_max_bytes) for f in form.getlist("frames") if isinstance(f, UploadFile) and f.filename]
    next_url = safe_next(str(form.get("next", "/")))
    try:
        await checks.submit_face_login(
            actor=info.actor, session_id=info.session.id, media=request.app.state.media, queue=request.app.state.queue,
            liveness_id=liveness_id, nonce=str(form.get("nonce", "")), frames=frames, now=clock.now_utc(),
            threshold=settings.face_threshold, max_frames=settings.liveness_max_frames,
            max_frame_bytes=settings.liveness_frame_max_bytes,
        )
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        context = await _login_context(request, liveness_id)
        context.update(errors={exc.field or "_form": exc.message}, next=next_url)
        return render(request, "identity/face_check.html", context, fragment="identity/_face_capture_form.html", status_code=422)
    return redirect(request, request.url_for("face_login_check", liveness_id=str(liveness_id)).path + "?next=" + quote(next_url, safe="/"))


@session_required
async def face_logout(request: Request) -> Response:
    """Leave from the face step (the ordinary logout needs a fully opened session)."""
    return await end_session(request)


# --- enrolment --------------------------------------------------------------------------------


@session_required
async def face_enrol(request: Request) -> Response:
    """Trust on first use: several captures of the officer's face, right after the password."""
    info: auth.SessionInfo = request.state.session
    settings = request.app.state.settings
    next_url = safe_next(request.query_params.get("next"))
    officer = await checks.own_officer(info.actor)
    context = {"officer": officer, "next": next_url, "errors": {}, "count": settings.face_enrolment_captures,
               "enrolled": officer.face_embeddings_enc is not None}
    if request.method != "POST":
        return render(request, "identity/enrol.html", context)
    form = await request.form(max_files=12, max_fields=10)
    next_url = context["next"] = safe_next(str(form.get("next", "/")))
    captures = [await read_upload(f, settings.idcard_max_bytes) for f in form.getlist("captures") if isinstance(f, UploadFile) and f.filename]
    try:
        enrolment = await checks.enrol_officer_face(
            actor=info.actor, media=request.app.state.media, queue=request.app.state.queue, captures=captures,
            min_captures=settings.face_enrolment_captures, max_bytes=settings.idcard_max_bytes,
        )
    except DomainError as exc:
        context["errors"] = {exc.field or "_form": exc.message}
        return render(request, "identity/enrol.html", context, fragment="identity/_enrol_form.html", status_code=422)
    return redirect(request, request.url_for("face_enrolment", enrolment_id=str(enrolment.id)).path + "?next=" + quote(next_url, safe="/"))


@session_required
async def face_enrolment(request: Request) -> Response:
    info: auth.SessionInfo = request.state.session
    enrolment = await checks.get_enrolment(actor=info.actor, enrolment_id=request.path_params["enrolment_id"])
    context = {"enrolment": enrolment, "next": safe_next(request.query_params.get("next")),
               "terminal": enrolment.status in (JobStatus.DONE, JobStatus.FAILED)}
    return render(request, "identity/enrolment.html", context, fragment="identity/_enrolment_status.html")
