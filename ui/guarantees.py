"""联保 pages on the PAD: form a group from a village's households, a group's page, a member's release and the
group's dissolution. Thin: parse the form, call app/services/guarantees.py, render or redirect."""

from __future__ import annotations

from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, NotFound
from app.services import business_date
from app.domain.vocabulary import GUARANTEE_GROUP_STATUS_LABELS, GUARANTEE_ORIGIN_LABELS, GUARANTEE_STATUS_LABELS
from app.services.guarantees import (
    DEFAULT_POLICY, MemberInput, dissolve_group, form_group, group_candidates, group_members, group_of,
    release_member,
)
from ui.auth import login_required, redirect
from ui.common import FieldsInvalid, form_data, money, optional_uuid
from ui.forms import form_errors
from ui.templating import render

LABELS = {"group_statuses": GUARANTEE_GROUP_STATUS_LABELS, "statuses": GUARANTEE_STATUS_LABELS, "origins": GUARANTEE_ORIGIN_LABELS}


def _policy(request: Request):
    return getattr(request.app.state, "guarantee_policy", DEFAULT_POLICY)  # from the settings, once (app/wiring.py)


def _members(single: dict[str, str], multi: dict[str, list[str]]) -> list[MemberInput]:
    """The ticked households, each with its 担保最高额 in yuan (`amount.<customer id>`); every bad amount at its input."""
    chosen, errors = [], {}
    for value in multi.get("member", []):
        customer_id = optional_uuid(value)
        if customer_id is None:
            errors["members"] = "所选成员无效，请刷新页面后重试"
            continue
        field = f"amount.{customer_id}"
        try:
            chosen.append(MemberInput(customer_id=customer_id, amount_fen=money(single.get(field, ""), field=field).fen))
        except DomainError as exc:
            errors[field] = exc.message
    if errors:
        raise FieldsInvalid(errors)
    return chosen


@login_required
async def guarantee_group_new(request: Request) -> Response:
    """GET: the form (the village's members who may sign for their households); POST: form the group, then its page."""
    actor = request.state.session.actor
    village_id = request.path_params["village_id"]
    village, candidates = await group_candidates(actor, village_id)
    policy = _policy(request)
    context = {"village": village, "candidates": candidates, "policy": policy, "errors": {}, "form": {"origin": "visit"}, "chosen": set(), **LABELS}
    if request.method != "POST":
        return render(request, "guarantees/new.html", context)
    single, multi = await form_data(request)
    try:
        group = await form_group(actor=actor, name=single.get("name", ""), members=_members(single, multi), on=await business_date.current(),
                                 now=clock.now_utc(), kit=request.app.state.signing_kit(), origin=single.get("origin", ""), policy=policy)
    except DomainError as exc:
        if isinstance(exc, NotFound) and exc.field != "members":
            raise
        context.update(errors=form_errors(exc), form=single, chosen=set(multi.get("member", [])))
        return render(request, "guarantees/new.html", context, fragment="guarantees/_form.html", status_code=422)
    return redirect(request, request.url_for("guarantee_group_page", group_id=str(group.id)).path)


async def _group_context(request: Request, group_id: UUID) -> dict:
    group = await group_of(request.state.session.actor, group_id)
    return {"group": group, "members": await group_members(group), "policy": _policy(request), "errors": {}, "form": {}, **LABELS}


@login_required
async def guarantee_group_page(request: Request) -> Response:
    return render(request, "guarantees/group.html", await _group_context(request, request.path_params["group_id"]))


@login_required
async def guarantee_group_dissolve(request: Request) -> Response:
    group_id = request.path_params["group_id"]
    context = await _group_context(request, group_id)
    single, _ = await form_data(request)
    try:
        await dissolve_group(actor=request.state.session.actor, group_id=group_id, reason=single.get("reason", ""), now=clock.now_utc())
    except DomainError as exc:
        context.update(errors={"dissolve": exc.message}, form=single)
        return render(request, "guarantees/group.html", context, fragment="guarantees/_actions.html", status_code=422)
    return redirect(request, request.url_for("guarantee_group_page", group_id=str(group_id)).path)


@login_required
async def guarantee_member_release(request: Request) -> Response:
    group_id, member_id = request.path_params["group_id"], request.path_params["guarantee_id"]
    context = await _group_context(request, group_id)
    if all(m.id != member_id for m in context["members"]):
        raise NotFound("联保小组成员不存在")
    single, _ = await form_data(request)
    try:
        await release_member(actor=request.state.session.actor, member_id=member_id, reason=single.get("reason", ""), now=clock.now_utc(),
                             policy=_policy(request))
    except DomainError as exc:
        context.update(errors={f"release.{member_id}": exc.message}, form=single)
        return render(request, "guarantees/group.html", context, fragment="guarantees/_members.html", status_code=422)
    return redirect(request, request.url_for("guarantee_group_page", group_id=str(group_id)).path)
