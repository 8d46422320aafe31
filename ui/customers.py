"""The customer page (客户视图): a person's household, lines, loans, visits, warnings and collections, with the next action;
and its section 外部数据授权与查询: the consents, a consent signed on the PAD, a query of a consented source."""

from __future__ import annotations

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError, Forbidden, NotFound
from app.domain.permissions import Action
from app.domain.external_data import SOURCE_LABELS, ConsentPurpose, ExternalQueryStatus
from app.domain.visit import STATUS_LABELS as VISIT_STATUS_LABELS
from app.domain.warnings import KIND_LABELS as WARNING_KIND_LABELS
from app.services.customers.view import customer_view
from app.services.external_data import query_external
from app.services.external_data.pad import sign_consent_at_pad
from app.services.external_data.reads import external_overview, outcome_line
from app.services.permissions import may
from ui.auth import login_required, redirect
from ui.common import external_access, finite_number, forbidden_page
from ui.permissions import POLICY_CODES
from ui.templating import render
from ui.visit_steps import png_from_data_url

PURPOSES = {p.value: p.label for p in ConsentPurpose}
CONSENT_DAYS = 365  # the PAD form's default term of a consent

# A next action's kind -> the page that does it (route name, path parameter).
ACTION_TARGETS = {
    "visit": ("visit_page", "visit_id"),
    "collection": ("task_detail", "task_id"),
    "warning": ("warning_detail", "warning_id"),
    "drawdown": ("line_detail", "line_id"),
    "start_visit": ("visit_start", "member_id"),
}


async def _context(request: Request, **extra) -> dict:
    actor, customer_id = request.state.session.actor, request.path_params["customer_id"]
    view = await customer_view(actor=actor, customer_id=customer_id)
    tz = request.app.state.settings.business_tz
    # the section is for who may sign and query at a visit (ui/permissions.py names the same action for its forms)
    external = await external_overview(actor=actor, customer_id=customer_id, now=clock.now_utc(), tz=tz) if may(actor, Action.VISIT_CONDUCT) else None

    def action_href(action) -> str:
        name, param = ACTION_TARGETS[action.kind]
        return str(request.url_for(name, **{param: action.target_id}))

    return {
        "view": view, "customer": view.customer, "trail": view.trail, "action_href": action_href,
        "visit_status": VISIT_STATUS_LABELS, "warning_kinds": WARNING_KIND_LABELS,
        "external": external, "sources": SOURCE_LABELS, "purposes": PURPOSES, "consent_days": CONSENT_DAYS, "errors": {}, "form": {}, **extra,
    }


@login_required
async def customer_page(request: Request) -> Response:
    return render(request, "customers/customer.html", await _context(request))


async def _form(request: Request) -> dict:
    raw = await request.form(max_files=0, max_fields=16)
    out: dict = {k: str(v) for k, v in raw.items() if isinstance(v, str)}
    out["purpose_list"] = [str(v) for v in raw.getlist("purposes")]
    return out


def _section(request: Request, context: dict, status_code: int = 200) -> Response:
    return render(request, "customers/customer.html", context, fragment="customers/_external.html", status_code=status_code)


@login_required
async def external_consent(request: Request) -> Response:
    """The customer signs the authorisation on the PAD: filed in the e-archive and as a consent (the app's way too)."""
    form = await _form(request)
    state, actor = request.app.state, request.state.session.actor
    try:
        days = int(form.get("valid_days") or CONSENT_DAYS)
        await sign_consent_at_pad(
            actor=actor, customer_id=request.path_params["customer_id"], source=form.get("source", ""), purposes=form["purpose_list"],
            signature_png=png_from_data_url(form.get("signature_png", "")), now=clock.now_utc(), valid_days=days, media=state.media,
            lat=finite_number(form.get("lat")), lng=finite_number(form.get("lng")), tz=state.settings.business_tz,
        )
    except NotFound:
        raise
    except ValueError:
        return _section(request, await _context(request, errors={"valid_days": "授权期限应为天数"}, form=form), 422)
    except DomainError as exc:
        if isinstance(exc, Forbidden) and exc.code in POLICY_CODES:
            return forbidden_page(request, exc.message)
        field = exc.field if exc.field in ("source", "purposes", "signature_png", "valid_days") else "consent"
        return _section(request, await _context(request, errors={field: exc.message}, form=form), 422)
    path = request.url_for("customer_page", customer_id=request.path_params["customer_id"]).path
    if request.headers.get("HX-Request"):
        return _section(request, await _context(request, notice="授权已签署并存入电子档案"))
    return redirect(request, path + "#customer-external")


@login_required
async def external_query(request: Request) -> Response:
    """Query a consented source now (or reuse a fresh answer): recorded and audited by the service; refusals in Chinese."""
    form = await _form(request)
    state, actor = request.app.state, request.state.session.actor
    access = external_access(request)
    purpose = form.get("purpose") or ConsentPurpose.APPLICATION.value
    try:
        outcome = await query_external(actor=actor, customer_id=request.path_params["customer_id"], source=form.get("source", ""),
                                       purpose=purpose, sources=access.sources, vault=state.vault, policy=access.policy, now=clock.now_utc())
    except NotFound:
        raise
    except DomainError as exc:
        if isinstance(exc, Forbidden) and exc.code in POLICY_CODES:
            return forbidden_page(request, exc.message)
        return _section(request, await _context(request, refusal=exc.message, form=form), 422)
    result = outcome_line(outcome, purpose, access.business_tz)
    refusal = None
    if outcome.status in (ExternalQueryStatus.TIMEOUT, ExternalQueryStatus.FAILED):  # recorded, and never a pass
        what = "查询超时" if outcome.status == ExternalQueryStatus.TIMEOUT else "查询出错"
        refusal = f"{result.source.label}{what}，未取得数据（本次查询已记录），请稍后再试：{outcome.message}"
    return _section(request, await _context(request, result=result, reused=outcome.reused, refusal=refusal, form=form))
