"""Visit pages: ID-card capture, OCR status and the confirm/correct form, customer face match.

Uploads go to the services, which store them and queue an ML job; the record page polls its own
URL (htmx, `load delay:1s`) for the status fragment until the job ends. The confirm form is the
one the visit's ID-card step shows too (ui/idcard_form.py): the ID number is shown masked, and to
correct it the officer types the whole number from the card.
"""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, NotFound
from app.domain.idcard_ocr.model import FIELD_LABELS, SIDE_LABELS
from app.models.identity import FacePurpose, JobStatus
from app.services import identity_checks as checks
from app.services.customers.archive import visible_customer
from ui.auth import login_required, redirect
from ui.common import optional_uuid, read_upload
from ui.idcard_form import confirm_form, posted
from ui.templating import render

TERMINAL = (JobStatus.DONE, JobStatus.FAILED)


# --- ID card ----------------------------------------------------------------------------------


@login_required
async def idcard_new(request: Request) -> Response:
    """GET: the capture form (front or back). POST: store the photo, queue the OCR, go to the record."""
    settings = request.app.state.settings
    source = request.query_params if request.method != "POST" else await request.form(max_files=1, max_fields=10)
    side = str(source.get("side") or "front")
    customer_id = optional_uuid(source.get("customer"))
    customer = await visible_customer(request.state.session.actor, customer_id) if customer_id else None
    context = {"side": side if side in SIDE_LABELS else "front", "sides": SIDE_LABELS, "customer": customer, "errors": {},
               "max_mb": settings.idcard_max_bytes // (1024 * 1024)}
    if request.method != "POST":
        return render(request, "identity/idcard_new.html", context)
    data = await read_upload(source.get("image"), settings.idcard_max_bytes)
    try:
        read = await checks.start_id_card_read(
            actor=request.state.session.actor, media=request.app.state.media, queue=request.app.state.queue, data=data,
            side=side, customer_id=customer.id if customer else None, max_bytes=settings.idcard_max_bytes,
        )
    except DomainError as exc:
        context["errors"] = {exc.field or "_form": exc.message}
        return render(request, "identity/idcard_new.html", context, fragment="identity/_idcard_upload_form.html", status_code=422)
    return redirect(request, request.url_for("idcard_read", read_id=str(read.id)).path)


async def _read_context(request: Request, read_id: UUID, form: dict[str, str] | None = None, errors: dict[str, str] | None = None) -> dict:
    read = await checks.get_id_card_read(actor=request.state.session.actor, read_id=read_id)
    errors = errors or {}
    confirm = confirm_form(read, form_id=f"idcard-{read.id}-confirm", route="idcard_confirm", route_params={"read_id": read.id},
                           target=f"#idcard-{read.id}-status", form=form, errors=errors)
    return {
        "read": read, "side_label": SIDE_LABELS[read.side], "confirm": confirm, "errors": errors, "terminal": read.status in TERMINAL,
        "labels": FIELD_LABELS, "customer": read.customer,
    }


@login_required
async def idcard_read(request: Request) -> Response:
    """The record: status while the OCR runs (the fragment polls this URL), then the confirm form."""
    context = await _read_context(request, request.path_params["read_id"])
    return render(request, "identity/idcard_read.html", context, fragment="identity/_idcard_status.html")


@login_required
async def idcard_confirm(request: Request) -> Response:
    read_id = request.path_params["read_id"]
    form = {k: str(v) for k, v in (await request.form(max_files=0, max_fields=40)).items() if isinstance(v, str)}
    try:
        read = await checks.get_id_card_read(actor=request.state.session.actor, read_id=read_id)
        values, checked = posted(read.side, form)
        await checks.confirm_id_card(actor=request.state.session.actor, vault=request.app.state.vault, read_id=read_id, values=values,
                                     checked=checked, now=clock.now_utc())
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except checks.ConfirmationError as exc:
        context = await _read_context(request, read_id, form, exc.errors)
        return render(request, "identity/idcard_read.html", context, fragment="identity/_idcard_status.html", status_code=422)
    except DomainError as exc:
        context = await _read_context(request, read_id, form, {"_form": exc.message})
        return render(request, "identity/idcard_read.html", context, fragment="identity/_idcard_status.html", status_code=422)
    return redirect(request, request.url_for("idcard_read", read_id=str(read_id)).path)


# --- customer face match ----------------------------------------------------------------------


@login_required
async def customer_face(request: Request) -> Response:
    """GET: the portrait on file and the capture form. POST: queue the match of a live photo with it."""
    settings = request.app.state.settings
    customer = await visible_customer(request.state.session.actor, request.path_params["customer_id"])
    read = await checks.latest_portrait_read(customer_id=customer.id)
    context = {"customer": customer, "read": read, "errors": {}, "max_mb": settings.idcard_max_bytes // (1024 * 1024)}
    if request.method != "POST":
        return render(request, "identity/customer_face.html", context)
    form = await request.form(max_files=1, max_fields=10)
    probe = await read_upload(form.get("probe"), settings.idcard_max_bytes)
    purpose = FacePurpose.CONTRACT_SIGN if form.get("purpose") == FacePurpose.CONTRACT_SIGN else FacePurpose.CUSTOMER_MATCH
    try:
        verification = await checks.start_face_verification(
            actor=request.state.session.actor, media=request.app.state.media, queue=request.app.state.queue, purpose=purpose,
            probe=probe, threshold=settings.face_threshold, customer_id=customer.id, max_bytes=settings.idcard_max_bytes,
        )
    except DomainError as exc:
        context["errors"] = {exc.field or "_form": exc.message}
        return render(request, "identity/customer_face.html", context, fragment="identity/_customer_face_form.html", status_code=422)
    return redirect(request, request.url_for("face_verification", verification_id=str(verification.id)).path)


@login_required
async def face_verification(request: Request) -> Response:
    verification = await checks.get_face_verification(actor=request.state.session.actor, verification_id=request.path_params["verification_id"])
    context = {"v": verification, "terminal": verification.status in TERMINAL, "customer": verification.customer}
    return render(request, "identity/face_verification.html", context, fragment="identity/_face_verification_status.html")

