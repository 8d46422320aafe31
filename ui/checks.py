"""Maker-checker pages (双人复核): the 待复核 queue, one request with its effect before and after, approve and reject;
the write-off proposal and the recovery forms on the loan page post here too."""

from __future__ import annotations

import json
from uuid import UUID

from starlette.requests import Request
from starlette.responses import Response

from app import clock
from app.domain.errors import DomainError
from app.domain.maker_checker import COMMAND_KIND_LABELS, COMMAND_STATUS_LABELS
from app.services import business_date
from app.domain.extension import DEFAULT_POLICY as DEFAULT_EXTENSION
from app.services.lending.extension import decline_extension_application, propose_extension, record_consent
from app.domain.renewal import DEFAULT_POLICY as DEFAULT_RENEWAL
from app.services.lending.renewal import propose_renewal, sign_renewal_guarantee
from app.services.lending.reversal import loan_by_iou, propose_reversal
from app.services.lending.write_off import propose_write_off, record_recovery
from app.services.maker_checker.commands import approve, command_view, my_requests, pending_queue, reject
from ui.auth import login_required, redirect
from ui.common import money
from ui.forms import form_errors, parse_key
from ui.templating import render

LABELS = {"kinds": COMMAND_KIND_LABELS, "statuses": COMMAND_STATUS_LABELS}


@login_required
async def check_queue(request: Request) -> Response:
    actor = request.state.session.actor
    now = clock.now_utc()
    return render(request, "checks/queue.html", {"pending": await pending_queue(actor=actor, now=now), "mine": await my_requests(actor=actor), **LABELS})


async def _request_page(request: Request, command_id: UUID, *, errors: dict[str, str] | None = None, status_code: int = 200) -> Response:
    actor = request.state.session.actor
    view = await command_view(actor=actor, command_id=command_id, today=await business_date.current(), now=clock.now_utc())
    seen_json = json.dumps(view.now.to_json(), ensure_ascii=False) if view.now else ""
    return render(request, "checks/request.html", {"view": view, "c": view.command, "seen_json": seen_json, "errors": errors or {}, **LABELS},
                  status_code=status_code)


@login_required
async def check_request(request: Request) -> Response:
    return await _request_page(request, request.path_params["command_id"])


@login_required
async def check_approve(request: Request) -> Response:
    command_id = request.path_params["command_id"]
    form = await request.form()
    seen = str(form.get("seen") or "")
    try:
        await approve(actor=request.state.session.actor, command_id=command_id, today=await business_date.current(), now=clock.now_utc(),
                      note=str(form.get("note") or ""), seen=json.loads(seen) if seen else None,
                      ports={"core": request.app.state.core, "vault": request.app.state.vault})
    except DomainError as exc:
        return await _request_page(request, command_id, errors={"_form": exc.message}, status_code=422)
    return redirect(request, request.url_for("check_request", command_id=str(command_id)).path)


@login_required
async def check_reject(request: Request) -> Response:
    command_id = request.path_params["command_id"]
    form = await request.form()
    try:
        await reject(actor=request.state.session.actor, command_id=command_id, note=str(form.get("note") or ""),
                     today=await business_date.current(), now=clock.now_utc())
    except DomainError as exc:
        return await _request_page(request, command_id, errors={"note" if exc.field == "note" else "_form": exc.message}, status_code=422)
    return redirect(request, request.url_for("check_request", command_id=str(command_id)).path)


@login_required
async def loan_write_off(request: Request) -> Response:
    """The branch proposes a write-off of this loan: a request for a head-office approver."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    state = request.app.state
    try:
        command = await propose_write_off(actor=request.state.session.actor, loan_id=loan_id, reason=str(form.get("reason") or ""),
                                          today=await business_date.current(), now=clock.now_utc(), policy=state.maker_checker_policy,
                                          allowance=state.allowance_policy)
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": "write-off-error", "errors": form_errors(exc)}, fragment="checks/_form_error.html",
                      status_code=422)
    return redirect(request, request.url_for("check_request", command_id=str(command.id)).path)


@login_required
async def loan_reversal(request: Request) -> Response:
    """提出冲正: a booking of today on this loan, refunded or re-applied (调账) to the loan named by its 借据号; a request for a checker."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    state = request.app.state
    actor = request.state.session.actor
    mode = str(form.get("mode") or "")
    try:
        target = await loan_by_iou(actor=actor, iou_number=str(form.get("target") or "")) if mode == "reapply" else None
        try:
            txn_id = UUID(str(form.get("transaction_id") or ""))
        except ValueError:
            raise DomainError("请选择要冲正的交易", field="transaction_id") from None
        command = await propose_reversal(actor=actor, transaction_id=txn_id, mode=mode, target_loan_id=target, reason=str(form.get("reason") or ""),
                                         today=await business_date.current(), now=clock.now_utc(), policy=state.maker_checker_policy,
                                         ports={"core": state.core, "vault": state.vault})
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": "reversal-error", "errors": form_errors(exc)}, fragment="checks/_form_error.html",
                      status_code=422)
    return redirect(request, request.url_for("check_request", command_id=str(command.id)).path)


