"""The visit's step forms: each posts here, the service does the work, success goes back to the flow page.

A refused step re-renders the current step (the fragment for htmx) with the message and status 422.
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Awaitable, Callable
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, NotFound
from app.services import business_date
from app.services import identity_checks as checks
from app.services.risk.common import institution_name
from app.services.visits import (
    add_photo,
    capture_id_card,
    check_person_identity,
    complete_face_match,
    confirm_id_card_side,
    decide,
    finish_photos,
    prepare_contract,
    run_credit_check,
    seal_at_visit,
    sign_at_visit,
    sign_authorisation,
    skip_co_borrower,
    start_face_check,
    visible_visit,
)
from app.services.visits.uploads import upload_once
from ui.auth import login_required, redirect
from ui.common import FieldsInvalid, external_access, finite_number, optional_money, optional_uuid, parse_fields, read_upload
from ui.idcard_form import posted
from ui.visits import face_checks_of, policy_of, render_visit, signing_kit

FORM_FIELDS = {"image", "probe", "photo", "category", "requested", "income", "reason", "signature_png", "lat", "side"}  # the rest: the banner
MAX_SIGNATURE_FIELD = 3 * 1024 * 1024  # a data URL of a 2 MB PNG

Action = Callable[[UUID, dict[str, str], dict[str, bytes]], Awaitable[None]]


def png_from_data_url(value: str) -> bytes:
    """The signature pad's `data:image/png;base64,...`; anything else is no signature (b"")."""
    prefix = "data:image/png;base64,"
    if not value.startswith(prefix) or len(value) > MAX_SIGNATURE_FIELD:
        return b""
    try:
        return base64.b64decode(value[len(prefix):], validate=True)
    except (binascii.Error, ValueError):
        return b""


def _errors(exc: DomainError) -> dict[str, str]:
    if isinstance(exc, (checks.ConfirmationError, FieldsInvalid)):
        return dict(exc.errors)
    return {exc.field if exc.field in FORM_FIELDS else "_form": exc.message}


async def _step(request: Request, action: Action, *, files: tuple[str, ...] = ()) -> Response:
    visit_id = request.path_params["visit_id"]
    limit = request.app.state.settings.idcard_max_bytes
    raw = await request.form(max_files=len(files), max_fields=40, max_part_size=MAX_SIGNATURE_FIELD + 1024)
    form = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    uploads = {name: await read_upload(raw.get(name), limit) for name in files}
    try:
        await action(visit_id, form, uploads)
    except NotFound:  # the 404 page (app/main.py), not the refusal below
        raise
    except DomainError as exc:
        shown = {k: v for k, v in form.items() if k not in ("signature_png", "csrf_token")}
        return await render_visit(request, visit_id, errors=_errors(exc), form=shown, status_code=422)
    return redirect(request, request.url_for("visit_page", visit_id=str(visit_id)).path)