@login_required
async def loan_extension(request: Request) -> Response:
    """An officer proposes an extension (展期) of this loan: a request for an approver or branch manager of the branch."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    state = request.app.state
    try:
        months = str(form.get("months") or "").strip()
        if not months.isdigit():
            raise DomainError("请填写展期期限（整月数）", field="months")
        command = await propose_extension(actor=request.state.session.actor, loan_id=loan_id, months=int(months),
                                          restructured=form.get("restructured") == "on", reason=str(form.get("reason") or ""),
                                          today=await business_date.current(), now=clock.now_utc(), policy=state.maker_checker_policy,
                                          extension=getattr(state, "extension_policy", DEFAULT_EXTENSION))
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": "extension-error", "errors": form_errors(exc)}, fragment="checks/_form_error.html",
                      status_code=422)
    return redirect(request, request.url_for("check_request", command_id=str(command.id)).path)


@login_required
async def loan_extension_decline(request: Request) -> Response:
    """The officer declines the borrower's application for 展期 with a reason the borrower sees in the app (不予受理)."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    try:
        try:
            application_id = UUID(str(form.get("application_id") or ""))
        except ValueError:
            raise DomainError("请选择展期申请", field="application_id") from None
        await decline_extension_application(actor=request.state.session.actor, application_id=application_id,
                                            reason=str(form.get("reason") or ""), today=await business_date.current())
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": "extension-decline-error", "errors": form_errors(exc)},
                      fragment="checks/_form_error.html", status_code=422)
    return redirect(request, request.url_for("loan_detail", loan_id=str(loan_id)).path + "#extension")


@login_required
async def loan_extension_consent(request: Request) -> Response:
    """The officer records a guarantor's signed written consent to this loan's extension (before proposing it)."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    error_id = str(form.get("error_id") or "extension-error")
    if not error_id.startswith("consent-error-"):
        error_id = "extension-error"
    try:
        months = str(form.get("months") or "").strip()
        if not months.isdigit():
            raise DomainError("请填写保证人同意的展期期限（整月数）", field="months")
        try:
            member_id = UUID(str(form.get("member_id") or ""))
        except ValueError:
            raise DomainError("请选择保证人", field="member_id") from None
        await record_consent(actor=request.state.session.actor, loan_id=loan_id, member_id=member_id, months=int(months), now=clock.now_utc(),
                             kit=request.app.state.signing_kit())
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": error_id, "errors": form_errors(exc)}, fragment="checks/_form_error.html",
                      status_code=422)
    return redirect(request, request.url_for("loan_detail", loan_id=str(loan_id)).path + "#extension")


@login_required
async def loan_renewal_guarantee(request: Request) -> Response:
    """A guarantor signs the guarantee contract for the new loan of this loan's renewal (the officer witnesses), before it is proposed."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    error_id = str(form.get("error_id") or "renewal-error")
    if not error_id.startswith("renewal-guarantee-error-"):
        error_id = "renewal-error"
    try:
        term = str(form.get("term_months") or "").strip()
        if not term.isdigit():
            raise DomainError("请填写保证人同意担保的新借据期限（整月数）", field="term_months")
        try:
            member_id = UUID(str(form.get("member_id") or ""))
        except ValueError:
            raise DomainError("请选择保证人", field="member_id") from None
        await sign_renewal_guarantee(actor=request.state.session.actor, loan_id=loan_id, member_id=member_id, term_months=int(term),
                                     now=clock.now_utc(), kit=request.app.state.signing_kit())
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": error_id, "errors": form_errors(exc)}, fragment="checks/_form_error.html",
                      status_code=422)
    return redirect(request, request.url_for("loan_detail", loan_id=str(loan_id)).path + "#renewal")


@login_required
async def loan_renewal(request: Request) -> Response:
    """An officer proposes renewing this loan without repaying principal (无还本续贷): a request for an approver or branch manager."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    state = request.app.state
    try:
        term = str(form.get("term_months") or "").strip()
        if not term.isdigit():
            raise DomainError("请填写续贷期限（整月数）", field="term_months")
        command = await propose_renewal(actor=request.state.session.actor, loan_id=loan_id, term_months=int(term), reason=str(form.get("reason") or ""),
                                        today=await business_date.current(), now=clock.now_utc(), policy=state.maker_checker_policy,
                                        renewal=getattr(state, "renewal_policy", DEFAULT_RENEWAL))
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": "renewal-error", "errors": form_errors(exc)}, fragment="checks/_form_error.html",
                      status_code=422)
    return redirect(request, request.url_for("check_request", command_id=str(command.id)).path)


@login_required
async def loan_recover(request: Request) -> Response:
    """Money recovered on a written-off loan, debited from its card."""
    loan_id = request.path_params["loan_id"]
    form = await request.form()
    key = parse_key(str(form.get("idempotency_key") or ""))
    state = request.app.state
    try:
        if key is None:
            raise DomainError("表单已过期，请刷新页面后重试")
        await record_recovery(actor=request.state.session.actor, loan_id=loan_id, amount_fen=money(str(form.get("amount") or ""), field="amount").fen,
                              idempotency_key=key, today=await business_date.current(), core=state.core, vault=state.vault)
    except DomainError as exc:
        return render(request, "checks/_form_error.html", {"id": "recover-error", "errors": form_errors(exc)}, fragment="checks/_form_error.html",
                      status_code=422)
    return redirect(request, request.url_for("loan_detail", loan_id=str(loan_id)).path)