@login_required
async def idcard_capture(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        actor, who, side = request.state.session.actor, form.get("who", ""), form.get("side", "")

        async def upload():
            read = await capture_id_card(actor=actor, visit_id=visit_id, who=who, side=side, data=uploads["image"],
                                         media=request.app.state.media, queue=request.app.state.queue, policy=policy_of(request))
            return {"read_id": str(read.id)}

        await upload_once(actor=actor, scope="visit_idcard", key=optional_uuid(form.get("upload_key")),
                          request={"visit": str(visit_id), "who": who, "side": side}, upload=upload)

    return await _step(request, action, files=("image",))


@login_required
async def idcard_confirm(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        values, checked = posted(form.get("side", ""), form)
        await confirm_id_card_side(
            actor=request.state.session.actor, visit_id=visit_id, who=form.get("who", ""), side=form.get("side", ""), values=values, checked=checked,
            vault=request.app.state.vault, today=await business_date.current(), now=clock.now_utc(),
        )

    return await _step(request, action)


@login_required
async def identity_check(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        state = request.app.state
        await check_person_identity(actor=request.state.session.actor, visit_id=visit_id, who=form.get("who", ""),
                                    identity_check=state.identity_check, vault=state.vault, media=state.media, now=clock.now_utc())

    return await _step(request, action)


@login_required
async def face_capture(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        actor, who, stage = request.state.session.actor, form.get("who", ""), form.get("stage", "")

        async def upload():
            check = await start_face_check(actor=actor, visit_id=visit_id, who=who, stage=stage, probe=uploads["probe"],
                                           media=request.app.state.media, queue=request.app.state.queue, policy=policy_of(request))
            return {"verification_id": str(check.id)}

        await upload_once(actor=actor, scope="visit_face", key=optional_uuid(form.get("upload_key")),
                          request={"visit": str(visit_id), "who": who, "stage": stage}, upload=upload)

    return await _step(request, action, files=("probe",))


@login_required
async def face_done(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        await complete_face_match(actor=request.state.session.actor, visit_id=visit_id, who=form.get("who", ""),
                                  face_checks=face_checks_of(request), now=clock.now_utc())

    return await _step(request, action)


@login_required
async def co_borrower_skip(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        await skip_co_borrower(actor=request.state.session.actor, visit_id=visit_id, reason=form.get("reason", ""), now=clock.now_utc())

    return await _step(request, action)


@login_required
async def photo_add(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        actor, category = request.state.session.actor, form.get("category", "")

        async def upload():
            doc = await add_photo(actor=actor, visit_id=visit_id, category=category, data=uploads["photo"],
                                  media=request.app.state.media, policy=policy_of(request))
            return {"document_id": str(doc.id)}

        await upload_once(actor=actor, scope="visit_photo", key=optional_uuid(form.get("upload_key")),
                          request={"visit": str(visit_id), "category": category}, upload=upload)

    return await _step(request, action, files=("photo",))


@login_required
async def photos_done(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        await finish_photos(actor=request.state.session.actor, visit_id=visit_id, now=clock.now_utc())

    return await _step(request, action)


@login_required
async def authorisation_sign(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        actor = request.state.session.actor
        visit = await visible_visit(actor, visit_id)
        settings = request.app.state.settings
        await sign_authorisation(
            actor=actor, visit_id=visit_id, signature_png=png_from_data_url(form.get("signature_png", "")),
            face_verification_id=optional_uuid(form.get("face_verification_id", "")), face_checks=face_checks_of(request), media=request.app.state.media,
            policy=policy_of(request), institution=await institution_name(visit.branch_id), tz=settings.business_tz,
            today=await business_date.current(), now=clock.now_utc(),
        )

    return await _step(request, action)


@login_required
async def credit_check(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        state = request.app.state
        await run_credit_check(actor=request.state.session.actor, visit_id=visit_id, bureau=state.bureau, media=state.media,
                               vault=state.vault, policy=policy_of(request), now=clock.now_utc(), today=await business_date.current(),
                               external=external_access(request))

    return await _step(request, action)


@login_required
async def decision(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        typed = parse_fields({"requested": lambda: optional_money(form.get("requested"), field="requested"),
                              "income": lambda: optional_money(form.get("income"), field="income")})
        requested, income = typed["requested"], typed["income"]
        state = request.app.state
        await decide(actor=request.state.session.actor, visit_id=visit_id, requested_fen=requested.fen if requested is not None else None,
                     income_fen=income.fen if income is not None else None, policy=policy_of(request),
                     media=state.media, vault=state.vault, today=await business_date.current(), now=clock.now_utc(),
                     idempotency_key=form.get("idempotency_key", ""), external=external_access(request))

    return await _step(request, action)


@login_required
async def contract_prepare(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        await prepare_contract(actor=request.state.session.actor, visit_id=visit_id, queue=request.app.state.queue,
                               today=await business_date.current(), now=clock.now_utc())

    return await _step(request, action)


@login_required
async def contract_sign(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        await sign_at_visit(
            actor=request.state.session.actor, visit_id=visit_id, who=form.get("who", ""), signature_png=png_from_data_url(form.get("signature_png", "")),
            face_verification_id=optional_uuid(form.get("face_verification_id", "")), face_checks=face_checks_of(request),
            lat=finite_number(form.get("lat", "")), lng=finite_number(form.get("lng", "")), kit=signing_kit(request),
            today=await business_date.current(), now=clock.now_utc(),
        )

    return await _step(request, action)


@login_required
async def contract_seal(request: Request) -> Response:
    async def action(visit_id, form, uploads):
        await seal_at_visit(actor=request.state.session.actor, visit_id=visit_id, kit=signing_kit(request), now=clock.now_utc())

    return await _step(request, action)
